"""The audit trail: one call per administrative action, in the action's transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from assessment.models import AuditEvent

# Who is acting in this request, for changes recorded by signal receivers that
# have no request (group and permission changes made in Django admin). Set by
# assessment.middleware.AuditActorMiddleware; None outside a request.
_current_actor: ContextVar[User | AnonymousUser | None] = ContextVar("audit_actor", default=None)


@contextmanager
def acting_as(user: User | AnonymousUser | None) -> Iterator[None]:
    token = _current_actor.set(user)
    try:
        yield
    finally:
        _current_actor.reset(token)


def current_actor() -> User | AnonymousUser | None:
    return _current_actor.get()


def audit_record(
    *, actor: User | AnonymousUser | None, action: str, target: str = "", **details: Any
) -> AuditEvent:
    """Record who did what. Never pass survey answers or passwords in `details`."""
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=user,
        actor_username=user.get_username() if user else "",
        action=action,
        target=target[:200],
        details=details,
    )
