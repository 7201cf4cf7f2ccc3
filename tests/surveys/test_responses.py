"""The response services and the database constraints that guard them."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from surveys.models import Answer, Response
from surveys.services import (
    AnswerValue,
    IncompleteResponseError,
    RoundNotOpenError,
    response_save_draft,
    response_start,
    response_submit,
)

pytestmark = pytest.mark.django_db


def full_answers(survey):
    return {
        survey.question("cicd-tests"): AnswerValue(choice=survey.choice("cicd-tests", 3)),
        survey.question("cicd-rollout"): AnswerValue(choice=survey.choice("cicd-rollout", 2)),
        survey.question("ir-reviews"): AnswerValue(
            choice=survey.choice("ir-reviews", abstain="dont_know")
        ),
        survey.question("dora-deployment-frequency"): AnswerValue(
            choice=survey.choice("dora-deployment-frequency", 4)
        ),
        survey.question("dora-lead-time"): AnswerValue(choice=survey.choice("dora-lead-time", 4)),
        survey.question("dora-recovery-time"): AnswerValue(
            choice=survey.choice("dora-recovery-time", 5)
        ),
        survey.question("dora-change-failure-rate"): AnswerValue(number=15),
    }


def test_one_response_per_person_team_and_round_is_a_database_rule(survey):
    Response.objects.create(round=survey.round, team=survey.team, respondent=survey.member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(round=survey.round, team=survey.team, respondent=survey.member)


def test_one_answer_per_question_is_a_database_rule(survey):
    response = response_start(survey_round=survey.round, team=survey.team, user=survey.member)
    question = survey.question("cicd-tests")
    Answer.objects.create(
        response=response, question=question, choice=survey.choice("cicd-tests", 1)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(
            response=response, question=question, choice=survey.choice("cicd-tests", 2)
        )


def test_a_percent_outside_0_to_100_is_refused_by_the_database(survey):
    response = response_start(survey_round=survey.round, team=survey.team, user=survey.member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(
            response=response, question=survey.question("dora-change-failure-rate"), number=140
        )


def test_a_submitted_response_must_have_a_submission_time(survey):
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(
            round=survey.round, team=survey.team, respondent=survey.member, status="submitted"
        )


def test_saving_the_same_answers_twice_updates_in_place(survey):
    response = response_start(survey_round=survey.round, team=survey.team, user=survey.member)
    response_save_draft(response=response, answers=full_answers(survey), page=2)
    ids = set(Answer.objects.values_list("pk", flat=True))
    changed = {survey.question("cicd-tests"): AnswerValue(choice=survey.choice("cicd-tests", 4))}
    response_save_draft(response=response, answers=changed, page=2)

    assert set(Answer.objects.values_list("pk", flat=True)) == ids
    assert Answer.objects.get(question=survey.question("cicd-tests")).choice.score == 4


def test_submit_refuses_an_incomplete_response_and_names_what_is_missing(survey):
    response = response_start(survey_round=survey.round, team=survey.team, user=survey.member)
    with pytest.raises(IncompleteResponseError) as excinfo:
        response_submit(response=response)
    missing = {q.key for q in excinfo.value.missing}
    assert "cicd-tests" in missing
    assert "cicd-reflection" not in missing
    assert "dora-rework-rate" not in missing  # optional in the mini questionnaire


def test_dont_know_counts_as_an_answer_for_completeness(survey):
    response = response_start(survey_round=survey.round, team=survey.team, user=survey.member)
    response = response_submit(response=response, answers=full_answers(survey))
    assert response.status == Response.Status.SUBMITTED


def test_a_failure_half_way_through_a_save_leaves_the_previous_answers_intact(survey, monkeypatch):
    response = response_start(survey_round=survey.round, team=survey.team, user=survey.member)
    response_save_draft(response=response, answers=full_answers(survey))
    before = list(Answer.objects.order_by("pk").values_list("pk", "choice_id", "number"))

    import surveys.services

    def explode(response):
        raise RuntimeError("disk full")

    monkeypatch.setattr(surveys.services, "_after_answers_changed", explode)
    changed = {
        q: AnswerValue(choice=survey.choice("cicd-tests", 0))
        for q in [survey.question("cicd-tests")]
    }
    with pytest.raises(RuntimeError):
        response_save_draft(response=response, answers=changed)

    assert list(Answer.objects.order_by("pk").values_list("pk", "choice_id", "number")) == before


def test_services_refuse_to_write_to_a_closed_round(survey):
    from datetime import timedelta

    from django.utils import timezone

    response = response_start(survey_round=survey.round, team=survey.team, user=survey.member)
    survey.round.closes_at = timezone.now() - timedelta(seconds=1)
    survey.round.opens_at = timezone.now() - timedelta(days=3)
    survey.round.save()
    with pytest.raises(RoundNotOpenError, match="is closed"):
        response_save_draft(response=response, answers=full_answers(survey))
    with pytest.raises(RoundNotOpenError):
        response_submit(response=response)
    assert not Answer.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_concurrent_double_submit_ends_with_one_response_and_one_answer_per_question():
    """Two threads submit the same person's answers at once (PostgreSQL: real concurrency)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs real concurrent connections (PostgreSQL)")
    from tests.surveys.survey import Survey

    survey = Survey()
    barrier = threading.Barrier(2)
    errors = []

    def submit():
        try:
            barrier.wait()
            response = response_start(
                survey_round=survey.round, team=survey.team, user=survey.member
            )
            response_submit(response=response, answers=full_answers(survey))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Response.objects.count() == 1
    response = Response.objects.get()
    assert response.status == Response.Status.SUBMITTED
    assert response.answers.count() == len(full_answers(survey))
    assert Answer.objects.count() == len(full_answers(survey))
