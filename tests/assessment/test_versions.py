"""Questionnaire versions: the rules a new version must keep, and what changed between two."""

from pathlib import Path

import pytest

from assessment.loader import QuestionnaireFileError, parse_questionnaire, read_questionnaire_file
from assessment.services import questionnaire_load
from assessment.versions import (
    ADDED,
    REPLACED,
    RETIRED,
    REWORDED,
    previous_version,
    questionnaire_diff,
)

pytestmark = pytest.mark.django_db

QUESTIONNAIRES = Path(__file__).resolve().parents[2] / "fixtures" / "questionnaires"

LEVELS = """\
        levels: [Zero., One., Two., Three., Four.]
"""


def version(number: int, *questions: str, changes: str = "") -> str:
    """A tiny questionnaire file: one practice category holding these questions."""
    body = "".join(questions)
    return (
        f"slug: tiny\nversion: {number}\ntitle: Tiny\n{changes}"
        f"categories:\n  - key: practice\n    name: Practice\n    questions:\n{body}"
    )


def scale(key: str, text: str = "How?", replaces: str = "") -> str:
    extra = f"        replaces: {replaces}\n" if replaces else ""
    return f"      - key: {key}\n        kind: scale\n        text: {text}\n{extra}{LEVELS}"


def percent(key: str) -> str:
    return f"      - key: {key}\n        kind: percent\n        text: What share?\n"


def load(text: str):
    return questionnaire_load(spec=parse_questionnaire(text)).questionnaire


def refused(text: str) -> list[str]:
    with pytest.raises(QuestionnaireFileError) as caught:
        load(text)
    return caught.value.errors


def test_replacing_a_key_no_earlier_version_asked_is_refused_with_its_line():
    load(version(1, scale("a")))
    errors = refused(version(2, scale("b", replaces="nowhere")))
    assert errors == [
        "line 11: question b.replaces: no earlier version of tiny has a question 'nowhere'"
    ]


def test_a_key_cannot_come_back_as_another_kind():
    load(version(1, scale("a"), scale("b")))
    errors = refused(version(2, scale("a"), percent("b")))
    assert len(errors) == 1
    assert errors[0].startswith("line 12: question b.kind: 'b' was a scale question in version 1")
    assert "use a new key with replaces: b" in errors[0]


def test_a_replacement_must_be_scored_like_what_it_replaces():
    load(version(1, percent("share")))
    errors = refused(version(2, scale("level", replaces="share")))
    assert errors[0].startswith("line 11: question level.replaces: 'share' (percent)")
    assert "not scored alike" in errors[0]


def test_a_chain_of_replacements_that_comes_back_to_itself_is_a_cycle():
    load(version(1, scale("a")))
    load(version(2, scale("b", replaces="a")))
    errors = refused(version(3, scale("a", replaces="b")))
    assert errors == ["line 11: question a.replaces: makes a cycle: a \u2192 b \u2192 a"]


def test_a_question_cannot_replace_one_that_is_still_in_the_file_or_itself():
    load(version(1, scale("a"), scale("b")))
    errors = refused(version(2, scale("a"), scale("c", replaces="a"), scale("d", replaces="d")))
    assert any(
        e.startswith("line 15: question c.replaces: 'a' is still a question") for e in errors
    )
    assert any(e.startswith("line 20:") and "cannot replace itself" in e for e in errors)
    assert len(errors) == 2


def test_changes_must_name_a_question_of_this_version_or_the_one_before():
    load(version(1, scale("a"), scale("gone")))
    changes = "changes:\n  - key: gone\n    note: Retired.\n  - key: never\n    note: Hm.\n"
    errors = refused(version(2, scale("a"), changes=changes))
    assert errors == [
        "line 7: changes.key: 'never' is neither a question of this file nor of the version before"
    ]


def test_a_change_entry_needs_a_note():
    with pytest.raises(QuestionnaireFileError) as caught:
        parse_questionnaire(version(1, scale("a"), changes="changes:\n  - key: a\n"))
    assert caught.value.errors == ["line 5: changes[0].note: is required"]


def test_nothing_is_written_when_a_rule_is_broken():
    from assessment.models import Questionnaire

    load(version(1, scale("a")))
    refused(version(2, scale("b", replaces="nowhere")))
    assert list(Questionnaire.objects.values_list("version", flat=True)) == [1]


def test_version_2_of_the_demo_questionnaire_loads_after_version_1_and_says_what_changed():
    v1 = questionnaire_load(
        spec=read_questionnaire_file(QUESTIONNAIRES / "devops-maturity-v1.yaml")
    ).questionnaire
    v2 = questionnaire_load(
        spec=read_questionnaire_file(QUESTIONNAIRES / "devops-maturity-v2.yaml")
    ).questionnaire

    assert previous_version(v2) == v1
    changes = {(c.change, c.key): c for c in questionnaire_diff(v1, v2)}
    assert set(changes) == {
        (REWORDED, "ir-on-call"),
        (REPLACED, "cicd-progressive-delivery"),
        (REPLACED, "cicd-rollback"),
        (ADDED, "cicd-dependency-updates"),
        (ADDED, "obs-telemetry-in-place"),
        (RETIRED, "ir-wide-review"),
    }
    split = changes[REPLACED, "cicd-rollback"]
    assert split.replaces == "cicd-progressive-rollout"
    assert split.previous_text.startswith("How does your team limit the damage")
    assert changes[REWORDED, "ir-on-call"].previous_text == (
        "How sustainable is your team's on-call arrangement?"
    )
    # Every change carries the authors' sentence from the file.
    assert all(change.note for change in changes.values())
    assert v2.questions.get(key="obs-telemetry-in-place").kind == "checklist"


def test_the_first_version_has_nothing_to_compare_with():
    v1 = load(version(1, scale("a")))
    assert previous_version(v1) is None
    assert questionnaire_diff(None, v1) == []
