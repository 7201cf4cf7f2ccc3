"""Throttling against password guessing and reset-mail floods, counted in the Django cache.

The counters are keyed so that failures from one address never lock anybody out
at another address:

* failed logins for one username from one client address: after
  LOGIN_FAILURE_LIMIT, that username is paused *for that address only*;
* failed logins from one client address, whatever the username: after
  IP_MULTIPLIER times the limit, that address is paused;
* password-reset requests per e-mail address (PASSWORD_RESET_LIMIT; over it, no
  mail is sent and the page says exactly what it always says) and per client
  address (IP_MULTIPLIER times that; over it, the form says to wait).

Client addresses come from assessment.addresses (forwarded headers only from
trusted proxies); an IPv6 client is counted per /64. Keys are hashed, so no
username or e-mail address sits in the cache in clear. docs/operations.md says
what an attacker can and cannot lock.
"""

import hashlib

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.cache import cache

from assessment.addresses import client_address, throttle_bucket
from assessment.audit import audit_record
from assessment.models import AuditEvent

IP_MULTIPLIER = 5
UNKNOWN_ACCOUNT = "(no such account)"


def _key(kind: str, *parts: str) -> str:
    text = "\x1f".join(part.strip().lower() for part in parts)
    return f"throttle:{kind}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def _hit(key: str, seconds: int) -> int:
    """Count one event; the window starts with the first and is not extended."""
    if cache.add(key, 1, seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, seconds)
        return 1


def _minutes(seconds: int) -> int:
    return max(1, seconds // 60)


# --- logins ------------------------------------------------------------------------


def _login_counters(username: str, address: str) -> list[tuple[str, str, int]]:
    """(scope, cache key, limit) of each counter a failed login adds to."""
    bucket = throttle_bucket(address)
    limit = settings.LOGIN_FAILURE_LIMIT
    return [
        ("username and address", _key("login", username, bucket), limit),
        ("address", _key("login-address", bucket), limit * IP_MULTIPLIER),
    ]


def is_locked(username: str, address: str) -> bool:
    counters = _login_counters(username, address)
    counts = cache.get_many([key for _, key, _ in counters])
    return any(counts.get(key, 0) >= limit for _, key, limit in counters)


def record_failure(username: str, address: str) -> list[str]:
    """Count a failed login; return the scopes this failure has just locked."""
    return [
        scope
        for scope, key, limit in _login_counters(username, address)
        if _hit(key, settings.LOGIN_LOCKOUT_SECONDS) == limit
    ]


def clear_failures(username: str, address: str) -> None:
    """A correct password clears that username's count at that address, nothing else."""
    cache.delete(_login_counters(username, address)[0][1])


def _known_username(username: str) -> str:
    """The username for the audit log, if it names an account.

    People type their password into the username field; an unknown "username"
    is never written down.
    """
    model = get_user_model()
    if username and model._default_manager.filter(**{model.USERNAME_FIELD: username}).exists():
        return username
    return UNKNOWN_ACCOUNT


class ThrottledLoginMixin:
    """For AuthenticationForm and its subclasses: refuse locked attempts, count failures."""

    locked_message = (
        "Too many failed attempts. Logging in is paused for %(minutes)d minutes to "
        "protect the account. Try again later, or reset your password."
    )

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request) if self.request else ""
        if is_locked(username, address):
            # Refused without checking the password, and not written down: the
            # lock itself was recorded once, when it began.
            raise forms.ValidationError(
                self.locked_message,
                code="locked",
                params={"minutes": _minutes(settings.LOGIN_LOCKOUT_SECONDS)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            self._record_failure(username, address, error)
            raise
        if self.get_user() is not None:
            clear_failures(username, address)
        return cleaned

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        # SHIPSHAPE_PASSWORD_LOGIN=false: only the break-glass superuser may use a
        # password. Said only after a correct password, so it reveals nothing.
        if not settings.SHIPSHAPE_PASSWORD_LOGIN and not user.is_superuser:
            raise forms.ValidationError(
                "Password login is switched off. Log in with %(provider)s instead.",
                code="password_login_off",
                params={"provider": settings.SHIPSHAPE_OIDC_PROVIDER_NAME},
            )

    def _record_failure(self, username: str, address: str, error: forms.ValidationError):
        locked = record_failure(username, address)
        target = _known_username(username)
        reason = getattr(error, "code", None) or "invalid_login"
        audit_record(
            actor=None,
            action=AuditEvent.Action.LOGIN_FAILED,
            target=target,
            address=address,
            reason=reason,
            path=self.request.path if self.request else "",
        )
        for scope in locked:
            audit_record(
                actor=None,
                action=AuditEvent.Action.LOGIN_LOCKED,
                target=target,
                address=address,
                scope=scope,
                minutes=_minutes(settings.LOGIN_LOCKOUT_SECONDS),
            )


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The login form of /accounts/login/."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The login form of /admin/login/: the same counters, staff accounts only."""


# --- password resets -----------------------------------------------------------------


class ThrottledPasswordResetForm(PasswordResetForm):
    """Password reset with a limit per e-mail address and per client address.

    Whether an account exists never changes the answer: every accepted request
    leads to the same "check your inbox" page, and the per-e-mail count is kept
    for addresses with no account too.
    """

    address_message = (
        "Too many password reset requests from your network. "
        "Please try again in %(minutes)d minutes."
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        self.over_email_limit = False
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if not email:
            return cleaned
        seconds = settings.PASSWORD_RESET_WINDOW_SECONDS
        limit = settings.PASSWORD_RESET_LIMIT
        bucket = throttle_bucket(self._address())
        address_key = _key("reset-address", bucket)
        if cache.get(address_key, 0) >= limit * IP_MULTIPLIER:
            raise forms.ValidationError(
                {"email": self.address_message % {"minutes": _minutes(seconds)}}
            )
        _hit(address_key, seconds)
        self.over_email_limit = _hit(_key("reset-email", email), seconds) > limit
        return cleaned

    def _address(self) -> str:
        return client_address(self.request) if self.request else ""

    def save(self, **kwargs):
        email = self.cleaned_data["email"]
        accounts = [user.get_username() for user in self.get_users(email)]
        audit_record(
            actor=None,
            action=AuditEvent.Action.PASSWORD_RESET_REQUESTED,
            target=", ".join(accounts) or UNKNOWN_ACCOUNT,
            address=self._address(),
            sent=bool(accounts) and not self.over_email_limit,
            over_limit=self.over_email_limit,
        )
        if self.over_email_limit:
            return  # the same page as ever, but no more mail to this inbox for now
        super().save(**kwargs)
