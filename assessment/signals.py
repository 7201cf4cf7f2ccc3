"""Audit receivers for changes that can be made from several places.

Logins (any login view, and the test client's force_login), group and permission
changes (Django admin, the shell, management commands) and the staff, superuser
and active flags are recorded here rather than in each view. The actor is the
user of the current request (assessment.middleware.AuditActorMiddleware), or
nobody ("system") outside a request. Connected in AssessmentConfig.ready().
"""

from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.signals import user_logged_in
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_save, pre_save

from assessment.addresses import client_address
from assessment.audit import audit_record, current_actor
from assessment.models import AuditEvent

FLAGS = ("is_staff", "is_superuser", "is_active")
_MISSING = object()


def on_login(sender, request, user, **kwargs) -> None:
    audit_record(
        actor=user,
        action=AuditEvent.Action.LOGIN_SUCCEEDED,
        target=user.get_username(),
        address=client_address(request) if request is not None else "",
    )


# --- groups and permissions ---------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """One many-to-many that grants rights: whose rights (owner) and what (item)."""

    owner: type[Model]
    forward: str  # the owner's accessor, e.g. user.groups
    backward: str  # the item's accessor, e.g. group.user_set
    action: str


def _label(obj: Model) -> str:
    if isinstance(obj, Permission):
        return f"{obj.content_type.app_label}.{obj.codename}"
    return obj.get_username() if isinstance(obj, User) else obj.name


def _labels(model: type[Model], pks) -> list[str]:
    queryset = model._default_manager.filter(pk__in=pks)
    if model is Permission:
        queryset = queryset.select_related("content_type")
    return sorted(_label(obj) for obj in queryset)


def _relations() -> dict[type[Model], Relation]:
    groups, permissions = (
        AuditEvent.Action.USER_GROUPS_CHANGED,
        AuditEvent.Action.PERMISSIONS_CHANGED,
    )
    return {
        User.groups.through: Relation(User, "groups", "user_set", groups),
        User.user_permissions.through: Relation(User, "user_permissions", "user_set", permissions),
        Group.permissions.through: Relation(Group, "permissions", "group_set", permissions),
    }


def on_rights_changed(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs):
    relation = _relations()[sender]
    if action == "pre_clear":
        # Once cleared, nothing says what was removed: read it first.
        related = getattr(instance, relation.backward if reverse else relation.forward)
        pk_set, change = set(related.values_list("pk", flat=True)), "removed"
    elif action in ("post_add", "post_remove"):
        change = "added" if action == "post_add" else "removed"
    else:
        return
    if not pk_set:
        return
    if reverse:  # e.g. group.user_set.add(user): one event per user whose rights changed
        owners, items = _labels(relation.owner, pk_set), [_label(instance)]
    else:
        owners, items = [_label(instance)], _labels(model, pk_set)
    for owner in owners:
        audit_record(
            actor=current_actor(),
            action=relation.action,
            target=owner,
            of=relation.owner._meta.model_name,
            **{change: items},
        )


# --- staff, superuser and active flags ------------------------------------------------


def remember_flags(sender, instance: User, raw: bool, update_fields, **kwargs) -> None:
    if raw or (update_fields is not None and not set(FLAGS) & set(update_fields)):
        return  # fixtures, and saves such as last_login that cannot touch a flag
    if instance.pk is None:
        instance._audit_flags = None
    else:
        instance._audit_flags = User.objects.filter(pk=instance.pk).values(*FLAGS).first()


def record_flags(sender, instance: User, raw: bool, **kwargs) -> None:
    previous = instance.__dict__.pop("_audit_flags", _MISSING)
    if raw or previous is _MISSING:
        return
    current = {flag: getattr(instance, flag) for flag in FLAGS}
    if previous is None:  # a new account: worth a line only when it starts privileged
        changes = {flag: [None, True] for flag in ("is_staff", "is_superuser") if current[flag]}
    else:
        changes = {
            flag: [previous[flag], current[flag]]
            for flag in FLAGS
            if previous[flag] != current[flag]
        }
    if changes:
        audit_record(
            actor=current_actor(),
            action=AuditEvent.Action.USER_FLAGS_CHANGED,
            target=instance.get_username(),
            **changes,
        )


def _rights_uid(through: type[Model]) -> str:
    return f"audit-{through._meta.label}"


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="audit-login")
    for through in _relations():
        m2m_changed.connect(on_rights_changed, sender=through, dispatch_uid=_rights_uid(through))
    pre_save.connect(remember_flags, sender=User, dispatch_uid="audit-flags-before")
    post_save.connect(record_flags, sender=User, dispatch_uid="audit-flags-after")


@contextmanager
def rights_audit_muted():
    """Group and permission links written meanwhile are not audited: for
    putting back rows that existed already (the tests reload the migrated
    role groups after flushing the database), never for a change someone makes."""
    for through in _relations():
        m2m_changed.disconnect(sender=through, dispatch_uid=_rights_uid(through))
    try:
        yield
    finally:
        for through in _relations():
            m2m_changed.connect(
                on_rights_changed, sender=through, dispatch_uid=_rights_uid(through)
            )
