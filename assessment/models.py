"""The maturity model: versioned questionnaires, categories, questions and choices.

Question keys are stable across versions, so trends compare like with like when
the questionnaire changes. A published version that has answers is immutable.
"""

from django.apps import apps
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from assessment.kinds import KINDS, TEXT_MAX_LENGTH

KEY_VALIDATOR = RegexValidator(
    r"^[a-z0-9]+(-[a-z0-9]+)*$",
    "Use lowercase letters, digits and single hyphens, e.g. cicd-trunk-based.",
)


class QuestionnaireQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Questionnaire(models.Model):
    slug = models.CharField(max_length=64, validators=[KEY_VALIDATOR])
    version = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_published = models.BooleanField("published", default=False)
    # sha256 of the normalised file content: makes loading idempotent and lets
    # the loader tell "same file again" from "changed content".
    content_hash = models.CharField(max_length=64, editable=False, blank=True)
    # The file's `changes:` section: [{"key": ..., "note": ...}], what changed
    # since the version before, in the authors' words.
    changes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QuestionnaireQuerySet.as_manager()

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="questionnaire_slug_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="questionnaire_version_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def has_answers(self) -> bool:
        Answer = apps.get_model("surveys", "Answer")
        return Answer.objects.filter(question__questionnaire=self).exists()

    def is_locked(self) -> bool:
        """A published version with answers can no longer change in place."""
        return self.is_published and self.has_answers()


class Category(models.Model):
    class Kind(models.TextChoices):
        PRACTICE = "practice", "Practice (scored into maturity)"
        DELIVERY = "delivery", "Delivery performance (DORA)"

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="categories"
    )
    key = models.CharField(max_length=64, validators=[KEY_VALIDATOR])
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PRACTICE)
    order = models.PositiveSmallIntegerField(default=0)
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=1)

    class Meta:
        ordering = ["questionnaire", "order", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="category_key_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="category_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_scored(self) -> bool:
        return self.kind == self.Kind.PRACTICE


class Question(models.Model):
    # One member per entry of the kinds table (assessment.kinds): Kind.SCALE, ...
    Kind = models.TextChoices(
        "Kind", [(kind.key.upper(), (kind.key, kind.label)) for kind in KINDS.values()]
    )

    class Metric(models.TextChoices):
        NONE = "", "—"
        DEPLOYMENT_FREQUENCY = "deployment_frequency", "Deployment frequency"
        LEAD_TIME = "lead_time", "Change lead time"
        RECOVERY_TIME = "recovery_time", "Failed deployment recovery time"
        CHANGE_FAILURE_RATE = "change_failure_rate", "Change failure rate"
        REWORK_RATE = "rework_rate", "Deployment rework rate"

    TEXT_MAX_LENGTH = TEXT_MAX_LENGTH

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions"
    )
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=64, validators=[KEY_VALIDATOR])
    text = models.TextField()
    help_text = models.TextField(blank=True)
    # Advice shown when a team plans an improvement action on this question.
    guidance = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    metric = models.CharField(max_length=32, choices=Metric.choices, blank=True, default="")
    order = models.PositiveSmallIntegerField(default=0)
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=1)
    required = models.BooleanField(default=True)
    # The key of an earlier version's question whose trend this one continues.
    replaces = models.CharField(max_length=64, blank=True, validators=[KEY_VALIDATOR])

    class Meta:
        ordering = ["category__order", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "key"], name="question_key_unique"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="question_weight_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=list(KINDS)),
                name="question_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.text[:60]}"

    @property
    def has_choices(self) -> bool:
        return KINDS[self.kind].has_choices


class Choice(models.Model):
    class Abstain(models.TextChoices):
        NONE = "", "—"
        DONT_KNOW = "dont_know", "Don't know"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # The level (0-4) of a scale question or the bucket (1-6) of a choice
    # question; empty for "Don't know" / "Not applicable", which never score.
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    abstain = models.CharField(max_length=16, choices=Abstain.choices, blank=True, default="")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["question", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["question", "order"], name="choice_order_unique"),
            models.CheckConstraint(
                condition=(Q(score__isnull=True) & ~Q(abstain=""))
                | (Q(score__isnull=False) & Q(abstain="")),
                name="choice_scored_xor_abstain",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_abstain(self) -> bool:
        return bool(self.abstain)


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # pragma: no cover - guarded below
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditEvent(models.Model):
    """Who did what: logins, roles, rounds, teams and exports. Never answers or passwords.

    Append-only: rows are created by assessment.audit.audit_record and cannot be
    changed or deleted through the ORM or the admin; on PostgreSQL a trigger
    (migration 0004) refuses UPDATE and DELETE from any client, raw SQL included.
    """

    class Action(models.TextChoices):
        ROUND_CREATED = "round.created", "Round created"
        ROUND_EXTENDED = "round.extended", "Round extended"
        ROUND_CLOSED = "round.closed", "Round closed"
        TEAM_CREATED = "team.created", "Team created"
        MEMBERS_IMPORTED = "members.imported", "Members imported"
        MEMBERSHIP_CHANGED = "membership.changed", "Membership added or role changed"
        MEMBERSHIP_REMOVED = "membership.removed", "Membership removed"
        EXPORT_DOWNLOADED = "export.downloaded", "Export downloaded"
        QUESTIONNAIRE_LOADED = "questionnaire.loaded", "Questionnaire loaded"
        QUESTIONNAIRE_UPLOADED = "questionnaire.uploaded", "Questionnaire draft uploaded"
        QUESTIONNAIRE_PUBLISHED = "questionnaire.published", "Questionnaire published"
        EXPORT_WRITTEN = "export.written", "Export written by export_results"
        LOGIN_SUCCEEDED = "login.succeeded", "Logged in"
        LOGIN_FAILED = "login.failed", "Login failed"
        LOGIN_LOCKED = "login.locked", "Login paused after repeated failures"
        PASSWORD_RESET_REQUESTED = "password_reset.requested", "Password reset requested"
        USER_FLAGS_CHANGED = "user.flags_changed", "Staff, superuser or active flag changed"
        USER_GROUPS_CHANGED = "user.groups_changed", "Groups of a user changed"
        PERMISSIONS_CHANGED = "permissions.changed", "Permissions of a user or group changed"
        REMINDER_SENT = "reminder.sent", "Reminder sent now"
        REMINDERS_CHANGED = "reminders.changed", "Reminder times changed"
        WEBHOOK_CHANGED = "webhook.changed", "Team chat webhook changed"
        SSO_LOGIN_SUCCEEDED = "sso.login_succeeded", "Logged in with single sign-on"
        SSO_PROVIDER_UNREACHABLE = "sso.provider_unreachable", "SSO: provider unreachable"
        SSO_TOKEN_REFUSED = "sso.token_refused", "SSO: provider refused the code exchange"
        SSO_EMAIL_UNVERIFIED = "sso.email_unverified", "SSO: e-mail address not verified"
        SSO_DOMAIN_REFUSED = "sso.domain_refused", "SSO: e-mail domain not allowed"
        SSO_LOGIN_FAILED = "sso.login_failed", "SSO: login failed"
        API_TOKEN_CREATED = "api_token.created", "API token created"
        API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text so the record survives the account's deletion.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["action", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username or 'system'}: {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")
