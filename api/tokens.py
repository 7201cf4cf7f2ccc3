"""Creating, revoking and checking personal access tokens (the writes and the one read).

Why Django's own tools and not django-rest-knox: knox stores a digest of a
random token too, but it has no scopes, no names and no per-token last use,
which we would have to add around it, and it is one more dependency to follow
across Django versions. Our tokens are ``shp_`` + an 8-character lookup prefix +
``_`` + 43 characters of ``secrets.token_urlsafe(32)`` (256 bits). The row
holds the prefix and the SHA-256 of the whole token; a lookup by prefix and a
constant-time comparison of digests authenticate it. A slow password hash
(PBKDF2) would add ~100 ms to every API call and protects nothing here: a
256-bit random secret cannot be guessed from its digest.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from assessment.audit import audit_record
from assessment.models import AuditEvent

TOKEN_PREFIX = "shp_"
LOOKUP_LENGTH = 8
# Last use is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_ACTIVE_TOKENS = 20


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_raw_token() -> tuple[str, str]:
    """(lookup prefix, whole token)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    lookup = "".join(secrets.choice(alphabet) for _ in range(LOOKUP_LENGTH))
    return lookup, f"{TOKEN_PREFIX}{lookup}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def api_token_create(*, user: User, name: str, scope: str, days: int) -> tuple[ApiToken, str]:
    """A new token and its text, which is never stored and cannot be shown again."""
    name = " ".join(name.split())
    errors = {}
    if not name:
        errors["name"] = "Give the token a name, e.g. what it is for."
    if scope not in ApiToken.Scope.values:
        errors["scope"] = "Choose read only or read and write."
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        errors["days"] = f"A token lives between 1 and {settings.API_TOKEN_MAX_DAYS} days."
    if ApiToken.objects.active().filter(user=user).count() >= MAX_ACTIVE_TOKENS:
        errors["name"] = f"You have {MAX_ACTIVE_TOKENS} active tokens; revoke one first."
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    while True:
        lookup, raw = _new_raw_token()
        if not ApiToken.objects.filter(prefix=lookup).exists():
            break
    token = ApiToken(
        user=user,
        name=name,
        prefix=lookup,
        digest=_digest(raw),
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    token.full_clean()
    token.save()
    audit_record(
        actor=user,
        action=AuditEvent.Action.API_TOKEN_CREATED,
        target=token.name,
        prefix=token.prefix,
        scope=token.scope,
        expires_at=token.expires_at.isoformat(),
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke a token now; revoking twice changes nothing."""
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.API_TOKEN_REVOKED,
        target=token.name,
        prefix=token.prefix,
        owner=token.user.get_username(),
    )
    return token


def api_token_find(raw: str) -> ApiToken | None:
    """The token this text is, revoked and expired ones included; None if it is none.

    One query (the token with its user). Callers check ``is_active()``.
    """
    if not raw.startswith(TOKEN_PREFIX):
        return None
    lookup, _, secret = raw.removeprefix(TOKEN_PREFIX).partition("_")
    if len(lookup) != LOOKUP_LENGTH or not secret:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=lookup).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(raw)):
        return None
    return token


def api_token_touch(token: ApiToken, now=None) -> None:
    """Record that the token was used, at most once a minute (one UPDATE when due)."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def tokens_of(user: User) -> list[ApiToken]:
    """A user's tokens for the profile page: active first, then the rest (one query)."""
    now = timezone.now()
    tokens = list(ApiToken.objects.filter(user=user))
    return sorted(tokens, key=lambda t: (not t.is_active(now), -t.created_at.timestamp()))
