"""Who may do what. Views call these first; they raise 404 rather than reveal
that another team's object exists."""

from django.contrib.auth.models import AnonymousUser, User

MANAGERS_GROUP = "Managers"
FACILITATORS_GROUP = "Facilitators"


def is_manager(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.has_perm("surveys.view_org_dashboard")


def is_facilitator(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.has_perm("surveys.run_rounds")
