"""What is due to be sent about a round, and every message sent to each person or team.

A ``Notice`` is one entry of a round's schedule (round opened, a reminder at an
offset before closing, a reminder sent now, closing tomorrow, results ready).
When it fires, one ``Delivery`` per recipient is written; a unique constraint
per (notice, person) and (notice, team) is what makes a retry, a restarted
worker or two workers at once send each message at most once: a worker claims
a pending delivery in a transaction before sending it.
"""

from datetime import timedelta

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from surveys.models import SurveyRound, Team


class Notice(models.Model):
    class Kind(models.TextChoices):
        ROUND_OPENED = "round_opened", "Round opened"
        REMINDER = "reminder", "Reminder"
        MANUAL_REMINDER = "manual_reminder", "Reminder sent now"
        CLOSING_SOON = "closing_soon", "Closing tomorrow (chat)"
        RESULTS_READY = "results_ready", "Results ready"

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        FIRED = "fired", "Sent out"
        SKIPPED = "skipped", "Not sent"
        CANCELLED = "cancelled", "Cancelled"

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # Reminders: how long before closing. Zero for the other kinds.
    offset = models.DurationField(default=timedelta(0))
    due_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.SCHEDULED)
    note = models.CharField(max_length=200, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["round", "due_at", "id"]
        constraints = [
            # One schedule entry per kind and offset; reminders sent now are many.
            models.UniqueConstraint(
                fields=["round", "kind", "offset"],
                condition=~Q(kind="manual_reminder"),
                name="notice_once_per_round_kind_offset",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["scheduled", "fired", "skipped", "cancelled"]),
                name="notice_state_valid",
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="notice_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.round} due {self.due_at:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Chat webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # Not sent after all: the person submitted or unsubscribed in the meantime.
        SKIPPED = "skipped", "Not needed"

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # Email: the person. Webhook: the team.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["notice", "id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "user"],
                condition=Q(channel="email"),
                name="delivery_email_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["notice", "team"],
                condition=Q(channel="webhook"),
                name="delivery_webhook_once_per_team",
            ),
            models.CheckConstraint(
                condition=(Q(channel="email", user__isnull=False))
                | Q(channel="webhook", team__isnull=False),
                name="delivery_has_recipient",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed", "skipped"]),
                name="delivery_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_try_at"], name="delivery_due")]

    def __str__(self) -> str:
        to = (
            f"user {self.user_id}" if self.channel == self.Channel.EMAIL else f"team {self.team_id}"
        )
        return f"{self.notice} to {to}: {self.status}"


class Preference(models.Model):
    """A person's mail settings; no row means the defaults (everything on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    reminders = models.BooleanField(
        "reminder emails", default=True, help_text="Reminders to answer an open round."
    )
    announcements = models.BooleanField(
        "round notices",
        default=True,
        help_text="A round has opened; results of a round are ready.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Mail settings of {self.user}"


class TeamWebhook(models.Model):
    """A chat incoming-webhook URL (Slack, Teams, Mattermost) for a team's notices."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="chat_webhook")
    url = models.URLField(
        "chat webhook URL", max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Chat webhook of {self.team}"
