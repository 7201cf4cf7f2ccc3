"""Teams, quarterly survey rounds, responses and answers.

A respondent's identity is stored only to enforce one response per person per
team and round, and to let them resume; no report or export reads it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from assessment.models import Choice, Question, Questionnaire


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    group = models.CharField(
        "group / department", max_length=120, blank=True, help_text="Used for roll-ups."
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        LEAD = "lead", "Lead"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_user_team_unique"),
            models.CheckConstraint(
                condition=Q(role__in=["member", "lead"]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


def validate_min_k(value: int) -> None:
    """A round's k may be raised above the server's floor, never lowered below it."""
    floor = settings.SHIPSHAPE_MIN_K
    if value is not None and value < floor:
        raise ValidationError(
            "The minimum group size must be at least %(floor)s: smaller groups would let "
            "people work out who answered what.",
            code="min_k",
            params={"floor": floor},
        )


class SurveyRoundQuerySet(models.QuerySet):
    def open(self, now=None):
        now = now or timezone.now()
        return self.filter(opens_at__lte=now, closes_at__gt=now)

    def closed(self, now=None):
        return self.filter(closes_at__lte=now or timezone.now())

    def upcoming(self, now=None):
        return self.filter(opens_at__gt=now or timezone.now())


class SurveyRound(models.Model):
    class Status(models.TextChoices):
        UPCOMING = "upcoming", "Not yet open"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=60, unique=True, help_text='For example "2026 Q4".')
    slug = models.SlugField(max_length=60, unique=True)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="rounds"
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    teams = models.ManyToManyField(Team, related_name="rounds")
    min_respondents = models.PositiveSmallIntegerField(
        "minimum group size (k)",
        default=3,
        validators=[validate_min_k, MaxValueValidator(50)],
        help_text="Results of fewer respondents are withheld from everyone, the team included.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SurveyRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at"]
        get_latest_by = "opens_at"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="round_closes_after_opening"
            ),
            # The floor of SHIPSHAPE_MIN_K; a higher setting is enforced by validate_min_k.
            models.CheckConstraint(
                condition=Q(min_respondents__gte=3), name="round_min_respondents_at_least_3"
            ),
        ]
        permissions = [
            ("run_rounds", "Can run survey rounds and manage teams"),
            ("view_org_dashboard", "Can view organisation dashboards"),
            ("export_results", "Can export results"),
        ]

    def __str__(self) -> str:
        return self.name

    def status(self, now=None) -> str:
        now = now or timezone.now()
        if now < self.opens_at:
            return self.Status.UPCOMING
        if now >= self.closes_at:
            return self.Status.CLOSED
        return self.Status.OPEN

    def is_open(self, now=None) -> bool:
        return self.status(now) == self.Status.OPEN

    def is_closed(self, now=None) -> bool:
        return self.status(now) == self.Status.CLOSED


class RoundMember(models.Model):
    """Who belonged to a team when a round closed: recorded once, never changed.

    Team-level rights over a closed round (its dashboard, its reflections) and
    its participation rate follow this record, not today's memberships, so
    joining a team later (or a facilitator adding themselves) opens nothing
    about rounds that closed before. See docs/privacy.md.
    """

    round = models.ForeignKey(
        SurveyRound, on_delete=models.CASCADE, related_name="members_at_close"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members_at_close")
    # SET_NULL keeps the count right when an account is deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="round_memberships",
    )
    role = models.CharField(max_length=16, choices=Membership.Role.choices)

    class Meta:
        ordering = ["round", "team", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "team", "user"], name="round_member_once_per_team"
            ),
        ]
        indexes = [models.Index(fields=["user", "round"], name="round_member_by_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} at the close of {self.round}"


class RoundClose(models.Model):
    """Marks that a round's members at close have been recorded (one row per round)."""

    round = models.OneToOneField(SurveyRound, on_delete=models.CASCADE, related_name="close_record")
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.round} closed, members recorded {self.recorded_at:%Y-%m-%d %H:%M}"


class ResponseQuerySet(models.QuerySet):
    def submitted(self):
        return self.filter(status=Response.Status.SUBMITTED)

    def drafts(self):
        return self.filter(status=Response.Status.DRAFT)

    def for_team(self, team):
        return self.filter(team=team)


class Response(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    round = models.ForeignKey(SurveyRound, on_delete=models.CASCADE, related_name="responses")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="responses")
    # Kept only for one-response-per-person and resuming; never reported.
    # SET_NULL keeps the anonymous answers when an account is deleted.
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    last_page = models.PositiveSmallIntegerField(default=0)
    prefilled_from_previous = models.BooleanField(default=False)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["round", "team", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "team", "respondent"], name="response_one_per_person"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"]), name="response_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="response_submitted_has_timestamp",
            ),
        ]
        indexes = [models.Index(fields=["round", "team", "status"])]

    def __str__(self) -> str:
        return f"Response #{self.pk} ({self.round} / {self.team}, {self.status})"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    choice = models.ForeignKey(
        Choice, null=True, blank=True, on_delete=models.PROTECT, related_name="answers"
    )
    number = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    text = models.TextField(blank=True, max_length=Question.TEXT_MAX_LENGTH)
    # The practices ticked on a checklist question (`number` counts them): rows
    # the database ties to real choices, unlike a JSON list of ids.
    ticked = models.ManyToManyField(Choice, blank=True, related_name="ticked_in")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["response", "question"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="answer_one_per_question"
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(number__gte=0, number__lte=100),
                name="answer_number_percent",
            ),
            models.CheckConstraint(
                condition=Q(choice__isnull=True) | Q(number__isnull=True),
                name="answer_choice_or_number",
            ),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.question_id} in response {self.response_id}"
