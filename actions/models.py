"""Improvement actions: what a team agreed to change, carried from round to round.

An action belongs to a team and is raised in a round; it targets one practice
category of the questionnaire, and optionally some of its questions, by their
stable keys (so it can be measured in later rounds even when the questionnaire
version changes). Its status changes are kept as history rows.

Whether an action "worked" is not stored: ``reports.selectors.action_outcomes``
reads it from the released scores, with the privacy policy applied.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from surveys.models import SurveyRound, Team

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000


class ActionQuerySet(models.QuerySet):
    def for_team(self, team):
        return self.filter(team=team)

    def open(self):
        """Planned or in progress: carried over to every later round until closed."""
        return self.filter(status__in=Action.OPEN_STATUSES)

    def done(self):
        return self.filter(status=Action.Status.DONE)


class Action(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="actions")
    raised_in = models.ForeignKey(
        SurveyRound,
        on_delete=models.PROTECT,
        related_name="actions_raised",
        help_text="The round whose results the action responds to.",
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    category_key = models.CharField("category", max_length=64)
    # Question keys within the category; empty means the whole category.
    question_keys = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_actions",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    target_round = models.ForeignKey(
        SurveyRound,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions_due",
        help_text="The round by which it should be done.",
    )
    done_in = models.ForeignKey(
        SurveyRound,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions_done",
        help_text="The first round whose answers can show the change: set when marked done.",
    )
    visible_to_managers = models.BooleanField(
        "visible to managers",
        default=False,
        help_text="Managers always see how many actions a team planned and finished; "
        "with this ticked they also see this action's title and outcome.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["team", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["planned", "in_progress", "done", "dropped"]),
                name="action_status_valid",
            ),
            # A done action stays linked to the round it was done in; no other is.
            models.CheckConstraint(
                condition=(Q(status="done") & Q(done_in__isnull=False))
                | (~Q(status="done") & Q(done_in__isnull=True)),
                name="action_done_has_round",
            ),
            # A double submit of the form finds this and changes nothing.
            models.UniqueConstraint(
                fields=["team", "raised_in", "title"], name="action_title_once_per_round"
            ),
        ]
        indexes = [models.Index(fields=["team", "status"], name="action_by_team_status")]

    def __str__(self) -> str:
        return f"{self.title} ({self.team}, {self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ActionStatusChange(models.Model):
    """One row per status change of an action: who, when, from, to (creation included)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="history")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    # Empty for the row written when the action is created.
    from_status = models.CharField(max_length=16, choices=Action.Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Action.Status.choices)

    class Meta:
        ordering = ["action", "changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")), name="action_change_changes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.from_status or 'new'} -> {self.to_status}"
