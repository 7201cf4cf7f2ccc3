"""Chat notices: a JSON POST to a team's incoming webhook (Slack, Teams, Mattermost).

The text names the round and the team and links to Shipshape; never answers,
scores or people. A short timeout keeps a slow chat server from holding the
worker; failures raise, and the caller records and retries them.
"""

import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notice
from surveys.models import SurveyRound, Team

logger = logging.getLogger(__name__)


class WebhookError(Exception):
    pass


def chat_text(notice: Notice, team: Team) -> str:
    survey_round: SurveyRound = notice.round
    base = settings.SHIPSHAPE_BASE_URL.rstrip("/")
    closes = timezone.localtime(survey_round.closes_at)
    if notice.kind == Notice.Kind.ROUND_OPENED:
        link = base + reverse("surveys:start", args=[survey_round.slug, team.slug])
        return (
            f"Shipshape: {survey_round.name} is open for {team.name} until "
            f"{closes:%-d %B %Y, %H:%M}. Ten minutes, anonymous: {link}"
        )
    if notice.kind == Notice.Kind.CLOSING_SOON:
        link = base + reverse("surveys:start", args=[survey_round.slug, team.slug])
        return (
            f"Shipshape: {survey_round.name} closes tomorrow ({closes:%-d %B, %H:%M}). "
            f"If you have not answered yet: {link}"
        )
    if notice.kind == Notice.Kind.RESULTS_READY:
        link = base + reverse("reports:team_dashboard", args=[team.slug])
        return f"Shipshape: the results of {survey_round.name} for {team.name} are ready: {link}"
    raise ValueError(f"no chat text for {notice.kind}")


def is_internal(address: str) -> bool:
    """Loopback, private, link-local (cloud metadata), reserved, multicast or unspecified."""
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def check_destination(url: str) -> None:
    """Refuse a webhook whose host is, or resolves to, an internal address.

    A facilitator's webhook URL must not turn the worker into a way of reaching
    the database, the cache or a cloud metadata service from inside
    (server-side request forgery). An in-house chat server on a private
    network is allowed with SHIPSHAPE_WEBHOOK_ALLOW_PRIVATE=true.
    """
    if settings.SHIPSHAPE_WEBHOOK_ALLOW_PRIVATE:
        return
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as error:
        raise WebhookError(f"could not resolve the chat server {host!r}: {error}") from error
    if any(is_internal(address) for address in addresses):
        raise WebhookError(
            f"{host} is an internal address; chat notices go only to servers on the internet "
            "(SHIPSHAPE_WEBHOOK_ALLOW_PRIVATE=true allows a chat server on your own network)"
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead past check_destination to an internal address.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, "redirects are not followed", headers, fp)


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, text: str) -> None:
    """POST {"text": ...} as JSON; raises WebhookError on a timeout, a non-2xx answer
    or an internal destination."""
    check_destination(url)
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Shipshape"},
    )
    try:
        with _opener.open(request, timeout=settings.SHIPSHAPE_WEBHOOK_TIMEOUT) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        raise WebhookError(f"HTTP {error.code} from the chat server") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise WebhookError(f"could not reach the chat server: {reason}") from error
    if not 200 <= status < 300:
        raise WebhookError(f"HTTP {status} from the chat server")
