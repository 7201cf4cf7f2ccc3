"""Who gets which email, when: the schedule run by the worker's code, time moved on."""

import email.policy
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from notifications.models import Delivery, Notice
from notifications.services import (
    delivery_send,
    notice_fire,
    preference_set,
    reminder_send_now,
    round_schedule,
)
from surveys.services import round_close, round_extend
from tests.notifications.world import CLOSES, OPENS
from tests.tasks import queued_task_paths, run_queued_tasks


def _to(kind_subject: str) -> list[str]:
    return sorted(m.to[0].split("@")[0] for m in mail.outbox if kind_subject in m.subject)


def _schedule(survey_round) -> list[tuple[str, timedelta, object, str]]:
    return [
        (n.kind, n.offset, n.due_at, n.state)
        for n in Notice.objects.filter(round=survey_round).order_by("due_at", "kind")
    ]


def test_creating_a_round_schedules_its_notices_as_deferred_tasks(world):
    assert _schedule(world.round) == [
        ("round_opened", timedelta(0), OPENS, "scheduled"),
        ("reminder", timedelta(days=7), CLOSES - timedelta(days=7), "scheduled"),
        ("closing_soon", timedelta(0), CLOSES - timedelta(days=1), "scheduled"),
        ("reminder", timedelta(days=1), CLOSES - timedelta(days=1), "scheduled"),
        ("results_ready", timedelta(0), CLOSES, "scheduled"),
    ]
    assert queued_task_paths() == ["notifications.tasks.fire_notice"] * 5
    # Nothing is due yet: the worker has nothing to run.
    assert run_queued_tasks() == 0
    assert mail.outbox == []


def test_a_quarter_of_notices_goes_to_the_right_people(world, time_machine):
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)
    run_queued_tasks()
    assert _to("is open") == ["ana", "ben", "cat", "dan", "lena", "sam", "sue"]

    for name in ("ana", "ben", "cat", "lena", "sam"):
        world.submit(name)
    mail.outbox.clear()
    time_machine.move_to(CLOSES - timedelta(days=7, minutes=-1), tick=False)
    run_queued_tasks()
    # Only who has not submitted; nobody who has.
    assert _to("Reminder") == ["dan", "sue"]

    mail.outbox.clear()
    time_machine.move_to(CLOSES + timedelta(minutes=1), tick=False)
    run_queued_tasks()
    # Payments (5 submitted... 4 of 5) is released; Search (1 of 2) is withheld, so
    # its members hear nothing. The facilitator hears about the released team.
    assert _to("Results") == ["ana", "ben", "cat", "dan", "fran", "lena"]
    for message in mail.outbox:
        assert "Payments" in message.body and "Search" not in message.body
        assert "/reports/teams/payments/" in message.body


def test_the_one_day_reminder_skips_who_submitted_since_the_first(world, time_machine):
    time_machine.move_to(CLOSES - timedelta(days=7, minutes=-1), tick=False)
    run_queued_tasks()
    assert "dan" in _to("Reminder")
    world.submit("dan")
    mail.outbox.clear()

    time_machine.move_to(CLOSES - timedelta(days=1, minutes=-1), tick=False)
    run_queued_tasks()

    assert "dan" not in _to("Reminder")
    assert _to("Reminder") == ["ana", "ben", "cat", "lena", "sam", "sue"]


def test_someone_who_submits_between_firing_and_sending_gets_no_reminder(world, time_machine):
    time_machine.move_to(CLOSES - timedelta(days=7, minutes=-1), tick=False)
    notice = Notice.objects.get(round=world.round, kind="reminder", offset=timedelta(days=7))
    notice_fire(notice_id=notice.pk)
    world.submit("dan")

    run_queued_tasks()

    assert "dan" not in _to("Reminder")
    assert Delivery.objects.get(notice=notice, user=world.people["dan"]).status == "skipped"


def test_no_email_names_anyone_but_its_recipient_nor_carries_scores(world, time_machine):
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)
    for name in ("ana", "ben", "cat"):
        world.submit(name)
    for when in (CLOSES - timedelta(days=7), CLOSES - timedelta(days=1), CLOSES):
        time_machine.move_to(when + timedelta(minutes=1), tick=False)
        run_queued_tasks()
    names = {"Ana", "Ben", "Cat", "Dan", "Lena", "Sam", "Sue", "fran", "maggie"}
    assert len(mail.outbox) > 10
    for message in mail.outbox:
        html = message.alternatives[0][0]
        for text in (message.body, html):
            own = message.to[0].split("@")[0]
            others = {n for n in names if n.lower() != own}
            assert not any(re.search(rf"\b{n}\b", text) for n in others), (message.to, text)
            assert "score" not in text.lower()


def test_every_email_has_unsubscribe_links_and_headers(world, time_machine):
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)
    run_queued_tasks()
    message = next(m for m in mail.outbox if m.to == ["dan@example.com"])

    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(r"<http://127\.0\.0\.1:8000/notifications/unsubscribe/[^/]+/>", unsubscribe)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # As the SMTP backend writes it: one line, not folded into RFC 2047 encoded words.
    raw = message.message(policy=email.policy.SMTP).as_bytes()
    assert f"\r\nList-Unsubscribe: {unsubscribe}\r\n".encode() in raw
    assert "Stop reminder emails: http://127.0.0.1:8000/notifications/unsubscribe/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Stop reminder emails</a>" in html
    start = reverse("surveys:start", args=[world.round.slug, "payments"])
    assert f"http://127.0.0.1:8000{start}" in message.body


def test_extending_a_round_moves_what_is_not_sent_yet(world, time_machine):
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)
    run_queued_tasks()
    later = CLOSES + timedelta(days=7)

    round_extend(survey_round=world.round, closes_at=later)

    assert _schedule(world.round) == [
        ("round_opened", timedelta(0), OPENS, "fired"),
        ("reminder", timedelta(days=7), later - timedelta(days=7), "scheduled"),
        ("closing_soon", timedelta(0), later - timedelta(days=1), "scheduled"),
        ("reminder", timedelta(days=1), later - timedelta(days=1), "scheduled"),
        ("results_ready", timedelta(0), later, "scheduled"),
    ]
    # The tasks queued for the old times find their notice moved and do nothing.
    mail.outbox.clear()
    time_machine.move_to(CLOSES - timedelta(days=7, minutes=-1), tick=False)
    run_queued_tasks()
    assert mail.outbox == []
    time_machine.move_to(later - timedelta(days=7, minutes=-1), tick=False)
    run_queued_tasks()
    assert len(_to("Reminder")) == 7


def test_closing_early_skips_reminders_and_sends_results_now(world, time_machine):
    time_machine.move_to(OPENS + timedelta(days=1), tick=False)
    for name in ("ana", "ben", "cat"):
        world.submit(name)
    mail.outbox.clear()

    round_close(survey_round=world.round)
    run_queued_tasks()

    states = {(kind, offset): state for kind, offset, _, state in _schedule(world.round)}
    assert states[("reminder", timedelta(days=7))] == "skipped"
    assert states[("reminder", timedelta(days=1))] == "skipped"
    assert states[("results_ready", timedelta(0))] == "fired"
    assert _to("Results") == ["ana", "ben", "cat", "dan", "fran", "lena"]
    assert _to("Reminder") == []


def test_changing_reminder_offsets_reschedules_and_cancels(world):
    round_schedule(survey_round=world.round, offsets=[timedelta(days=3), timedelta(hours=12)])

    reminders = {
        n.offset: n.state for n in Notice.objects.filter(round=world.round, kind="reminder")
    }
    assert reminders == {
        timedelta(days=7): "cancelled",
        timedelta(days=1): "cancelled",
        timedelta(days=3): "scheduled",
        timedelta(hours=12): "scheduled",
    }


def test_sending_twice_sends_once(world, time_machine):
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)
    notice = Notice.objects.get(round=world.round, kind="round_opened")
    assert notice_fire(notice_id=notice.pk) == 7
    # A duplicate task for the same notice finds it fired.
    assert notice_fire(notice_id=notice.pk) == 0
    delivery = Delivery.objects.get(notice=notice, user=world.people["ana"])

    assert delivery_send(delivery_id=delivery.pk) == "sent"
    assert delivery_send(delivery_id=delivery.pk) == "not-claimed"
    assert len(mail.outbox) == 1


def test_a_failed_send_is_retried_with_back_off_then_marked_failed(
    world, time_machine, monkeypatch, settings
):
    settings.SHIPSHAPE_NOTIFY_MAX_ATTEMPTS = 3
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    run_queued_tasks()
    delivery = Delivery.objects.get(notice__kind="round_opened", user=world.people["ana"])
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_try_at == OPENS + timedelta(minutes=1, seconds=60)
    assert "SMTP server down" in delivery.last_error

    time_machine.move_to(delivery.next_try_at, tick=False)
    run_queued_tasks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert delivery.next_try_at == OPENS + timedelta(minutes=1, seconds=60 + 240)

    time_machine.move_to(delivery.next_try_at, tick=False)
    run_queued_tasks()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert (
        queued_task_paths() == ["notifications.tasks.fire_notice"] * 4
    )  # the rest of the schedule


@pytest.mark.parametrize("category", ["reminders", "announcements"])
def test_who_turned_a_category_off_gets_none_of_it(world, time_machine, category):
    preference_set(user=world.people["dan"], **{category: False})
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)
    run_queued_tasks()
    time_machine.move_to(CLOSES - timedelta(days=7, minutes=-1), tick=False)
    run_queued_tasks()

    assert ("dan" in _to("is open")) == (category != "announcements")
    assert ("dan" in _to("Reminder")) == (category != "reminders")


def test_a_delivery_left_sending_by_a_stopped_worker_shows_as_failed(world, time_machine):
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)
    notice = Notice.objects.get(round=world.round, kind="round_opened")
    notice_fire(notice_id=notice.pk)
    # A worker claimed two deliveries and was killed before it recorded the outcome.
    stuck = list(Delivery.objects.filter(notice=notice).order_by("pk")[:2])
    Delivery.objects.filter(pk=stuck[0].pk).update(status="sending", claimed_at=OPENS, attempts=1)
    Delivery.objects.filter(pk=stuck[1].pk).update(
        status="sending", claimed_at=OPENS + timedelta(minutes=1), attempts=1
    )
    time_machine.move_to(OPENS + timedelta(minutes=15, seconds=30), tick=False)
    run_queued_tasks()  # the other five are sent; the stuck ones are not sent again

    manual = reminder_send_now(survey_round=world.round)
    notice_fire(notice_id=manual.pk)

    first, second = (Delivery.objects.get(pk=d.pk) for d in stuck)
    assert first.status == "failed" and "stopped while sending" in first.last_error
    assert second.status == "sending"  # claimed less than 15 minutes ago
    opened = [m for m in mail.outbox if "is open" in m.subject]
    assert len(opened) == 5
