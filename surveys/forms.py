"""The answering form, built from the questionnaire: each question's kind (assessment.kinds)
gives its field, its initial value and how the cleaned value becomes an answer."""

from html import escape

from django import forms
from django.forms import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from assessment.kinds import KINDS, AnswerValue
from assessment.models import Choice, Question

REQUIRED_MARK = (
    ' <span class="text-danger" aria-hidden="true">*</span>'
    '<span class="visually-hidden">(required)</span>'
)


def field_name(question: Question) -> str:
    return f"q-{question.key}"


def answer_field(question: Question) -> forms.Field:
    """The question's form field (its kind's), made once per question instance.

    The answering page's questions are shared per process and never change
    (assessment.structure), so their fields need not be built again on every
    page view: building them was a tenth of the page's server time. Forms read
    the shared field and its widget and never change them; a form's own state
    (data, errors, bound fields) stays with the form.
    """
    field = question.__dict__.get("_answer_field")
    if field is None:
        field = KINDS[question.kind].form_field(question)
        field.question = question
        question.__dict__["_answer_field"] = field
    return field


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
            self.fields[name] = answer_field(question)
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
        """(question, bound field) pairs in questionnaire order."""
        return [(q, self[field_name(q)]) for q in self.questions]

    def cards(self) -> SafeString:
        """Every question as the card members see: the answering page and the preview."""
        return mark_safe(
            "".join(
                question_card(number, question, field)
                for number, (question, field) in enumerate(self.question_fields(), start=1)
            )
        )


def question_card(number: int, question: Question, field: BoundField) -> str:
    """One question's card: its text (numbered, required marked), help, errors, widget.

    Written in Python rather than a template included once per question: the
    include was a sixth of an answering page's server time (docs/performance.md,
    "Answering: issue 12"). Choices are a fieldset with the text as its legend;
    a number or text field has the text as its label. Help and errors are tied
    to the group or field by aria-describedby. Every text is escaped.
    """
    auto_id = field.auto_id
    errors = field.errors
    title = f"{number}. {escape(question.text)}{REQUIRED_MARK if question.required else ''}"
    help_html = (
        f'<p id="{auto_id}_helptext" class="question-help">{escape(question.help_text)}</p>\n'
        if question.help_text
        else ""
    )
    error_html = (
        f'<div id="{auto_id}_error" class="question-error" role="alert">'
        f"{' '.join(conditional_escape(error) for error in errors)}</div>\n"
        if errors
        else ""
    )
    if question.has_choices:
        described = " ".join(
            ([f"{auto_id}_helptext"] if question.help_text else [])
            + ([f"{auto_id}_error"] if errors else [])
        )
        described_attr = f' aria-describedby="{described}"' if described else ""
        body = (
            f"<fieldset{described_attr}>\n"
            f'<legend class="question-text">{title}</legend>\n'
            f"{help_html}{error_html}{field.as_widget()}\n</fieldset>"
        )
    else:
        body = (
            f'<label class="question-text d-block" for="{auto_id}">{title}</label>\n'
            f"{help_html}{error_html}{field.as_widget()}"
        )
    border = " border-danger" if errors else ""
    return (
        f'<div class="card question mb-3{border}">\n'
        f'<div class="card-body">\n{body}\n</div>\n</div>\n'
    )
