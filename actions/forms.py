"""Forms only validate: the view hands ``cleaned_data`` to ``actions.services``."""

from django import forms
from django.contrib.auth.models import User

from actions.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Action
from assessment.models import Question
from surveys.models import SurveyRound, Team


class ActionForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        help_text="What the team will do, in a few words.",
    )
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: the first step, what done looks like.",
    )
    raised_in = forms.ModelChoiceField(
        queryset=SurveyRound.objects.none(),
        label="Raised in round",
        empty_label=None,
        help_text="The round whose results this responds to; changes are measured from it.",
    )
    question_keys = forms.MultipleChoiceField(
        required=False,
        label="Questions",
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional: the questions it should move. None ticked: the whole category.",
    )
    category_key = forms.ChoiceField(
        required=False,
        label="Category",
        help_text="The practice area it should move.",
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="No owner yet",
        help_text="A member of the team.",
    )
    target_round = forms.ModelChoiceField(
        queryset=SurveyRound.objects.none(),
        required=False,
        empty_label="No target round",
        label="Done by round",
    )
    visible_to_managers = forms.BooleanField(
        required=False,
        label="Visible to managers",
        help_text="Managers always see how many actions the team planned and finished; "
        "with this ticked they also see this title and whether it worked.",
    )

    def __init__(
        self,
        *args,
        team: Team,
        rounds: list[SurveyRound],
        questions: list[Question],
        members: list[User],
        focus: str = "",
        editing: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.questions = {q.key: q for q in questions}
        started = [r for r in rounds if r.status() != SurveyRound.Status.UPCOMING]
        self.fields["raised_in"].queryset = SurveyRound.objects.filter(
            pk__in=[r.pk for r in started]
        ).order_by("-opens_at")
        self.fields["target_round"].queryset = SurveyRound.objects.filter(
            pk__in=[r.pk for r in rounds]
        ).order_by("opens_at")
        if editing:
            self.fields["raised_in"].disabled = True
        categories = {q.category.key: q.category.name for q in questions}
        self.fields["category_key"].choices = [("", "Choose a category"), *categories.items()]
        if focus:
            # The questions of one category, as checkboxes whose text can wrap.
            self.fields["question_keys"].choices = [
                (q.key, q.text) for q in questions if q.category.key == focus
            ]
        else:
            del self.fields["question_keys"]
        self.fields["owner"].queryset = User.objects.filter(pk__in=[u.pk for u in members])
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        data = super().clean()
        keys = data.get("question_keys") or []
        chosen = {self.questions[key].category.key for key in keys if key in self.questions}
        if len(chosen) > 1:
            self.add_error("question_keys", "Choose questions of one category.")
        elif chosen:
            category = chosen.pop()
            if data.get("category_key") and data["category_key"] != category:
                self.add_error("category_key", "The chosen questions belong to another category.")
            data["category_key"] = category
        elif not data.get("category_key"):
            self.add_error("category_key", "Choose a category, or one or more questions.")
        return data


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Action.Status.choices)
