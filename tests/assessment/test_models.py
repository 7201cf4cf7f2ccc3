import pytest
from django.db import IntegrityError, transaction

from assessment.maturity import LEVELS, level_counts, level_for_score, level_name
from assessment.models import Choice, Question, Questionnaire
from tests.factories import load_questionnaire

pytestmark = pytest.mark.django_db


def test_questionnaire_slug_and_version_are_unique():
    questionnaire = load_questionnaire()
    with pytest.raises(IntegrityError), transaction.atomic():
        Questionnaire.objects.create(slug=questionnaire.slug, version=1, title="Copy")


def test_question_keys_are_unique_within_a_questionnaire():
    load_questionnaire()
    question = Question.objects.get(key="cicd-tests")
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.create(
            questionnaire=question.questionnaire,
            category=question.category,
            key="cicd-tests",
            text="Duplicate",
            kind="scale",
        )


def test_a_choice_either_scores_or_abstains_never_both():
    load_questionnaire()
    question = Question.objects.get(key="cicd-tests")
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.create(
            question=question, label="Both", score=2, abstain="dont_know", order=9
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.create(question=question, label="Neither", order=10)


def test_question_kind_is_checked_by_the_database():
    load_questionnaire()
    question = Question.objects.get(key="cicd-tests")
    with pytest.raises(IntegrityError), transaction.atomic():
        Question.objects.filter(pk=question.pk).update(kind="essay")


def test_level_names_are_defined_once_and_reached_not_rounded():
    assert [level.name for level in LEVELS] == [
        "Initial",
        "Developing",
        "Defined",
        "Managed",
        "Optimizing",
    ]
    assert level_name(2.99) == "Defined"
    assert level_name(3.0) == "Managed"
    assert level_name(2.9999999999) == "Managed"
    assert level_name(4.0) == "Optimizing"
    assert level_for_score(None) is None


def test_level_counts_name_every_level_and_count_as_level_name_does():
    scores = [0.0, 0.99, 1.0, 2.99, 2.9999999999, 3.5, 4.0, None, float("nan")]

    counts = level_counts(scores)

    assert list(counts) == [level.name for level in LEVELS]
    assert counts == {"Initial": 2, "Developing": 1, "Defined": 1, "Managed": 2, "Optimizing": 1}
    named = [level_name(s) for s in scores if level_name(s)]
    assert counts == {level.name: named.count(level.name) for level in LEVELS}
    assert level_counts([]) == dict.fromkeys(counts, 0)
