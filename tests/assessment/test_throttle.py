"""Login throttling (/accounts/login/ and /admin/login/) and password-reset limits.

Every request names its client address (REMOTE_ADDR); no proxy is trusted here,
so that is the address the counters use (tests/system/test_proxy.py puts a
real nginx in front).
"""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from assessment.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-123"
ATTACKER = "203.0.113.66"
COLLEAGUE = "198.51.100.20"
LOCKED = "Too many failed attempts"


def login(client, username, password, address, url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def is_logged_in(response) -> bool:
    return response.wsgi_request.user.is_authenticated


@pytest.fixture
def alice():
    return UserFactory(username="alice", password=PASSWORD)


@pytest.fixture
def admin_user():
    return UserFactory(username="root", password=PASSWORD, is_staff=True, is_superuser=True)


def test_the_sixth_wrong_password_at_the_admin_login_is_refused_like_the_others(client, admin_user):
    for _ in range(5):
        response = login(client, "root", "wrong", ATTACKER, "/admin/login/")
        assert "Please enter the correct username and password" in response.text

    sixth = login(client, "root", PASSWORD, ATTACKER, "/admin/login/")

    assert sixth.status_code == 200
    assert LOCKED in sixth.text
    assert not is_logged_in(sixth)


def test_admin_and_account_logins_share_one_count(client, admin_user, settings):
    settings.LOGIN_FAILURE_LIMIT = 4
    for url in ["/admin/login/", "/accounts/login/"] * 2:
        login(client, "root", "wrong", ATTACKER, url)

    assert LOCKED in login(client, "root", PASSWORD, ATTACKER, "/accounts/login/").text
    assert LOCKED in login(client, "root", PASSWORD, ATTACKER, "/admin/login/").text


def test_failures_from_one_address_never_block_the_right_password_from_another(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    attacker, colleague = Client(), Client()
    for _ in range(10):
        login(attacker, "alice", "wrong", ATTACKER)
    assert LOCKED in login(attacker, "alice", PASSWORD, ATTACKER).text

    response = login(colleague, "alice", PASSWORD, COLLEAGUE)

    assert is_logged_in(response)


def test_one_address_is_paused_for_every_username_after_five_times_the_limit(settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    UserFactory(username="zoe", password=PASSWORD)
    client = Client()
    for number in range(10):  # two per username, ten in all
        login(client, f"guess{number // 2}", "wrong", ATTACKER)

    assert LOCKED in login(client, "zoe", PASSWORD, ATTACKER).text
    assert is_logged_in(login(Client(), "zoe", PASSWORD, COLLEAGUE))


def test_ipv6_clients_are_counted_per_64_block(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    client = Client()
    login(client, "alice", "wrong", "2001:db8:1:2::a")
    login(client, "alice", "wrong", "2001:db8:1:2::b")

    assert LOCKED in login(client, "alice", PASSWORD, "2001:db8:1:2::c").text
    assert is_logged_in(login(Client(), "alice", PASSWORD, "2001:db8:1:3::a"))


def test_a_correct_password_clears_that_address_count_only(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        login(client, "alice", "wrong", ATTACKER)
    assert is_logged_in(login(client, "alice", PASSWORD, ATTACKER))
    client.logout()
    for _ in range(2):
        login(client, "alice", "wrong", ATTACKER)

    assert is_logged_in(login(client, "alice", PASSWORD, ATTACKER))


def test_logins_failures_and_locks_are_audited_without_passwords(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    client = Client()
    login(client, "alice", "wrong-secret-1", ATTACKER)
    login(client, "alice", "wrong-secret-2", ATTACKER)
    login(client, "alice", PASSWORD, ATTACKER)  # refused while locked: not written down
    login(client, "hunter2-typed-as-username", "x", ATTACKER)
    login(Client(), "alice", PASSWORD, COLLEAGUE)

    events = list(
        AuditEvent.objects.order_by("id").values_list("action", "target", "details__address")
    )
    assert events == [
        ("login.failed", "alice", ATTACKER),
        ("login.failed", "alice", ATTACKER),
        ("login.locked", "alice", ATTACKER),
        ("login.failed", "(no such account)", ATTACKER),
        ("login.succeeded", "alice", COLLEAGUE),
    ]
    dump = repr(list(AuditEvent.objects.values()))
    for secret in ("wrong-secret", PASSWORD, "hunter2"):
        assert secret not in dump
    locked = AuditEvent.objects.get(action="login.locked")
    assert locked.details["scope"] == "username and address"
    assert AuditEvent.objects.get(action="login.succeeded").actor == alice


# --- password reset ----------------------------------------------------------------


def reset(client, email, address=ATTACKER):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_reset_answers_the_same_whether_or_not_the_account_exists(alice, client):
    known = reset(client, "alice@example.com")
    unknown = reset(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]


def test_reset_mails_to_one_account_stop_at_the_limit_with_the_same_answer(alice, client, settings):
    settings.PASSWORD_RESET_LIMIT = 2
    answers = [reset(client, "ALICE@example.com", f"192.0.2.{n}") for n in range(4)]

    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("password_reset_done"))
    }
    assert len(mail.outbox) == 2
    events = AuditEvent.objects.filter(action="password_reset.requested").order_by("id")
    assert [(e.target, e.details["sent"]) for e in events] == [
        ("alice", True),
        ("alice", True),
        ("alice", False),
        ("alice", False),
    ]


def test_an_unknown_address_is_counted_like_a_known_one(client, settings):
    settings.PASSWORD_RESET_LIMIT = 1
    reset(client, "nobody@example.com", "192.0.2.1")
    reset(client, "nobody@example.com", "192.0.2.2")

    events = AuditEvent.objects.filter(action="password_reset.requested").order_by("id")
    assert [(e.target, e.details["over_limit"]) for e in events] == [
        ("(no such account)", False),
        ("(no such account)", True),
    ]
    assert "nobody@example.com" not in repr(list(events.values()))


def test_reset_requests_from_one_address_are_refused_past_its_limit(alice, client, settings):
    settings.PASSWORD_RESET_LIMIT = 1  # five per address
    for number in range(5):
        assert reset(client, f"someone{number}@example.com").status_code == 302

    refused = reset(client, "alice@example.com")

    assert refused.status_code == 200
    assert "Too many password reset requests from your network" in refused.text
    assert mail.outbox == []
    assert reset(client, "alice@example.com", COLLEAGUE).status_code == 302
    assert len(mail.outbox) == 1
