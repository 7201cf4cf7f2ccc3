"""Who may use notifications' pages: every URL x every role.

The round and team forms are for facilitators only; everyone else who is
logged in gets 404 and changes nothing; anonymous visitors are sent to log in.
The profile and its email settings are every logged-in person's own.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from notifications.models import Notice, Preference, TeamWebhook
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.notifications.world import OPENS

ROLES = ["anonymous", "other-team", "member", "lead", "manager", "facilitator"]


@pytest.fixture
def people(world, time_machine):
    time_machine.move_to(OPENS + timedelta(days=1), tick=False)
    other = MembershipFactory(team=TeamFactory(name="Other", slug="other"), user=UserFactory()).user
    return {
        "anonymous": None,
        "other-team": other,
        "member": world.people["ana"],
        "lead": world.people["lena"],
        "manager": world.people["maggie"],
        "facilitator": world.people["fran"],
    }


def _client(client, user):
    if user is not None:
        client.force_login(user)
    return client


def _state():
    return (
        sorted(Notice.objects.values_list("kind", "offset", "state")),
        list(TeamWebhook.objects.values_list("url", flat=True)),
    )


FACILITATOR_POSTS = [
    ("round-reminders", "notifications:round_reminders", ["2026-q2"], {"offsets": "3d"}),
    ("remind-now", "notifications:round_remind_now", ["2026-q2"], {}),
    ("team-webhook", "notifications:team_webhook", ["payments"], {"url": "https://c.example/h"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("case", "url_name", "args", "data"), FACILITATOR_POSTS, ids=[c[0] for c in FACILITATOR_POSTS]
)
def test_only_facilitators_change_schedules_and_webhooks(
    client, people, role, case, url_name, args, data
):
    url = reverse(url_name, args=args)
    before = _state()

    response = _client(client, people[role]).post(url, data)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role == "facilitator":
        assert response.status_code == 302
        target = "surveys:team_detail" if case == "team-webhook" else "surveys:round_detail"
        assert response["Location"] == reverse(target, args=args)
        assert _state() != before
        return
    else:
        assert response.status_code == 404
    assert _state() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "url_name", ["notifications:round_reminders", "notifications:round_remind_now"]
)
def test_the_round_forms_answer_get_with_405_or_login(client, people, role, url_name):
    response = _client(client, people[role]).get(reverse(url_name, args=["2026-q2"]))
    assert response.status_code == (302 if role == "anonymous" else 405)


@pytest.mark.parametrize("role", ROLES)
def test_the_profile_is_for_every_logged_in_person(client, people, role):
    response = _client(client, people[role]).get(reverse("profile"))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == 200
        assert "Save email settings" in response.content.decode()
        assert people[role].username in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_email_settings_change_only_ones_own(client, people, role):
    response = _client(client, people[role]).post(reverse("notifications:preferences"), {})

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert not Preference.objects.exists()
    else:
        assert response["Location"] == reverse("profile")
        assert list(Preference.objects.values_list("user", "reminders", "announcements")) == [
            (people[role].pk, False, False)
        ]
