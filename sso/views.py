"""Single sign-on views: start the login, the provider's callback, and logout.

The flow itself is mozilla-django-oidc's; these views add the discovery of the
provider's endpoints, a plain page and an audit event for every failure, the
login throttle for failed callbacks, and RP-initiated logout.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from assessment.addresses import client_address
from assessment.audit import audit_record
from assessment.models import AuditEvent
from assessment.throttle import is_locked, record_failure
from sso.failures import REASONS, SsoFailure
from sso.provider import ProviderUnreachable, provider

# Failed callbacks from one address are counted under this name in the login throttle.
THROTTLE_NAME = "(single sign-on)"
# Failures caused by the provider or Shipshape's settings, not by the person.
NOT_COUNTED = {"provider_unreachable", "token_refused", "throttled"}


def _require_sso() -> None:
    if not settings.SHIPSHAPE_OIDC_ENABLED:
        raise Http404("Single sign-on is not configured.")


def failure_context(reason: str) -> dict[str, str]:
    name = settings.SHIPSHAPE_OIDC_PROVIDER_NAME
    text = REASONS[reason]
    return {
        "title": text.title.format(provider=name),
        "message": text.message.format(provider=name),
    }


def failure_response(request: HttpRequest, failure: SsoFailure) -> HttpResponse:
    """The person's page for a failed login; recorded in the audit log and the throttle."""
    address = client_address(request)
    if failure.reason != "throttled":
        audit_record(
            actor=None,
            action=REASONS[failure.reason].action,
            target=str(failure.details.get("email", ""))[:200],
            reason=failure.reason,
            address=address,
            **{key: value for key, value in failure.details.items() if key != "email"},
        )
    if failure.reason not in NOT_COUNTED:
        record_failure(THROTTLE_NAME, address)
    return render(
        request,
        "sso/failure.html",
        failure_context(failure.reason),
        status=REASONS[failure.reason].status,
    )


class LoginView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with a fresh state, nonce and PKCE challenge."""

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)  # the library's reads endpoints from settings
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        _require_sso()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider().authorization_endpoint
        except ProviderUnreachable as error:
            return failure_response(
                request, SsoFailure("provider_unreachable", error=str(error)[:300])
            )
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code and the state."""

    def get(self, request):
        _require_sso()
        if is_locked(THROTTLE_NAME, client_address(request)):
            return failure_response(request, SsoFailure("throttled"))
        try:
            return self._callback(request)
        except SsoFailure as failure:
            return failure_response(request, failure)

    def _callback(self, request) -> HttpResponse:
        state = request.GET.get("state", "")
        states = request.session.get("oidc_states", {})
        if request.GET.get("error"):
            if states.pop(state, None) is not None:  # never usable again
                request.session.modified = True
            raise SsoFailure("provider_error", error=request.GET["error"][:100])
        if not request.GET.get("code") or state not in states:
            raise SsoFailure("state_mismatch")
        return super().get(request)  # the backend raises SsoFailure on failure

    def login_failure(self):
        raise SsoFailure("invalid_token", error="no user")

    def login_success(self):
        response = super().login_success()
        audit_record(
            actor=self.user,
            action=AuditEvent.Action.SSO_LOGIN_SUCCEEDED,
            target=self.user.get_username(),
            address=client_address(self.request),
            **getattr(self.request, "sso_details", {}),
        )
        return response


def end_session_url(request: HttpRequest, id_token: str) -> str | None:
    """The provider's logout URL (RP-initiated logout), if it has one."""
    try:
        endpoint = provider().end_session_endpoint
    except ProviderUnreachable:
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(
                resolve_url(settings.LOGOUT_REDIRECT_URL)
            ),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class LogoutView(auth_views.LogoutView):
    """Django's logout; after an SSO login, then the provider's logout too."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if id_token and settings.SHIPSHAPE_OIDC_ENABLED:
            url = end_session_url(request, id_token)
            if url:
                return HttpResponseRedirect(url)
        return response
