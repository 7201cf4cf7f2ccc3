"""Why a single sign-on attempt failed: what the person reads, what the audit log says."""

from dataclasses import dataclass

from assessment.models import AuditEvent

Action = AuditEvent.Action


@dataclass(frozen=True)
class Reason:
    action: str
    status: int
    title: str
    message: str  # may name {provider}


REASONS = {
    "provider_unreachable": Reason(
        Action.SSO_PROVIDER_UNREACHABLE,
        503,
        "{provider} cannot be reached",
        "Shipshape could not reach {provider}, so you are not logged in. Try again in a few "
        "minutes; if it keeps happening, tell whoever runs Shipshape.",
    ),
    "token_refused": Reason(
        Action.SSO_TOKEN_REFUSED,
        502,
        "{provider} refused the login",
        "{provider} did not accept Shipshape's request to complete your login. Shipshape's "
        "single sign-on settings are probably wrong (for example an expired client secret): "
        "tell whoever runs Shipshape.",
    ),
    "email_unverified": Reason(
        Action.SSO_EMAIL_UNVERIFIED,
        403,
        "Your e-mail address is not verified",
        "{provider} does not vouch for your e-mail address, so Shipshape cannot tell who you "
        "are and has not logged you in. Verify your e-mail address with {provider}, then try "
        "again.",
    ),
    "domain_refused": Reason(
        Action.SSO_DOMAIN_REFUSED,
        403,
        "This account cannot use Shipshape",
        "Your e-mail address is not in a domain allowed to use this Shipshape. Log in with "
        "your company account.",
    ),
    "state_mismatch": Reason(
        Action.SSO_LOGIN_FAILED,
        400,
        "This login has expired",
        "This login was started in another browser, expired or was already used. Start again "
        "from the login page.",
    ),
    "provider_error": Reason(
        Action.SSO_LOGIN_FAILED,
        403,
        "{provider} did not log you in",
        "{provider} ended the login without logging you in. Start again from the login page.",
    ),
    "invalid_token": Reason(
        Action.SSO_LOGIN_FAILED,
        403,
        "The login could not be verified",
        "The answer from {provider} did not pass Shipshape's checks, so you are not logged "
        "in. Start again from the login page; if it keeps happening, tell whoever runs "
        "Shipshape.",
    ),
    "ambiguous_email": Reason(
        Action.SSO_LOGIN_FAILED,
        403,
        "Your account needs an administrator",
        "More than one Shipshape account has your e-mail address. Ask whoever runs Shipshape "
        "to merge them.",
    ),
    "inactive": Reason(
        Action.SSO_LOGIN_FAILED,
        403,
        "Your account is deactivated",
        "Your Shipshape account is deactivated. Ask whoever runs Shipshape if this is a mistake.",
    ),
    "throttled": Reason(
        Action.SSO_LOGIN_FAILED,
        429,
        "Too many failed logins",
        "Too many logins from your network failed. Logging in is paused for a few minutes: "
        "try again later.",
    ),
}


class SsoFailure(Exception):
    """A login that must stop: `reason` is a key of REASONS, `details` go to the audit log."""

    def __init__(self, reason: str, **details) -> None:
        assert reason in REASONS, reason
        self.reason = reason
        self.details = details
        super().__init__(reason)
