"""The answering form, built from the questionnaire: one kind of question, one field."""

from django import forms

from assessment.models import Choice, Question
from surveys.services import AnswerValue


def field_name(question: Question) -> str:
    return f"q-{question.key}"


class LevelRadioSelect(forms.RadioSelect):
    """Radio buttons as full-width cards that show each level's descriptor.

    Every option is rendered by one loop in one template (surveys/widgets/
    level_radio.html), not by an include per option as Django's RadioSelect
    does: the include was most of an answering page's render time. "Don't know"
    and "Not applicable" (choices that abstain) are listed apart from the levels.
    """

    template_name = "surveys/widgets/level_radio.html"

    def __init__(
        self,
        *args,
        descriptions: dict[str, str] | None = None,
        abstaining: set[str] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.descriptions = descriptions or {}
        self.abstaining = abstaining or set()

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        levels, abstains = [], []
        for _group, options, _index in context["widget"]["optgroups"]:
            for option in options:
                value = str(option["value"])
                option["description"] = self.descriptions.get(value, "")
                (abstains if value in self.abstaining else levels).append(option)
        context["widget"]["levels"] = levels
        context["widget"]["abstains"] = abstains
        context["widget"]["described"] = any(option["description"] for option in levels)
        return context


def _choice_field(question: Question) -> forms.ChoiceField:
    choices = list(question.choices.all())
    return forms.ChoiceField(
        label=question.text,
        help_text=question.help_text,
        required=False,
        choices=[(str(c.pk), c.label) for c in choices],
        widget=LevelRadioSelect(
            descriptions={str(c.pk): c.description for c in choices},
            abstaining={str(c.pk) for c in choices if c.is_abstain},
        ),
        error_messages={"invalid_choice": "Choose one of the options shown for this question."},
    )


def _percent_field(question: Question) -> forms.IntegerField:
    return forms.IntegerField(
        label=question.text,
        help_text=question.help_text,
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(
            attrs={"class": "form-control", "min": 0, "max": 100, "step": 1, "inputmode": "numeric"}
        ),
        error_messages={
            "invalid": "Enter a whole number from 0 to 100.",
            "min_value": "Enter a whole number from 0 to 100.",
            "max_value": "Enter a whole number from 0 to 100.",
        },
    )


def _text_field(question: Question) -> forms.CharField:
    return forms.CharField(
        label=question.text,
        help_text=question.help_text,
        required=False,
        max_length=Question.TEXT_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={"class": "form-control", "rows": 4, "maxlength": Question.TEXT_MAX_LENGTH}
        ),
    )


FIELD_FOR_KIND = {
    Question.Kind.SCALE: _choice_field,
    Question.Kind.CHOICE: _choice_field,
    Question.Kind.PERCENT: _percent_field,
    Question.Kind.TEXT: _text_field,
}


class CategoryAnswerForm(forms.Form):
    """Answers to one category's questions. Every field is optional here: a draft
    may be incomplete; completeness is checked when the response is submitted."""

    def __init__(self, *args, questions: list[Question], answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self._choices: dict[str, Choice] = {}
        answers = answers or {}
        for question in questions:
            name = field_name(question)
            self.fields[name] = FIELD_FOR_KIND[question.kind](question)
            self.fields[name].question = question
            for choice in question.choices.all():
                self._choices[str(choice.pk)] = choice
            answer = answers.get(question.pk)
            if answer is not None:
                if question.has_choices:
                    self.initial[name] = str(answer.choice_id) if answer.choice_id else None
                elif question.kind == Question.Kind.PERCENT:
                    self.initial[name] = answer.number
                else:
                    self.initial[name] = answer.text

    def answer_values(self) -> dict[Question, AnswerValue]:
        values = {}
        for question in self.questions:
            raw = self.cleaned_data.get(field_name(question))
            if question.has_choices:
                values[question] = AnswerValue(choice=self._choices.get(raw) if raw else None)
            elif question.kind == Question.Kind.PERCENT:
                values[question] = AnswerValue(number=raw)
            else:
                values[question] = AnswerValue(text=raw or "")
        return values

    def question_fields(self):
        """(question, bound field) pairs in questionnaire order, for the template."""
        return [(q, self[field_name(q)]) for q in self.questions]
