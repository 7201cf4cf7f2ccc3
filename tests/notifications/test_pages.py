"""The round page's panel, sending a reminder now, chat webhooks, the profile and unsubscribing."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from assessment.models import AuditEvent
from notifications.models import Delivery, Notice, Preference, TeamWebhook
from notifications.tokens import make_token
from tests.notifications.world import OPENS
from tests.tasks import run_queued_tasks


@pytest.fixture
def fclient(client, world):
    client.force_login(world.people["fran"])
    return client


def _round_page(client, world) -> str:
    return client.get(reverse("surveys:round_detail", args=[world.round.slug])).content.decode()


def test_the_round_page_shows_the_schedule_and_what_was_sent(fclient, world, time_machine):
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)
    run_queued_tasks()
    Delivery.objects.filter(user=world.people["sue"]).update(status="failed", attempts=5)
    fclient.force_login(world.people["fran"])  # a facilitator idle for a day was signed out

    page = _round_page(fclient, world)

    assert "Notifications" in page
    assert "Reminder, 7 days before closing" in page and "Reminder, 1 day before closing" in page
    assert 'data-notice="round_opened"' in page
    row = page.split('data-notice="round_opened"')[1].split("</tr>")[0]
    assert '<td class="text-end" data-count="sent">6</td>' in row
    assert 'data-count="failed">1</td>' in row
    assert "1 message could not be sent after every retry" in page
    # Counts only: the panel names nobody.
    assert "sue" not in page.lower().split("notifications-title")[1]


def test_a_facilitator_sends_a_reminder_now_at_most_once_a_day(fclient, world, time_machine):
    time_machine.move_to(OPENS + timedelta(days=2), tick=False)
    world.submit("ana")
    fclient.force_login(world.people["fran"])
    url = reverse("notifications:round_remind_now", args=[world.round.slug])

    first = fclient.post(url, follow=True)
    second = fclient.post(url, follow=True)
    run_queued_tasks()

    assert "A reminder is on its way" in first.content.decode()
    assert list(
        AuditEvent.objects.filter(action="reminder.sent").values_list("actor_username", "target")
    ) == [("fran", "2026 Q2")]
    assert "A reminder was sent less than 24 hours ago" in second.content.decode()
    assert Notice.objects.filter(kind="manual_reminder").count() == 1
    reminded = sorted(m.to[0].split("@")[0] for m in mail.outbox if "Reminder" in m.subject)
    assert reminded == ["ben", "cat", "dan", "lena", "sam", "sue"]
    time_machine.move_to(OPENS + timedelta(days=3, minutes=1), tick=False)
    fclient.force_login(world.people["fran"])
    fclient.post(url)
    assert Notice.objects.filter(kind="manual_reminder").count() == 2


def test_no_reminder_now_before_the_round_opens(fclient, world):
    response = fclient.post(
        reverse("notifications:round_remind_now", args=[world.round.slug]), follow=True
    )
    assert "only be sent while the round is open" in response.content.decode()
    assert not Notice.objects.filter(kind="manual_reminder").exists()


@pytest.mark.parametrize(
    ("offsets", "message", "saved"),
    [
        ("7d, 2d, 12h", "rescheduled", {timedelta(days=7), timedelta(days=2), timedelta(hours=12)}),
        ("", "rescheduled", set()),
        ("soon", "is not an offset", {timedelta(days=7), timedelta(days=1)}),
        ("200d", "between 1 hour and 90 days", {timedelta(days=7), timedelta(days=1)}),
        ("1d,2d,3d,4d,5d,6d", "At most 5", {timedelta(days=7), timedelta(days=1)}),
    ],
)
def test_reminder_offsets_are_set_on_the_round_page(fclient, world, offsets, message, saved):
    response = fclient.post(
        reverse("notifications:round_reminders", args=[world.round.slug]),
        {"offsets": offsets},
        follow=True,
    )
    assert message in response.content.decode()
    changed = AuditEvent.objects.filter(action="reminders.changed")
    if message == "rescheduled":
        hours = sorted((int(o.total_seconds() // 3600) for o in saved), reverse=True)
        assert list(changed.values_list("target", "details")) == [
            ("2026 Q2", {"hours_before_closing": hours})
        ]
    else:
        assert not changed.exists()
    assert (
        set(
            Notice.objects.filter(round=world.round, kind="reminder")
            .exclude(state="cancelled")
            .values_list("offset", flat=True)
        )
        == saved
    )


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://chat.example.com/hooks/abc", True),
        ("http://chat.example.com:9000/hook", True),
        ("ftp://chat.example.com/hook", False),
        ("javascript:alert(1)", False),
        ("not a url", False),
    ],
)
def test_a_team_chat_webhook_must_be_http_or_https(fclient, world, url, ok):
    response = fclient.post(
        reverse("notifications:team_webhook", args=["payments"]), {"url": url}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("surveys:team_detail", args=["payments"])
    assert TeamWebhook.objects.filter(team=world.payments, url=url).exists() == ok
    events = AuditEvent.objects.filter(action="webhook.changed")
    if ok:
        # The host only: the path of a chat webhook is its secret.
        host = url.split("/")[2].split(":")[0]
        assert list(events.values_list("target", "details")) == [("Payments", {"host": host})]
        assert url not in str(events.get().details)
    else:
        assert not events.exists()
    if not ok:
        assert "must be an http:// or https:// address" in response.content.decode()


def test_the_team_page_shows_the_webhook_form(fclient, world):
    TeamWebhook.objects.create(team=world.payments, url="https://chat.example.com/hooks/abc")
    page = fclient.get(reverse("surveys:team_detail", args=["payments"])).content.decode()
    assert "Chat notices" in page and 'value="https://chat.example.com/hooks/abc"' in page


def test_the_profile_page_shows_and_changes_the_email_settings(client, world):
    client.force_login(world.people["dan"])
    page = client.get(reverse("profile")).content.decode()
    assert "Reminder emails" in page and "Round notices" in page
    assert "dan@example.com" in page

    response = client.post(
        reverse("notifications:preferences"), {"announcements": "on"}, follow=True
    )

    assert response.redirect_chain == [(reverse("profile"), 302)]
    assert "Email settings saved." in response.content.decode()
    preference = Preference.objects.get(user=world.people["dan"])
    assert (preference.reminders, preference.announcements) == (False, True)


def test_unsubscribing_from_a_link_needs_no_login_and_asks_first(client, world):
    url = reverse(
        "notifications:unsubscribe", args=[make_token(world.people["dan"].pk, "reminders")]
    )

    page = client.get(url).content.decode()
    assert "Stop reminder emails?" in page and "dan@example.com" in page
    assert not Preference.objects.filter(user=world.people["dan"]).exists()

    done = client.post(url)
    assert done.status_code == 200 and "Reminder emails stopped" in done.content.decode()
    assert Preference.objects.get(user=world.people["dan"]).reminders is False


def test_one_click_unsubscribe_posts_without_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    url = reverse(
        "notifications:unsubscribe", args=[make_token(world.people["ana"].pk, "announcements")]
    )

    response = client.post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    preference = Preference.objects.get(user=world.people["ana"])
    assert (preference.reminders, preference.announcements) == (True, False)


@pytest.mark.parametrize("token", ["nonsense", "WzEsInJlbWluZGVycyJd:forged", "x" * 300])
def test_a_forged_or_broken_unsubscribe_link_changes_nothing(client, world, token):
    response = client.post(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert not Preference.objects.exists()
