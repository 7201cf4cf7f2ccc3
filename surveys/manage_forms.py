"""Forms for the facilitator pages. They only validate; services do the writes."""

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q

from assessment.fields import ModelMultipleChoiceIdField
from assessment.models import Questionnaire
from surveys.models import Membership, SurveyRound, Team, validate_min_k
from surveys.services import CSV_MAX_BYTES

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_local_field(label: str, **kwargs) -> forms.DateTimeField:
    # The browser's own date-time picker; values are read in the current time zone.
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL_FORMAT),
        **kwargs,
    )


class RoundForm(forms.Form):
    name = forms.CharField(
        max_length=SurveyRound._meta.get_field("name").max_length,
        help_text='For example "2026 Q4".',
    )
    questionnaire = forms.ModelChoiceField(
        queryset=Questionnaire.objects.published().order_by("-created_at", "-version"),
        help_text="Published versions, newest first. What changed since the last round is "
        "listed beside this form.",
    )
    opens_at = _datetime_local_field("Opens at")
    closes_at = _datetime_local_field("Closes at")
    teams = ModelMultipleChoiceIdField(
        queryset=Team.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one team."},
    )
    min_respondents = forms.IntegerField(
        label="Minimum group size (k)",
        max_value=50,
        validators=[validate_min_k],
        help_text=(
            "Results are released when the round closes, and only for groups of at least "
            "k people: the team itself sees nothing of a smaller group either."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        floor = settings.SHIPSHAPE_MIN_K
        self.fields["min_respondents"].initial = floor
        self.fields["min_respondents"].widget.attrs["min"] = floor
        # Most rounds use the newest published version: offer it.
        newest = Questionnaire.objects.published().order_by("-created_at", "-version").first()
        if newest is not None:
            self.fields["questionnaire"].initial = newest.pk

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        # The database only enforces exact uniqueness; "2026 q4" next to
        # "2026 Q4" would be two rounds nobody can tell apart.
        if SurveyRound.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("A round with this name exists already.")
        return name

    def clean(self):
        cleaned = super().clean()
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", "The round must close after it opens.")
        return cleaned


class RoundExtendForm(forms.Form):
    closes_at = _datetime_local_field("New closing time")


class TeamForm(forms.Form):
    name = forms.CharField(max_length=Team._meta.get_field("name").max_length)
    group = forms.CharField(
        label="Group / department",
        max_length=Team._meta.get_field("group").max_length,
        required=False,
        help_text="Used for roll-ups.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        # The CSV import matches teams case-insensitively, so names must be too.
        if Team.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("A team with this name exists already.")
        return name


class MembershipAddForm(forms.Form):
    user = forms.CharField(label="Username or email", max_length=254)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def clean_user(self) -> User:
        value = self.cleaned_data["user"].strip()
        users = list(
            User.objects.filter(Q(username__iexact=value) | Q(email__iexact=value)).order_by("pk")[
                :2
            ]
        )
        if not users:
            raise forms.ValidationError(
                "No user has this username or email. Import new people with a CSV file."
            )
        if len(users) > 1:
            raise forms.ValidationError(
                "More than one user matches; enter the exact username instead."
            )
        return users[0]


class MembershipUpdateForm(forms.Form):
    action = forms.ChoiceField(choices=[("role", "Change role"), ("remove", "Remove")])
    role = forms.ChoiceField(choices=Membership.Role.choices, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "role" and not cleaned.get("role"):
            self.add_error("role", "Choose a role.")
        return cleaned


class MembersImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV, at most {CSV_MAX_BYTES // 1_000_000} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {CSV_MAX_BYTES // 1_000_000} MB; split it."
            )
        return upload


class QuestionnaireUploadForm(forms.Form):
    file = forms.FileField(
        label="Questionnaire file",
        help_text="YAML as described in docs/questionnaire-format.md, at most 256 kB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,application/yaml,text/yaml"}),
    )
