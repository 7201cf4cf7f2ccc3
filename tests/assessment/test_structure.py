"""The questionnaire structure is read once per process, and never served stale."""

import textwrap

import pytest
from django.core.cache import cache

from assessment.loader import parse_questionnaire
from assessment.models import Choice, Question
from assessment.services import questionnaire_load
from assessment.structure import questionnaire_pages
from tests.factories import load_questionnaire

pytestmark = pytest.mark.django_db

TINY = textwrap.dedent(
    """\
    slug: tiny
    version: 1
    title: Tiny
    published: true
    categories:
      - key: ir
        name: Incident response
        questions:
          - key: ir-reviews
            kind: scale
            text: How do you learn from incidents?
            levels: [a, b, c, d, e]
    """
)


def question_texts(questionnaire) -> list[str]:
    return [q.text for c in questionnaire_pages(questionnaire) for q in c.questions.all()]


def test_the_structure_is_read_with_three_queries_once_then_from_memory(
    django_assert_num_queries,
):
    questionnaire = load_questionnaire()
    # categories, questions, choices
    with django_assert_num_queries(3):
        pages = questionnaire_pages(questionnaire)
    with django_assert_num_queries(0):
        assert questionnaire_pages(questionnaire) is pages

    assert [c.key for c in pages] == ["ci-cd", "incident-response", "delivery"]
    tests = pages[0].questions.all()[0]
    assert tests.key == "cicd-tests"
    assert [c.score for c in tests.choices.all()][:5] == [0, 1, 2, 3, 4]


def test_an_edit_through_the_orm_is_seen_once_it_commits(django_capture_on_commit_callbacks):
    questionnaire = load_questionnaire()
    assert "How automated are your tests?" in question_texts(questionnaire)

    with django_capture_on_commit_callbacks(execute=True):
        question = Question.objects.get(questionnaire=questionnaire, key="cicd-tests")
        question.text = "How much of your testing is automated?"
        question.save()

    assert "How much of your testing is automated?" in question_texts(questionnaire)


def test_a_deleted_choice_is_gone_once_it_commits(django_capture_on_commit_callbacks):
    questionnaire = load_questionnaire()
    questionnaire_pages(questionnaire)
    choice = Choice.objects.filter(question__key="cicd-tests", abstain="dont_know").get()

    with django_capture_on_commit_callbacks(execute=True):
        choice.delete()

    tests = questionnaire_pages(questionnaire)[0].questions.all()[0]
    assert choice.label not in [c.label for c in tests.choices.all()]


def test_a_version_loaded_again_with_other_content_is_seen_without_any_receiver():
    # The loader may run in another process (a management command), whose cache
    # this one does not share: the content hash in the key is what tells.
    questionnaire = questionnaire_load(spec=parse_questionnaire(TINY)).questionnaire
    assert question_texts(questionnaire) == ["How do you learn from incidents?"]

    changed = TINY.replace("How do you learn from incidents?", "What happens after incidents?")
    reloaded = questionnaire_load(spec=parse_questionnaire(changed)).questionnaire
    assert reloaded.pk == questionnaire.pk
    assert reloaded.content_hash != questionnaire.content_hash

    assert question_texts(reloaded) == ["What happens after incidents?"]


def test_a_lost_token_means_reading_again_not_serving_something_old(
    django_assert_num_queries,
):
    questionnaire = load_questionnaire()
    questionnaire_pages(questionnaire)
    cache.clear()  # Redis restarted, or the local-memory cache culled the token

    with django_assert_num_queries(3):
        questionnaire_pages(questionnaire)
