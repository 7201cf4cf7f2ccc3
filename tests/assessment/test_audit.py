"""The audit trail: what is recorded, by whom, and that nobody can rewrite it.

Logins, role and group changes (Django admin, the shell), exports written by
export_results and questionnaire loads; never a password or an answer. On
PostgreSQL the database itself refuses UPDATE and DELETE on the table.
"""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from assessment.models import AuditEvent
from assessment.signals import rights_audit_muted
from surveys.access import FACILITATORS_GROUP, MANAGERS_GROUP, role_group
from tests.factories import DEFAULT_QUESTIONNAIRE, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-123"


def events(action: str) -> list[tuple[str, str, dict]]:
    rows = AuditEvent.objects.filter(action=action).order_by("id")
    return [(e.actor_username, e.target, e.details) for e in rows]


@pytest.fixture
def admin_user():
    return UserFactory(username="root", password=PASSWORD, is_staff=True, is_superuser=True)


def admin_change(client, user: User, **changes):
    """Post the Django admin change form of `user` as it is, with `changes` applied."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "user_permissions": [],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "initial-date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        **changes,
    }
    data = {key: value for key, value in data.items() if value != ""}
    response = client.post(reverse("admin:auth_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def test_a_login_is_recorded_with_the_account_and_address(client):
    UserFactory(username="alice", password=PASSWORD)

    client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="192.0.2.4"
    )

    assert events("login.succeeded") == [("alice", "alice", {"address": "192.0.2.4"})]


def test_group_and_flag_changes_in_django_admin_name_the_admin(client, admin_user):
    fran = UserFactory(username="fran")
    facilitators, managers = role_group(FACILITATORS_GROUP), role_group(MANAGERS_GROUP)
    client.force_login(admin_user)

    admin_change(client, fran, groups=[str(facilitators.pk)], is_staff="on")
    admin_change(client, User.objects.get(pk=fran.pk), groups=[str(managers.pk)])

    assert events("user.groups_changed") == [
        ("root", "fran", {"of": "user", "added": ["Facilitators"]}),
        ("root", "fran", {"of": "user", "removed": ["Facilitators"]}),
        ("root", "fran", {"of": "user", "added": ["Managers"]}),
    ]
    assert events("user.flags_changed")[-1:] == [("root", "fran", {"is_staff": [False, True]})]


def test_changes_outside_a_request_are_recorded_as_the_system():
    maya = UserFactory(username="maya")
    managers = role_group(MANAGERS_GROUP)

    managers.user_set.add(maya)  # the reverse side
    maya.groups.clear()
    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    maya.is_active = False
    maya.save()

    assert events("user.groups_changed") == [
        ("", "maya", {"of": "user", "added": ["Managers"]}),
        ("", "maya", {"of": "user", "removed": ["Managers"]}),
    ]
    assert events("user.flags_changed") == [
        ("", "boss", {"is_staff": [None, True], "is_superuser": [None, True]}),
        ("", "maya", {"is_active": [True, False]}),
    ]


def test_permission_changes_of_a_group_or_a_user_are_recorded():
    group = Group.objects.create(name="Auditors")
    permission = Permission.objects.get(codename="view_auditevent")
    user = UserFactory(username="ada")

    group.permissions.add(permission)
    user.user_permissions.add(permission)

    assert events("permissions.changed") == [
        ("", "Auditors", {"of": "group", "added": ["assessment.view_auditevent"]}),
        ("", "ada", {"of": "user", "added": ["assessment.view_auditevent"]}),
    ]


def test_links_put_back_while_muted_are_not_recorded_and_later_changes_are():
    group = Group.objects.create(name="Auditors")
    permission = Permission.objects.get(codename="view_auditevent")

    with rights_audit_muted():
        group.permissions.add(permission)
    assert events("permissions.changed") == []

    group.permissions.remove(permission)
    assert events("permissions.changed") == [
        ("", "Auditors", {"of": "group", "removed": ["assessment.view_auditevent"]}),
    ]


def test_saving_a_user_without_a_flag_change_records_nothing(client):
    user = UserFactory(username="alice", password=PASSWORD)
    user.first_name = "Alice"
    user.save()
    client.force_login(user)  # saves last_login only

    assert not AuditEvent.objects.exclude(action="login.succeeded").exists()


def test_exports_written_by_the_command_are_recorded(tmp_path):
    from tests.factories import SurveyRoundFactory, TeamFactory

    team = TeamFactory(name="Payments", slug="payments")
    # Exports exist for closed rounds only: results appear at the close.
    now = timezone.now()
    SurveyRoundFactory(
        name="2026 Q4",
        slug="2026-q4",
        teams=[team],
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=1),
    )
    target = tmp_path / "out.json"

    to_file = ["--round", "2026 Q4", "--format", "json", "-o", str(target)]
    to_stdout = ["--round", "2026-q4", "--format", "md", "-o", "-"]

    call_command("export_results", *to_file, stderr=io.StringIO())
    call_command("export_results", *to_stdout, stdout=io.StringIO())

    assert events("export.written") == [
        ("", "2026 Q4", {"format": "json", "teams": ["payments"], "output": str(target)}),
        ("", "2026 Q4", {"format": "md", "teams": ["payments"], "output": "-"}),
    ]


def test_questionnaire_loads_are_recorded_once_per_change():
    call_command("load_questionnaire", str(DEFAULT_QUESTIONNAIRE), stdout=io.StringIO())
    call_command("load_questionnaire", str(DEFAULT_QUESTIONNAIRE), stdout=io.StringIO())

    loaded = events("questionnaire.loaded")
    assert len(loaded) == 1
    assert loaded[0][2]["result"] == "created"


# --- the database refuses rewrites (PostgreSQL) ----------------------------------------

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


@pytest.mark.postgres
@on_postgresql
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE assessment_auditevent SET target = 'rewritten'",
        "UPDATE assessment_auditevent SET actor_username = ''",
        "DELETE FROM assessment_auditevent",
    ],
)
def test_postgresql_refuses_raw_updates_and_deletes_of_the_audit_log(statement):
    AuditEvent.objects.create(action="round.created", actor_username="fran", target="2027 Q1")

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert list(AuditEvent.objects.values_list("actor_username", "target")) == [("fran", "2027 Q1")]


@pytest.mark.postgres
@on_postgresql
def test_postgresql_refuses_an_update_through_the_base_manager():
    event = AuditEvent.objects.create(action="round.created", target="2027 Q1")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent._base_manager.filter(pk=event.pk).update(target="rewritten")


@pytest.mark.postgres
@on_postgresql
def test_deleting_an_account_keeps_its_events_under_its_name():
    user = UserFactory(username="leaver")
    AuditEvent.objects.create(actor=user, actor_username="leaver", action="round.created")

    user.delete()

    assert list(AuditEvent.objects.values_list("actor_id", "actor_username")) == [(None, "leaver")]
