"""The audit trail: one call per administrative action, in the action's transaction."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from assessment.models import AuditEvent


def audit_record(
    *, actor: User | AnonymousUser | None, action: str, target: str = "", **details: Any
) -> AuditEvent:
    """Record who did what. Never pass survey answers in `details`."""
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=user,
        actor_username=user.get_username() if user else "",
        action=action,
        target=target[:200],
        details=details,
    )
