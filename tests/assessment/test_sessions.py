"""Privileged sessions end after SHIPSHAPE_PRIVILEGED_IDLE_HOURS without a request."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory, make_facilitator, make_manager

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASSWORD = "right-password-123"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def signed_in(client) -> bool:
    return client.get(reverse("surveys:my_surveys")).wsgi_request.user.is_authenticated


def log_in(client, user):
    user.set_password(PASSWORD)
    user.save()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "make",
    [
        make_facilitator,
        lambda: UserFactory(username="staff", is_staff=True),
        lambda: UserFactory(username="root", is_staff=True, is_superuser=True),
    ],
    ids=["facilitator", "staff", "superuser"],
)
def test_a_privileged_session_ends_after_eight_idle_hours(client, clock, make):
    log_in(client, make())

    clock.move_to(START + timedelta(hours=7, minutes=59))
    assert signed_in(client)
    clock.move_to(START + timedelta(hours=15, minutes=58))  # 7 h 59 min after the last request
    assert signed_in(client)

    clock.move_to(START + timedelta(hours=24))
    response = client.get(reverse("surveys:my_surveys"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "You were signed out after 8 hours without activity. Please log in again."
    ]
    assert not signed_in(client)


@pytest.mark.parametrize(
    "make", [lambda: MembershipFactory().user, make_manager], ids=["member", "manager"]
)
def test_other_sessions_are_not_cut_short(client, clock, make):
    log_in(client, make())

    clock.move_to(START + timedelta(hours=11))

    assert signed_in(client)


def test_the_idle_time_is_configurable(client, clock, settings):
    settings.PRIVILEGED_IDLE_SECONDS = 30 * 60
    log_in(client, make_facilitator())

    clock.move_to(START + timedelta(minutes=29))
    assert signed_in(client)
    clock.move_to(START + timedelta(minutes=60))

    assert not signed_in(client)


def test_force_login_starts_the_clock_too(client, clock):
    client.force_login(make_facilitator())

    clock.move_to(START + timedelta(hours=9))

    assert not signed_in(client)
