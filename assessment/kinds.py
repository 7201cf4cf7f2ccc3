"""The table of question kinds: one entry per kind, and the one place that knows them.

Each `QuestionKind` says how a question of that kind is written in a questionnaire
file, asked on the answering page, stored, carried over to the next round, scored,
generated for the demo and exported. The model's choices and check constraint, the
loader, the answering form, the prefill, scoring, the synthetic generator and the
answers export all look the kind up here instead of branching on its name.

Adding a kind is one entry in `KINDS` (plus, if it stores something new, the
storage). Nothing here imports surveys or reports; models are only type hints.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from assessment.dora import BUCKET_METRICS, PERCENT_METRICS
from assessment.maturity import LEVELS

if TYPE_CHECKING:
    from assessment.models import Choice, Question

# Scoring roles: what a kind's answers feed.
MATURITY = "maturity"  # scored 0-4 into its practice category
DELIVERY = "delivery"  # a DORA metric's value, when the question names a metric
NO_SCORE = "none"  # read by people only (reflections)

TEXT_MAX_LENGTH = 4000


@dataclass(frozen=True)
class AnswerValue:
    """One answer as the form hands it over; all empty means "no answer"."""

    choice: Choice | None = None
    number: int | None = None
    text: str = ""
    # The choices ticked on a checklist; `number` then counts them.
    ticked: tuple[Choice, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.choice is None and self.number is None and not self.text.strip()


@dataclass(frozen=True)
class ChoiceSpec:
    """A choice as a questionnaire file defines it (see assessment.loader)."""

    label: str
    score: int | None
    description: str = ""
    abstain: str = ""


DONT_KNOW = ChoiceSpec(label="Don't know", score=None, abstain="dont_know")
NOT_APPLICABLE = ChoiceSpec(label="Not applicable", score=None, abstain="not_applicable")


@dataclass(frozen=True)
class SyntheticContext:
    """What the demo generator knows about one respondent facing one question."""

    maturity: float  # the respondent's overall maturity (0-4, may overshoot)
    centre: float  # maturity plus the team's offsets for this question and category
    noise: float
    dont_know: float  # the team's chance of "Don't know"
    reflections: Sequence[str]  # free-text answers to pick from


# (choice id, number, text[, ticked choice ids]) as the demo writes an answer;
# None: left unanswered.
SyntheticValue = (
    tuple[int | None, int | None, str] | tuple[int | None, int | None, str, tuple[int, ...]] | None
)

# An answer as the answers export reads it: the chosen choice's (label, score),
# both None without a choice, the stored number, and the question's number of
# practices (checklists). The kind turns it into the (choice_label, score,
# percent) columns.
ExportCells = tuple[str | None, float | int | None, int | None]


@dataclass(frozen=True)
class QuestionKind:
    key: str
    label: str
    has_choices: bool
    scoring: str  # MATURITY, DELIVERY or NO_SCORE
    # A MATURITY kind's score (0-4) of one answer, None for an abstention:
    # (choice score, abstain, number, number of scored choices of the question).
    maturity_score: Callable[[int | None, str | None, int | None, int], float | None] | None
    metrics: tuple[str, ...]  # the DORA metrics a question of this kind may measure
    required_by_default: bool
    # Questionnaire file: the kind's own fields and their parser, which returns the
    # question's choices (and reports problems through the loader's checker).
    file_fields: frozenset[str]
    parse: Callable[[Any, Any, str, str], tuple[ChoiceSpec, ...]]
    # Answering page: the field, answer -> initial value, cleaned value -> AnswerValue.
    form_field: Callable[[Question], forms.Field]
    initial: Callable[[Any], Any]
    from_form: Callable[[Any, Mapping[str, Choice]], AnswerValue]
    # The previous round's answer carried over to a question with the same key
    # (None from it: this answer is not); prefill None: the kind never is.
    prefill: Callable[[Any, Question], AnswerValue | None] | None
    synthetic: Callable[[random.Random, Any, SyntheticContext], SyntheticValue]
    # The answers export's (choice_label, score, percent) cells of one answer:
    # (label, score, number, practices) -> cells; None: never exported as rows.
    export_cells: Callable[[str | None, int | None, int | None, int], ExportCells] | None
    # Answers tick several choices (stored in Answer.ticked, counted in number).
    multiple: bool = False
    # Choices are the maturity levels 0-4, each with its descriptor.
    levels: bool = False


# --- form fields -------------------------------------------------------------------


class OptionCards:
    """Options as full-width cards, each with its descriptor where it has one.

    The markup is built here in Python, in one pass over the options, not by a
    template: Django's choice widgets include one template per option, and even
    one template loop per question was about a quarter of an answering page's
    server time (docs/performance.md, "Answering: issue 12"). Options that step
    aside ("Don't know", "Not applicable", "None of these") are listed apart,
    after ``abstain_intro``. Every text is escaped; the CSS that lays the cards
    out is in assessment/static/assessment/shipshape.css (``.level-option``).
    """

    abstain_intro = "Or, if you cannot say:"

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

    def render(self, name, value, attrs=None, renderer=None):
        base_id = self.build_attrs(self.attrs, attrs).get("id")
        chosen = set(self.format_value(value))
        group, options, abstain_group = self._parts(name, base_id)
        levels, abstains = [], []
        has_selected = False
        for option_value, abstain, before_checked, after_checked in options:
            selected = option_value in chosen and (self.allow_multiple_selected or not has_selected)
            has_selected |= selected
            (abstains if abstain else levels).append(
                f"{before_checked} checked{after_checked}"
                if selected
                else before_checked + after_checked
            )
        html = f"{group}{''.join(levels)}</div>"
        if abstains:
            html += f"{abstain_group}{''.join(abstains)}</div>"
        return mark_safe(html)

    def _parts(self, name, base_id):
        """The markup around the answer: the group's opening tags and, per option,
        (value, steps aside, the HTML before and after where " checked" goes).

        Escaping every label and descriptor again on each page view was most of
        a choice question's cost; the parts depend only on the name, the id and
        the options, so they are kept per widget. Questions are shared per
        process (assessment.structure) and so are their fields
        (surveys.forms.answer_field): the parts are worked out once a process.
        A copy of the widget (Django deep-copies form fields) or new options
        start afresh: the memo belongs to the options it was made from.
        """
        memo = self.__dict__.get("_parts_memo")
        if memo is None or memo[0] is not self.choices:
            memo = self._parts_memo = (self.choices, {})
        parts = memo[1].get((name, base_id))
        if parts is None:
            parts = memo[1][(name, base_id)] = self._make_parts(name, base_id)
        return parts

    def _make_parts(self, name, base_id):
        input_start = (
            f'<input type="{self.input_type}" class="form-check-input" name="{escape(name)}"'
        )
        options = []
        described = False
        for index, (option_value, label) in enumerate(self.choices):
            option_value = "" if option_value is None else str(option_value)
            option_id = escape(self.id_for_label(base_id, str(index))) if base_id else ""
            id_attr = f' id="{option_id}"' if option_id else ""
            for_attr = f' for="{option_id}"' if option_id else ""
            name_html = f'<span class="level-name">{escape(label)}</span>'
            abstain = option_value in self.abstaining
            if abstain:
                css = "level-option level-option-abstain"
            else:
                css = "level-option"
                description = self.descriptions.get(option_value, "")
                if description:
                    described = True
                    name_html += f' <span class="level-description">{escape(description)}</span>'
            options.append(
                (
                    option_value,
                    abstain,
                    f'  <div class="{css}">\n'
                    f'    {input_start} value="{escape(option_value)}"{id_attr}',
                    f">\n    <label{for_attr}>{name_html}</label>\n  </div>\n",
                )
            )
        plain = "" if described else " level-options-plain"
        group_id = f' id="{escape(base_id)}"' if base_id else ""
        group = f'<div class="level-options{plain}"{group_id}>\n'
        abstain_group = (
            '\n<div class="level-abstains">\n'
            f'  <span class="level-abstains-intro" aria-hidden="true">'
            f"{escape(self.abstain_intro)}</span>\n"
        )
        return group, tuple(options), abstain_group


class LevelRadioSelect(OptionCards, forms.RadioSelect):
    """One level of several, as cards that show each level's descriptor."""


class ChecklistSelect(OptionCards, forms.CheckboxSelectMultiple):
    """The practices of a checklist as cards to tick; "None of these" and "Don't know" apart."""

    abstain_intro = "Or:"


def _attrs_html(attrs) -> str:
    """A widget's attributes as Django's django/forms/widgets/attrs.html writes them."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class PercentInput(forms.NumberInput):
    """A number input with a "%" suffix and, for an optional question, how to abstain.

    Written out in Python like the option cards, not through Django's widget
    templates (three template files for one input); the markup is the same as
    django/forms/widgets/input.html's inside an input group.
    """

    def __init__(self, *args, optional: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.optional = optional

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        value_attr = "" if widget["value"] is None else f' value="{escape(str(widget["value"]))}"'
        html = (
            f'<div class="input-group percent-input"><input type="{escape(widget["type"])}"'
            f' name="{escape(widget["name"])}"{value_attr}{_attrs_html(widget["attrs"])}>\n'
            '<span class="input-group-text">%</span></div>'
        )
        if self.optional:
            html += '\n<p class="question-help mt-1 mb-0">Leave empty if you don\'t know.</p>'
        return mark_safe(html)


class AnswerTextarea(forms.Textarea):
    """Django's textarea (django/forms/widgets/textarea.html), written out in Python."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        text = conditional_escape(widget["value"]) if widget["value"] else ""
        return mark_safe(
            f'<textarea name="{escape(widget["name"])}"{_attrs_html(widget["attrs"])}>\n'
            f"{text}</textarea>"
        )


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
        widget=PercentInput(
            attrs={
                "class": "form-control",
                "min": 0,
                "max": 100,
                "step": 1,
                "inputmode": "numeric",
            },
            optional=not question.required,
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
        max_length=TEXT_MAX_LENGTH,
        widget=AnswerTextarea(
            attrs={"class": "form-control", "rows": 4, "maxlength": TEXT_MAX_LENGTH}
        ),
    )


def _choice_initial(answer) -> str | None:
    return str(answer.choice_id) if answer.choice_id else None


def _choice_from_form(raw, choices_by_pk: Mapping[str, Choice]) -> AnswerValue:
    return AnswerValue(choice=choices_by_pk.get(raw) if raw else None)


def _choice_cells(label, score, number, practices) -> ExportCells:
    return (label, score, None)


# --- prefill -----------------------------------------------------------------------


def _choice_prefill(old, question: Question) -> AnswerValue | None:
    if old.choice is None:
        return None
    # Same key, same meaning: match the choice by its score or abstain flag.
    choice = next(
        (
            c
            for c in question.choices.all()
            if c.score == old.choice.score and c.abstain == old.choice.abstain
        ),
        None,
    )
    return None if choice is None else AnswerValue(choice=choice)


def _checklist_prefill(old, question: Question) -> AnswerValue | None:
    # Same key: the practices are matched by their wording, "Don't know" by its
    # abstain flag; a practice the new version no longer lists is dropped.
    choices = list(question.choices.all())
    if old.choice is not None:
        choice = next((c for c in choices if c.abstain and c.abstain == old.choice.abstain), None)
        return None if choice is None else AnswerValue(choice=choice)
    if old.number is None:
        return None
    by_label = {c.label: c for c in choices if not c.is_abstain}
    ticked = tuple(by_label[t.label] for t in old.ticked.all() if t.label in by_label)
    return AnswerValue(number=len(ticked), ticked=ticked)


def _percent_prefill(old, question: Question) -> AnswerValue | None:
    return None if old.number is None else AnswerValue(number=old.number)


# --- questionnaire files ----------------------------------------------------------


def _parse_levels(check, data, path: str, metric: str) -> tuple[ChoiceSpec, ...]:
    levels = check.sequence(data, "levels", path)
    if levels is None:
        return ()
    if len(levels) != len(LEVELS):
        check.error(
            levels.line,
            f"{path}.levels",
            f"needs exactly {len(LEVELS)} descriptors (levels 0-4), found {len(levels)}",
        )
    descriptors = []
    for index, (descriptor, descriptor_line) in enumerate(zip(levels, levels.lines, strict=True)):
        if not isinstance(descriptor, str) or not descriptor.strip():
            check.error(descriptor_line, f"{path}.levels[{index}]", "must be non-empty text")
        descriptors.append(str(descriptor).strip())
    if len(descriptors) != len(LEVELS):
        return ()
    scored = tuple(
        ChoiceSpec(label=level.name, description=descriptor, score=level.value)
        for level, descriptor in zip(LEVELS, descriptors, strict=True)
    )
    return (*scored, DONT_KNOW, NOT_APPLICABLE)


CHOICE_FIELDS = {"label", "score"}


def _parse_choices(check, data, path: str, metric: str) -> tuple[ChoiceSpec, ...]:
    items = check.sequence(data, "choices", path)
    if items is None:
        return ()
    parsed = []
    for index, (item, item_line) in enumerate(zip(items, items.lines, strict=True)):
        item_path = f"{path}.choices[{index}]"
        item_data = check.mapping(item, item_line, item_path)
        if item_data is None:
            continue
        check.unknown_fields(item_data, CHOICE_FIELDS, item_path)
        label = check.text(item_data, "label", item_path, required=True, max_length=200)
        score = item_data.get("score")
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
            check.error(
                item_data.lines.get("score", item_line),
                f"{item_path}.score",
                "must be a whole number from 0 to 100",
            )
            continue
        parsed.append(ChoiceSpec(label=label, score=score))
    if len(parsed) < 2 and len(parsed) == len(items):
        check.error(items.line, f"{path}.choices", "needs at least two choices")
    scores = [choice.score for choice in parsed]
    if scores != sorted(set(scores)):
        check.error(
            items.line,
            f"{path}.choices",
            "scores must increase from worst to best, with no repeats",
        )
    if metric in BUCKET_METRICS and scores and scores != [1, 2, 3, 4, 5, 6]:
        check.error(
            items.line,
            f"{path}.choices",
            f"{metric} needs the six DORA buckets scored 1 (worst) to 6 (best)",
        )
    return (*parsed, DONT_KNOW)


def _no_choices(check, data, path: str, metric: str) -> tuple[ChoiceSpec, ...]:
    return ()


# --- synthetic answers for the demo -----------------------------------------------
# Each consumes the random generator in a fixed order, so a seed gives the same data.


def _synthetic_scale(rng: random.Random, plan, ctx: SyntheticContext) -> SyntheticValue:
    if rng.random() < ctx.dont_know:
        return (plan.dont_know if rng.random() < 0.8 else plan.not_applicable, None, "")
    level = max(0, min(4, round(rng.gauss(ctx.centre, ctx.noise))))
    return (plan.by_score[level], None, "")


def _synthetic_choice(rng: random.Random, plan, ctx: SyntheticContext) -> SyntheticValue:
    if rng.random() < ctx.dont_know / 2:
        return (plan.dont_know, None, "")
    bucket = max(1, min(6, round(rng.gauss(1.4 + ctx.maturity * 1.35, 0.7))))
    return (plan.by_score[bucket], None, "")


def _synthetic_percent(rng: random.Random, plan, ctx: SyntheticContext) -> SyntheticValue:
    if plan.required or rng.random() > 0.2:
        return (None, max(0, min(100, round(rng.gauss(52 - ctx.maturity * 15, 6)))), "")
    return None


def _synthetic_text(rng: random.Random, plan, ctx: SyntheticContext) -> SyntheticValue:
    if rng.random() < 0.3:
        return (None, None, rng.choice(ctx.reflections))
    return None


# --- checklist: several practices, tick those in place -----------------------------
# Each practice is a choice scored 1; "Don't know" abstains. "None of these" is a
# form option only: it is stored as zero ticks. An answer's score is the share of
# practices in place on the 0-4 scale (docs/scoring.md).

NONE_OF_THESE = "none"


def _checklist_score(score, abstain, number, items) -> float | None:
    if abstain or number is None or not items:
        return None
    return 4 * number / items


class ChecklistField(forms.MultipleChoiceField):
    def __init__(self, *args, exclusive: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.exclusive = exclusive

    def validate(self, value):
        super().validate(value)
        if len(value) > 1 and self.exclusive.intersection(value):
            raise forms.ValidationError(
                "Tick the practices in place, or one of "
                "\u201cNone of these\u201d and \u201cDon't know\u201d.",
                code="exclusive",
            )


def _checklist_field(question: Question) -> forms.MultipleChoiceField:
    choices = list(question.choices.all())
    items = [(str(c.pk), c.label) for c in choices if not c.is_abstain]
    abstains = [(str(c.pk), c.label) for c in choices if c.is_abstain]
    exclusive = {NONE_OF_THESE, *(pk for pk, _ in abstains)}
    return ChecklistField(
        label=question.text,
        help_text=question.help_text,
        required=False,
        choices=[*items, (NONE_OF_THESE, "None of these"), *abstains],
        exclusive=exclusive,
        widget=ChecklistSelect(abstaining=exclusive),
    )


def _checklist_initial(answer) -> list[str]:
    if answer.choice_id:
        return [str(answer.choice_id)]
    # all(), not values_list(): the answering page reads every checklist's
    # ticks at once (surveys.selectors.page_answers) into the prefetch cache.
    ticked = [str(choice.pk) for choice in answer.ticked.all()]
    return ticked or [NONE_OF_THESE]


def _checklist_from_form(raw, choices_by_pk: Mapping[str, Choice]) -> AnswerValue:
    raw = raw or []
    if NONE_OF_THESE in raw:
        return AnswerValue(number=0)
    chosen = [choices_by_pk[pk] for pk in raw if pk in choices_by_pk]
    abstain = next((c for c in chosen if c.is_abstain), None)
    if abstain is not None:
        return AnswerValue(choice=abstain)
    if not chosen:
        return AnswerValue()
    return AnswerValue(number=len(chosen), ticked=tuple(chosen))


def _parse_items(check, data, path: str, metric: str) -> tuple[ChoiceSpec, ...]:
    items = check.sequence(data, "items", path)
    if items is None:
        return ()
    labels: list[str] = []
    for index, (item, item_line) in enumerate(zip(items, items.lines, strict=True)):
        if not isinstance(item, str) or not item.strip():
            check.error(item_line, f"{path}.items[{index}]", "must be non-empty text")
            continue
        label = item.strip()
        if len(label) > 200:
            check.error(item_line, f"{path}.items[{index}]", "is longer than 200 characters")
        if label in labels:
            check.error(item_line, f"{path}.items[{index}]", f"{label!r} is listed twice")
        labels.append(label)
    if len(items) < 2:
        check.error(items.line, f"{path}.items", "needs at least two practices")
    return (*(ChoiceSpec(label=label, score=1) for label in labels), DONT_KNOW)


def _synthetic_checklist(rng: random.Random, plan, ctx: SyntheticContext) -> SyntheticValue:
    if rng.random() < ctx.dont_know:
        return (plan.dont_know, None, "")
    share = max(0.0, min(1.0, rng.gauss(ctx.centre / 4, ctx.noise / 4)))
    ticked = tuple(rng.sample(plan.items, round(share * len(plan.items))))
    return (None, len(ticked), "", ticked)


def _checklist_cells(label, score, number, practices) -> ExportCells:
    if label is not None or number is None:  # "Don't know"
        return (label, None, None)
    return (
        f"{number} of {practices} practices in place",
        round(_checklist_score(None, None, number, practices), 2),
        None,
    )


# --- the table ---------------------------------------------------------------------

KINDS: dict[str, QuestionKind] = {
    kind.key: kind
    for kind in (
        QuestionKind(
            key="scale",
            label="Maturity scale (levels 0-4)",
            has_choices=True,
            scoring=MATURITY,
            # An abstention (Don't know / Not applicable) has no score.
            maturity_score=lambda score, abstain, number, items: None if abstain else score,
            metrics=(),
            required_by_default=True,
            file_fields=frozenset({"levels"}),
            parse=_parse_levels,
            form_field=_choice_field,
            initial=_choice_initial,
            from_form=_choice_from_form,
            prefill=_choice_prefill,
            synthetic=_synthetic_scale,
            export_cells=_choice_cells,
            levels=True,
        ),
        QuestionKind(
            key="choice",
            label="Ordered choice",
            has_choices=True,
            scoring=DELIVERY,
            maturity_score=None,
            metrics=BUCKET_METRICS,
            required_by_default=True,
            file_fields=frozenset({"choices"}),
            parse=_parse_choices,
            form_field=_choice_field,
            initial=_choice_initial,
            from_form=_choice_from_form,
            prefill=_choice_prefill,
            synthetic=_synthetic_choice,
            export_cells=_choice_cells,
        ),
        QuestionKind(
            key="percent",
            label="Percentage (0-100)",
            has_choices=False,
            scoring=DELIVERY,
            maturity_score=None,
            metrics=PERCENT_METRICS,
            required_by_default=True,
            file_fields=frozenset(),
            parse=_no_choices,
            form_field=_percent_field,
            initial=lambda answer: answer.number,
            from_form=lambda raw, choices_by_pk: AnswerValue(number=raw),
            prefill=_percent_prefill,
            synthetic=_synthetic_percent,
            export_cells=lambda label, score, number, practices: (None, None, number),
        ),
        QuestionKind(
            key="text",
            label="Free-text reflection",
            has_choices=False,
            scoring=NO_SCORE,
            maturity_score=None,
            metrics=(),
            required_by_default=False,
            file_fields=frozenset(),
            parse=_no_choices,
            form_field=_text_field,
            initial=lambda answer: answer.text,
            from_form=lambda raw, choices_by_pk: AnswerValue(text=raw or ""),
            # Reflections are about this round: never carried over.
            prefill=None,
            synthetic=_synthetic_text,
            # Free text is never exported as answer rows.
            export_cells=None,
        ),
        QuestionKind(
            key="checklist",
            label="Checklist of practices",
            has_choices=True,
            scoring=MATURITY,
            maturity_score=_checklist_score,
            metrics=(),
            required_by_default=True,
            file_fields=frozenset({"items"}),
            parse=_parse_items,
            form_field=_checklist_field,
            initial=_checklist_initial,
            from_form=_checklist_from_form,
            prefill=_checklist_prefill,
            synthetic=_synthetic_checklist,
            export_cells=_checklist_cells,
            multiple=True,
        ),
    )
}


def kinds_where(predicate: Callable[[QuestionKind], bool]) -> list[str]:
    """The keys of the kinds that satisfy the predicate, in table order."""
    return [kind.key for kind in KINDS.values() if predicate(kind)]


def kind_for_metric(metric: str) -> str | None:
    return next((kind.key for kind in KINDS.values() if metric in kind.metrics), None)
