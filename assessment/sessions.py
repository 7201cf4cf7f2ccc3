"""Idle timeout for privileged sessions (staff, superusers, facilitators).

At login the session is marked privileged or not (one permission check then, no
query on later requests). A privileged session that sees no request for
PRIVILEGED_IDLE_SECONDS (SHIPSHAPE_PRIVILEGED_IDLE_HOURS, default 8) is signed
out on its next request. The last-seen time is written at most once a minute,
so a busy session does not cost a session write per request.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest
from django.utils import timezone

PRIVILEGED = "_shipshape_privileged"
LAST_SEEN = "_shipshape_last_seen"
TOUCH_EVERY_SECONDS = 60


def is_privileged(user) -> bool:
    # A permission name, not an import: assessment does not import surveys.
    return user.is_staff or user.is_superuser or user.has_perm("surveys.run_rounds")


def start_privileged_clock(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Receiver of user_logged_in (connected in AssessmentConfig.ready())."""
    if request is not None and hasattr(request, "session") and is_privileged(user):
        request.session[PRIVILEGED] = True
        request.session[LAST_SEEN] = timezone.now().timestamp()


class PrivilegedIdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        session = getattr(request, "session", None)
        if session is not None and session.get(PRIVILEGED):
            now = timezone.now().timestamp()
            last_seen = session.get(LAST_SEEN, now)
            if now - last_seen > settings.PRIVILEGED_IDLE_SECONDS:
                logout(request)
                hours = settings.PRIVILEGED_IDLE_SECONDS / 3600
                messages.info(
                    request,
                    f"You were signed out after {hours:g} hours without activity. "
                    "Please log in again.",
                )
            elif now - last_seen >= TOUCH_EVERY_SECONDS or LAST_SEEN not in session:
                session[LAST_SEEN] = now
        return self.get_response(request)
