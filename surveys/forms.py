"""The answering form, built from the questionnaire: each question's kind (assessment.kinds)
gives its field, its initial value and how the cleaned value becomes an answer."""

from django import forms

from assessment.kinds import KINDS, AnswerValue
from assessment.models import Choice, Question


def field_name(question: Question) -> str:
    return f"q-{question.key}"


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
            kind = KINDS[question.kind]
            self.fields[name] = kind.form_field(question)
            self.fields[name].question = question
            for choice in question.choices.all():
                self._choices[str(choice.pk)] = choice
            answer = answers.get(question.pk)
            if answer is not None:
                self.initial[name] = kind.initial(answer)

    def answer_values(self) -> dict[Question, AnswerValue]:
        return {
            question: KINDS[question.kind].from_form(
                self.cleaned_data.get(field_name(question)), self._choices
            )
            for question in self.questions
        }

    def question_fields(self):
        """(question, bound field) pairs in questionnaire order, for the template."""
        return [(q, self[field_name(q)]) for q in self.questions]
