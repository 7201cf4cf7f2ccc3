"""The question-kinds table and the checklist kind it was built to let in as one entry."""

import re
from pathlib import Path

import pytest

from assessment.kinds import KINDS, MATURITY
from assessment.loader import QuestionnaireFileError, parse_questionnaire
from assessment.models import Question

ROOT = Path(__file__).resolve().parent.parent.parent

CHECKLIST = """\
slug: t
version: 1
title: T
categories:
  - key: obs
    name: Observability
    questions:
      - key: obs-signals
        kind: checklist
        text: Which signals do you collect?
{extra}
"""


def _errors(text: str) -> list[str]:
    with pytest.raises(QuestionnaireFileError) as caught:
        parse_questionnaire(text)
    return caught.value.errors


def test_model_choices_and_constraint_come_from_the_table():
    assert [value for value, _ in Question.Kind.choices] == list(KINDS)
    assert Question.Kind.CHECKLIST.label == KINDS["checklist"].label
    constraint = next(c for c in Question._meta.constraints if c.name == "question_kind_valid")
    assert constraint.condition.children == [("kind__in", list(KINDS))]


def test_loader_reads_checklist_items_as_practices_plus_dont_know():
    spec = parse_questionnaire(
        CHECKLIST.format(extra="        items:\n          - Logs\n          - Metrics\n")
    )
    question = spec.categories[0].questions[0]
    assert question.kind == "checklist"
    assert question.required is True
    assert [(c.label, c.score, c.abstain) for c in question.choices] == [
        ("Logs", 1, ""),
        ("Metrics", 1, ""),
        ("Don't know", None, "dont_know"),
    ]


def test_loader_requires_items_on_a_checklist():
    assert _errors(CHECKLIST.format(extra="")) == [
        "line 8: categories[0].questions[0].items: is required"
    ]


def test_loader_refuses_a_single_duplicate_or_empty_item():
    errors = _errors(
        CHECKLIST.format(
            extra='        items:\n          - Logs\n          - Logs\n          - ""\n'
        )
    )
    assert errors == [
        "line 13: categories[0].questions[0].items[1]: 'Logs' is listed twice",
        "line 14: categories[0].questions[0].items[2]: must be non-empty text",
    ]
    assert _errors(CHECKLIST.format(extra="        items:\n          - Logs\n")) == [
        "line 12: categories[0].questions[0].items: needs at least two practices"
    ]


def test_loader_refuses_items_on_other_kinds_and_levels_on_a_checklist():
    text = CHECKLIST.replace("kind: checklist", "kind: choice").format(
        extra="        items: [a, b]\n        choices: [{label: a, score: 1}, {label: b, score: 2}]"
    )
    assert _errors(text) == [
        "line 11: categories[0].questions[0].items: only checklist questions have items"
    ]
    text = CHECKLIST.format(extra="        items: [a, b]\n        levels: [a, b, c, d, e]")
    assert _errors(text) == [
        "line 12: categories[0].questions[0].levels: only scale questions have levels"
    ]


@pytest.mark.parametrize(
    ("ticked", "items", "score"),
    [(0, 3, 0.0), (1, 3, 4 / 3), (3, 3, 4.0), (2, 4, 2.0)],
)
def test_checklist_scores_the_share_of_practices_in_place_on_0_to_4(ticked, items, score):
    assert KINDS["checklist"].scoring == MATURITY
    assert KINDS["checklist"].maturity_score(None, "", ticked, items) == pytest.approx(score)


def test_checklist_dont_know_has_no_score():
    assert KINDS["checklist"].maturity_score(None, "dont_know", None, 3) is None


def test_the_checklist_kind_is_named_only_in_the_kinds_table():
    """Adding a kind is one entry: no module outside the table branches on its name."""
    sources = [
        path
        for app in ("assessment", "surveys", "reports", "demo")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path.name != "kinds.py"
    ]
    assert sources
    named = re.compile(r"[\"']checklist[\"']|Kind\.CHECKLIST")
    assert [str(p.relative_to(ROOT)) for p in sources if named.search(p.read_text())] == []
