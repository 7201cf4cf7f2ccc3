"""Who may do what. Views call these first; they raise 404 rather than reveal
that another team's object exists."""

from django.contrib.auth.models import AnonymousUser, Group, Permission, User

MANAGERS_GROUP = "Managers"
FACILITATORS_GROUP = "Facilitators"
# Kept in step with migration surveys 0002, which creates the groups.
ROLE_PERMISSIONS = {
    MANAGERS_GROUP: ["view_org_dashboard", "export_results"],
    FACILITATORS_GROUP: ["run_rounds", "view_org_dashboard", "export_results"],
}


def role_group(name: str) -> Group:
    """The Managers or Facilitators group, recreated with its permissions if missing."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="surveys", codename__in=ROLE_PERMISSIONS[name]
            )
        )
    return group


def is_manager(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.has_perm("surveys.view_org_dashboard")


def is_facilitator(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and user.has_perm("surveys.run_rounds")
