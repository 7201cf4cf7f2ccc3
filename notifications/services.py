"""Writes: a round's schedule, firing a notice, sending one delivery exactly once.

Exactly once: a notice writes one Delivery per recipient (unique per notice and
person, or notice and team) and a worker *claims* a pending delivery in a
transaction (row lock, skip locked on PostgreSQL; SQLite's write transactions
are serial) before it sends, then records the outcome. A second worker, a
retried task or a duplicate task finds the row claimed or sent and does
nothing. A failed send goes back to pending with a later next_try_at and a new
deferred task (back-off); after SHIPSHAPE_NOTIFY_MAX_ATTEMPTS it is failed.

Everything that enqueues does it inside the transaction that decided it: with
the database task backend the task rows commit with the schedule, or not at all.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessment.audit import audit_record
from assessment.models import AuditEvent
from notifications import tasks
from notifications.emails import EMAIL_KINDS, build_email
from notifications.models import Delivery, Notice, Preference, TeamWebhook
from notifications.selectors import email_recipient_ids, webhook_team_ids
from notifications.webhooks import chat_text, post
from surveys.models import SurveyRound, Team

logger = logging.getLogger(__name__)

DEFAULT_REMINDER_OFFSETS = (timedelta(days=7), timedelta(days=1))
MAX_REMINDER_OFFSETS = 5
CLOSING_SOON = timedelta(days=1)
MANUAL_REMINDER_INTERVAL = timedelta(hours=24)
# A claim older than this belongs to a worker that stopped while sending.
STALE_CLAIM = timedelta(minutes=15)


# --- the schedule ------------------------------------------------------------------


def _desired(survey_round: SurveyRound, offsets: Iterable[timedelta]) -> dict:
    """(kind, offset) -> due time, from the round's dates as they are now."""
    desired = {
        (Notice.Kind.ROUND_OPENED, timedelta(0)): survey_round.opens_at,
        (Notice.Kind.CLOSING_SOON, timedelta(0)): survey_round.closes_at - CLOSING_SOON,
        (Notice.Kind.RESULTS_READY, timedelta(0)): survey_round.closes_at,
    }
    for offset in offsets:
        desired[(Notice.Kind.REMINDER, offset)] = survey_round.closes_at - offset
    return desired


def _enqueue_fire(notice: Notice, now: datetime) -> None:
    run_after = notice.due_at if notice.due_at > now else None
    tasks.fire_notice.using(run_after=run_after).enqueue(notice.pk)


def _plan(notice: Notice, due_at: datetime, survey_round: SurveyRound, now: datetime) -> None:
    """Set a not-yet-sent notice to its due time, or skip it when its moment has passed."""
    notice.due_at = due_at
    if survey_round.is_closed(now) and survey_round.opens_at <= now and notice.pk is None:
        # A round entered after it closed (history): nothing to announce.
        notice.state, notice.note = (
            Notice.State.SKIPPED,
            "The round had closed when it was created.",
        )
    elif notice.kind in (Notice.Kind.REMINDER, Notice.Kind.CLOSING_SOON) and (
        due_at <= now or due_at < survey_round.opens_at
    ):
        # A reminder is about a moment before closing; late, it would mislead.
        notice.state, notice.note = (
            Notice.State.SKIPPED,
            "Its time had passed or came before opening.",
        )
    else:
        notice.state, notice.note = Notice.State.SCHEDULED, ""
    notice.save()
    if notice.state == Notice.State.SCHEDULED:
        _enqueue_fire(notice, now)


def reminder_offsets(survey_round: SurveyRound) -> list[timedelta]:
    """The round's reminder offsets (not cancelled), longest first."""
    return sorted(
        survey_round.notices.filter(kind=Notice.Kind.REMINDER)
        .exclude(state=Notice.State.CANCELLED)
        .values_list("offset", flat=True),
        reverse=True,
    )


def round_schedule(
    *, survey_round: SurveyRound, offsets: Iterable[timedelta] | None = None
) -> list[Notice]:
    """(Re)compute the round's schedule from its dates; idempotent.

    Notices already sent stay sent (each goes out once). Others move to their
    new time, or are skipped when that time has passed; reminders at offsets no
    longer wanted are cancelled. ``offsets`` None keeps the round's own.
    """
    now = timezone.now()
    with transaction.atomic():
        # One schedule change at a time per round.
        SurveyRound.objects.select_for_update().filter(pk=survey_round.pk).first()
        existing = {
            (n.kind, n.offset): n
            for n in survey_round.notices.exclude(kind=Notice.Kind.MANUAL_REMINDER)
        }
        if offsets is None:
            offsets = reminder_offsets(survey_round) if existing else DEFAULT_REMINDER_OFFSETS
        desired = _desired(survey_round, offsets)
        for (kind, offset), due_at in desired.items():
            notice = existing.get((kind, offset)) or Notice(
                round=survey_round, kind=kind, offset=offset
            )
            if notice.state == Notice.State.FIRED:
                continue
            if (
                notice.pk is not None
                and notice.state == Notice.State.SCHEDULED
                and (notice.due_at == due_at)
            ):
                continue  # unchanged; its task is queued already
            _plan(notice, due_at, survey_round, now)
        for key, notice in existing.items():
            if key not in desired and notice.state == Notice.State.SCHEDULED:
                notice.state, notice.note = Notice.State.CANCELLED, "Offset removed."
                notice.save(update_fields=["state", "note"])
    return list(survey_round.notices.order_by("due_at", "pk"))


def parse_offsets(text: str) -> list[timedelta]:
    """ "7d, 1d, 12h" -> offsets before closing; a bare number is days. Raises ValidationError."""
    offsets = []
    for part in text.replace(";", ",").split(","):
        part = part.strip().lower()
        if not part:
            continue
        unit = part[-1] if part[-1] in "dh" else "d"
        number = part[:-1] if part[-1] in "dh" else part
        if not number.strip().isdigit():
            raise ValidationError(
                f"{part!r} is not an offset: write days or hours before closing, like 7d, 1d, 12h."
            )
        value = int(number)
        offset = timedelta(days=value) if unit == "d" else timedelta(hours=value)
        if not timedelta(hours=1) <= offset <= timedelta(days=90):
            raise ValidationError(f"{part!r}: an offset must be between 1 hour and 90 days.")
        offsets.append(offset)
    offsets = sorted(set(offsets), reverse=True)
    if len(offsets) > MAX_REMINDER_OFFSETS:
        raise ValidationError(f"At most {MAX_REMINDER_OFFSETS} reminders per round.")
    return offsets


def reminder_offsets_set(
    *, survey_round: SurveyRound, offsets: Iterable[timedelta], actor: User | None = None
) -> list[Notice]:
    """A facilitator sets the round's reminder times (before closing)."""
    offsets = list(offsets)
    with transaction.atomic():
        notices = round_schedule(survey_round=survey_round, offsets=offsets)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.REMINDERS_CHANGED,
            target=survey_round.name,
            hours_before_closing=[int(o.total_seconds() // 3600) for o in offsets],
        )
    return notices


def reminder_send_now(*, survey_round: SurveyRound, actor: User | None = None) -> Notice:
    """A reminder to everyone who has not submitted, now; at most once per 24 hours."""
    now = timezone.now()
    with transaction.atomic():
        # The round's row lock makes two clicks at once queue up; the second sees the first.
        survey_round = SurveyRound.objects.select_for_update().get(pk=survey_round.pk)
        if not survey_round.is_open(now):
            raise ValidationError("Reminders can only be sent while the round is open.")
        last = (
            survey_round.notices.filter(kind=Notice.Kind.MANUAL_REMINDER)
            .order_by("-created_at")
            .first()
        )
        if last is not None and now - last.created_at < MANUAL_REMINDER_INTERVAL:
            again = timezone.localtime(last.created_at + MANUAL_REMINDER_INTERVAL)
            raise ValidationError(
                f"A reminder was sent less than 24 hours ago; the next one can go at "
                f"{again:%-d %B %Y, %H:%M}."
            )
        notice = Notice.objects.create(
            round=survey_round,
            kind=Notice.Kind.MANUAL_REMINDER,
            due_at=now,
            created_by=actor,
            created_at=now,
        )
        _enqueue_fire(notice, now)
        audit_record(actor=actor, action=AuditEvent.Action.REMINDER_SENT, target=survey_round.name)
    return notice


# --- firing and sending ------------------------------------------------------------


def deliveries_recover(*, now: datetime | None = None) -> int:
    """Deliveries claimed by a worker that stopped while sending them become failed.

    Not retried: the message may have gone out, and once matters more here
    than at least once. The round page shows them with the other failures.
    """
    now = now or timezone.now()
    return Delivery.objects.filter(
        status=Delivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(
        status=Delivery.Status.FAILED,
        last_error="The worker stopped while sending; it may have gone out, so it is not resent.",
    )


def notice_fire(*, notice_id: int) -> int:
    """Write the deliveries of a due notice and queue their sending. Returns how many.

    A notice fires once: the row lock and its state make a duplicate or early
    task (the round was extended since it was queued) do nothing.
    """
    now = timezone.now()
    deliveries_recover(now=now)
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(of=("self",))
            .select_related("round")
            .filter(pk=notice_id, state=Notice.State.SCHEDULED, due_at__lte=now)
            .first()
        )
        if notice is None:
            return 0
        survey_round = notice.round
        wrong_time = (
            notice.kind == Notice.Kind.RESULTS_READY and not survey_round.is_closed(now)
        ) or (notice.kind != Notice.Kind.RESULTS_READY and not survey_round.is_open(now))
        if wrong_time:
            notice.state, notice.note = (
                Notice.State.SKIPPED,
                "The round was not open (or not closed).",
            )
            notice.save(update_fields=["state", "note"])
            return 0
        rows = []
        if notice.kind in EMAIL_KINDS:
            rows += [
                Delivery(notice=notice, channel=Delivery.Channel.EMAIL, user_id=user_id)
                for user_id in email_recipient_ids(notice)
            ]
        rows += [
            Delivery(notice=notice, channel=Delivery.Channel.WEBHOOK, team_id=team_id)
            for team_id in webhook_team_ids(notice)
        ]
        # Insert-if-absent: the unique constraints keep one row per person (or team).
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        notice.state, notice.fired_at = Notice.State.FIRED, now
        notice.save(update_fields=["state", "fired_at"])
        for delivery_id in notice.deliveries.filter(status=Delivery.Status.PENDING).values_list(
            "pk", flat=True
        ):
            tasks.send_delivery.enqueue(delivery_id)
    return len(rows)


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notice__round", "user", "team")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING, next_try_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        delivery.status = Delivery.Status.SENDING
        delivery.attempts += 1
        delivery.claimed_at = now
        delivery.save(update_fields=["status", "attempts", "claimed_at"])
    return delivery


def _finish(delivery: Delivery, status: str, error: str = "") -> None:
    now = timezone.now()
    delivery.status, delivery.last_error = status, error[:300]
    fields = ["status", "last_error"]
    if status == Delivery.Status.SENT:
        delivery.sent_at = now
        fields.append("sent_at")
    with transaction.atomic():
        if status == Delivery.Status.PENDING:
            base = settings.SHIPSHAPE_NOTIFY_RETRY_SECONDS
            delivery.next_try_at = now + timedelta(seconds=base * 4 ** (delivery.attempts - 1))
            fields.append("next_try_at")
            tasks.send_delivery.using(run_after=delivery.next_try_at).enqueue(delivery.pk)
        delivery.save(update_fields=fields)


def _still_wanted(delivery: Delivery) -> bool:
    category = EMAIL_KINDS[delivery.notice.kind].category
    preference = Preference.objects.filter(user=delivery.user_id).first()
    return preference is None or getattr(preference, category)


def _send(delivery: Delivery) -> bool:
    """Send it; False when there is nothing to send any more. Raises when sending fails."""
    notice = delivery.notice
    if delivery.channel == Delivery.Channel.WEBHOOK:
        hook = TeamWebhook.objects.filter(team=delivery.team_id).first()
        if hook is None:
            return False
        post(hook.url, chat_text(notice, delivery.team))
        return True
    if not (delivery.user.is_active and delivery.user.email and _still_wanted(delivery)):
        return False
    # Built now: a reminder to someone who submitted since the notice fired is dropped.
    message = build_email(notice, delivery.user)
    if message is None:
        return False
    message.send()
    return True


def delivery_send(*, delivery_id: int) -> str:
    """Claim one delivery, send it, record the outcome. Returns the new status."""
    delivery = _claim(delivery_id, timezone.now())
    if delivery is None:
        return "not-claimed"
    try:
        sent = _send(delivery)
    except Exception as error:  # SMTP, network, chat server: recorded and retried
        logger.warning(
            "Notification delivery %s (%s, attempt %s) failed: %s",
            delivery.pk,
            delivery.channel,
            delivery.attempts,
            error,
        )
        give_up = delivery.attempts >= settings.SHIPSHAPE_NOTIFY_MAX_ATTEMPTS
        _finish(
            delivery,
            Delivery.Status.FAILED if give_up else Delivery.Status.PENDING,
            f"{type(error).__name__}: {error}",
        )
        return delivery.status
    _finish(delivery, Delivery.Status.SENT if sent else Delivery.Status.SKIPPED)
    return delivery.status


# --- people's settings and teams' chats ----------------------------------------------


def preference_set(*, user: User, reminders: bool | None = None, announcements: bool | None = None):
    preference, _ = Preference.objects.get_or_create(user=user)
    if reminders is not None:
        preference.reminders = reminders
    if announcements is not None:
        preference.announcements = announcements
    preference.save()
    return preference


@transaction.atomic
def team_webhook_set(*, team: Team, url: str, actor: User | None = None) -> TeamWebhook | None:
    """Set (or with an empty url, remove) a team's chat webhook.

    The audit log gets the host only: a webhook URL's path is its secret.
    """
    url = url.strip()
    if not url:
        deleted, _ = TeamWebhook.objects.filter(team=team).delete()
        if deleted:
            audit_record(
                actor=actor, action=AuditEvent.Action.WEBHOOK_CHANGED, target=team.name, host=""
            )
        return None
    hook = TeamWebhook.objects.filter(team=team).first() or TeamWebhook(team=team)
    hook.url, hook.updated_by = url, actor
    hook.full_clean()
    hook.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.WEBHOOK_CHANGED,
        target=team.name,
        host=urlsplit(url).hostname or "",
    )
    return hook
