"""Submitting answers materialises the score tables with hand-computed numbers.

The worked example (also in docs/scoring.md) is a three-person team answering
the mini questionnaire (tests/fixtures/mini.yaml):

    category ci-cd (weight 2)             incident-response (weight 1)
    question cicd-tests (w1) cicd-rollout (w2)  ir-reviews (w1)
    ana          3                2                 1
    ben          2                Don't know        2
    cai          4                1                 4

Respondent ci-cd scores: ana (3*1 + 2*2) / 3 = 7/3, ben 2 (Don't know is left
out, not a zero), cai (4*1 + 1*2) / 3 = 2. Team ci-cd = mean(7/3, 2, 2) = 19/9,
sd = sqrt(2)/9, median 2, inclusive quartiles 2 and 13/6, agreement 1.
incident-response = mean(1, 2, 4) = 7/3, sd = sqrt(14)/3, quartiles 1.5 and 3,
agreement 2/3 (4 is two levels from the median 2). Overall maturity is
(2 * 19/9 + 1 * 7/3) / 3 = 59/27 = 2.185..., level Defined.

DORA answers: deployment frequency buckets 5, 4, 5; lead time 4, 4, Don't know;
recovery 5, 4, 3; change failure rate 10, 20, 15 %; rework 5, (blank), 10 %.
"""

import math
import threading
import time

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessment.models import Question, Questionnaire
from reports.models import TeamCategoryScore, TeamQuestionScore, TeamRoundSummary
from reports.services import team_round_scores_refresh
from surveys.models import Response
from surveys.services import response_save_draft, response_start, response_submit
from tests.factories import (
    DEFAULT_QUESTIONNAIRE,
    NA,
    WORKED_EXAMPLE,
    SurveyRoundFactory,
    TeamFactory,
    answers_for,
    load_questionnaire,
    submit,
    submit_team,
)

pytestmark = pytest.mark.django_db


# --- helpers ---------------------------------------------------------------------


def category_row(survey_round, team, key) -> TeamCategoryScore:
    return TeamCategoryScore.objects.get(round=survey_round, team=team, category_key=key)


def question_row(survey_round, team, key) -> TeamQuestionScore:
    return TeamQuestionScore.objects.get(round=survey_round, team=team, question_key=key)


def summary_row(survey_round, team) -> TeamRoundSummary:
    return TeamRoundSummary.objects.get(round=survey_round, team=team)


@pytest.fixture
def worked_example():
    team = TeamFactory(name="Payments", slug="payments")
    survey_round = SurveyRoundFactory(name="2026 Q1", slug="2026-q1", teams=[team])
    submit_team(survey_round, team, WORKED_EXAMPLE)
    return survey_round, team


# --- the worked example -------------------------------------------------------------


def test_three_person_team_materialises_hand_computed_category_scores(worked_example):
    survey_round, team = worked_example

    cicd = category_row(survey_round, team, "ci-cd")
    assert cicd.category_name == "Continuous integration & delivery"
    assert cicd.weight == 2
    assert cicd.respondents == 3
    assert cicd.mean == pytest.approx(19 / 9)
    assert cicd.sd == pytest.approx(math.sqrt(2) / 9)
    assert (cicd.minimum, cicd.maximum) == (pytest.approx(2), pytest.approx(7 / 3))
    assert cicd.median == pytest.approx(2)
    assert (cicd.q1, cicd.q3) == (pytest.approx(2), pytest.approx(13 / 6))
    assert cicd.agreement == pytest.approx(1)
    assert cicd.level == "Defined"

    incidents = category_row(survey_round, team, "incident-response")
    assert incidents.respondents == 3
    assert incidents.mean == pytest.approx(7 / 3)
    assert incidents.sd == pytest.approx(math.sqrt(14) / 3)
    assert (incidents.minimum, incidents.median, incidents.maximum) == (1, 2, 4)
    assert (incidents.q1, incidents.q3) == (pytest.approx(1.5), pytest.approx(3))
    assert incidents.agreement == pytest.approx(2 / 3)
    assert incidents.level == "Defined"

    # Delivery is not a practice category: it is summarised by the DORA rules.
    assert set(
        TeamCategoryScore.objects.filter(round=survey_round, team=team).values_list(
            "category_key", flat=True
        )
    ) == {"ci-cd", "incident-response"}


def test_three_person_team_materialises_hand_computed_question_scores(worked_example):
    survey_round, team = worked_example

    tests_question = question_row(survey_round, team, "cicd-tests")
    assert (tests_question.answered, tests_question.abstained) == (3, 0)
    assert tests_question.dont_know_rate == 0
    assert tests_question.mean == pytest.approx(3)
    assert tests_question.sd == pytest.approx(math.sqrt(2 / 3))
    assert tests_question.agreement == 1
    assert tests_question.discuss is False

    reviews = question_row(survey_round, team, "ir-reviews")
    assert reviews.mean == pytest.approx(7 / 3)
    # Answers span Developing..Optimizing (range 3): worth a conversation.
    assert reviews.discuss is True

    assert set(
        TeamQuestionScore.objects.filter(round=survey_round, team=team).values_list(
            "question_key", flat=True
        )
    ) == {"cicd-tests", "cicd-rollout", "ir-reviews"}


def test_three_person_team_materialises_overall_maturity(worked_example):
    survey_round, team = worked_example

    summary = summary_row(survey_round, team)
    assert summary.respondents == 3
    assert summary.overall == pytest.approx(59 / 27)
    assert summary.level == "Defined"


def test_dont_know_is_left_out_of_means_but_counted_in_the_dont_know_rate(worked_example):
    survey_round, team = worked_example

    rollout = question_row(survey_round, team, "cicd-rollout")
    assert (rollout.answered, rollout.abstained) == (2, 1)
    assert rollout.dont_know_rate == pytest.approx(1 / 3)
    # mean(2, 1), not mean(2, 0, 1): Don't know is not level 0.
    assert rollout.mean == pytest.approx(1.5)
    # Two scored answers are too few to flag a discussion.
    assert rollout.discuss is False
    # Ben's ci-cd score is his one scored answer (2), so the team mean is 19/9.
    assert category_row(survey_round, team, "ci-cd").mean == pytest.approx(19 / 9)


def test_dora_medians_scores_and_cluster_for_a_known_team(worked_example, settings):
    survey_round, team = worked_example

    summary = summary_row(survey_round, team)
    assert summary.dora_year == settings.SHIPSHAPE_DORA_YEAR == 2024
    # Buckets take the lower middle answer; percentages the usual median.
    assert (summary.deployment_frequency, summary.lead_time, summary.recovery_time) == (5, 4, 4)
    assert summary.change_failure_rate == 15
    assert summary.rework_rate == 7.5
    assert summary.deployment_frequency_respondents == 3
    assert summary.lead_time_respondents == 2  # Don't know is not an answer
    assert summary.rework_rate_respondents == 2  # left blank (optional)
    assert summary.deployment_frequency_score == 8
    assert (summary.lead_time_score, summary.recovery_time_score) == (6, 6)
    assert summary.change_failure_rate_score == 8.5
    assert summary.rework_rate_score == 9.25
    assert summary.throughput == pytest.approx(20 / 3)
    assert summary.stability == pytest.approx(8.875)
    # Nearest 2024 profile: High (4, 4, 5, 20%) at distance sqrt(0.0825).
    assert summary.cluster == "High"


def test_dora_year_comes_from_settings(settings):
    settings.SHIPSHAPE_DORA_YEAR = 2022
    team = TeamFactory()
    survey_round = SurveyRoundFactory(teams=[team])
    submit_team(survey_round, team, WORKED_EXAMPLE)

    summary = summary_row(survey_round, team)
    assert summary.dora_year == 2022
    assert summary.cluster == "High"


# --- keeping up with changes ------------------------------------------------------------


def test_changing_an_answer_after_submission_updates_the_tables(worked_example):
    survey_round, team = worked_example
    cai = Response.objects.get(round=survey_round, respondent__username="payments-cai")

    response_save_draft(
        response=cai, answers=answers_for(survey_round.questionnaire, {"ir-reviews": 2})
    )

    incidents = category_row(survey_round, team, "incident-response")
    assert incidents.mean == pytest.approx(5 / 3)  # mean(1, 2, 2)
    assert incidents.agreement == 1
    assert question_row(survey_round, team, "ir-reviews").discuss is False
    assert summary_row(survey_round, team).overall == pytest.approx((2 * 19 / 9 + 5 / 3) / 3)


def test_clearing_an_optional_answer_after_submission_updates_the_tables(worked_example):
    survey_round, team = worked_example
    cai = Response.objects.get(round=survey_round, respondent__username="payments-cai")

    response_save_draft(
        response=cai, answers=answers_for(survey_round.questionnaire, {"dora-rework-rate": None})
    )

    summary = summary_row(survey_round, team)
    assert summary.rework_rate_respondents == 1
    assert summary.rework_rate == 5


def test_drafts_never_count(worked_example):
    survey_round, team = worked_example
    before = category_row(survey_round, team, "ci-cd").mean
    dan = response_start(
        survey_round=survey_round, team=team, user=User.objects.create(username="dan")
    )

    response_save_draft(
        response=dan,
        answers=answers_for(
            survey_round.questionnaire, {"cicd-tests": 0, "cicd-rollout": 0, "ir-reviews": 0}
        ),
    )

    assert summary_row(survey_round, team).respondents == 3
    assert category_row(survey_round, team, "ci-cd").mean == before
    assert question_row(survey_round, team, "cicd-tests").answered == 3


def test_a_team_with_only_drafts_has_no_rows():
    team = TeamFactory()
    survey_round = SurveyRoundFactory(teams=[team])
    response = response_start(
        survey_round=survey_round, team=team, user=User.objects.create(username="third")
    )

    response_save_draft(
        response=response,
        answers=answers_for(survey_round.questionnaire, WORKED_EXAMPLE["ana"]),
    )

    assert not TeamRoundSummary.objects.filter(team=team).exists()
    assert not TeamCategoryScore.objects.filter(team=team).exists()


def test_a_category_answered_only_with_dont_know_has_a_row_without_a_score():
    team = TeamFactory()
    survey_round = SurveyRoundFactory(teams=[team])
    submit(survey_round, team, "eve", {**WORKED_EXAMPLE["ana"], "ir-reviews": NA})

    incidents = category_row(survey_round, team, "incident-response")
    assert incidents.respondents == 0
    assert incidents.mean is None
    assert incidents.level == ""
    # The overall score is ci-cd alone, not dragged down by a zero.
    assert summary_row(survey_round, team).overall == pytest.approx(7 / 3)
    reviews = question_row(survey_round, team, "ir-reviews")
    assert (reviews.answered, reviews.abstained, reviews.dont_know_rate) == (0, 1, 1.0)


def test_a_submission_refreshes_only_its_own_team(worked_example):
    survey_round, payments = worked_example
    checkout = TeamFactory(name="Checkout")
    survey_round.teams.add(checkout)
    stored = TeamCategoryScore.objects.filter(team=payments).values_list("pk", flat=True)
    before = set(stored)

    submit(survey_round, checkout, "zoe", WORKED_EXAMPLE["ana"])

    assert set(stored) == before
    assert summary_row(survey_round, checkout).respondents == 1


# --- cost ---------------------------------------------------------------------------


def _submit_queries(questionnaire: Questionnaire, scale_answer: int) -> int:
    """Queries of the third member's submit, with two teammates already counted."""
    team = TeamFactory()
    survey_round = SurveyRoundFactory(questionnaire=questionnaire, teams=[team])
    values: dict[str, int | str | None] = {}
    for question in Question.objects.filter(questionnaire=questionnaire):
        if question.kind == Question.Kind.SCALE:
            values[question.key] = scale_answer
        elif question.kind == Question.Kind.CHOICE:
            values[question.key] = 4
        elif question.kind == Question.Kind.PERCENT:
            values[question.key] = 10
    submit(survey_round, team, f"first-{questionnaire.slug}", values)
    submit(survey_round, team, f"second-{questionnaire.slug}", values)
    third = response_start(
        survey_round=survey_round,
        team=team,
        user=User.objects.create(username=f"third-{questionnaire.slug}"),
    )
    answers = answers_for(questionnaire, values)

    with CaptureQueriesContext(connection) as queries:
        response_submit(response=third, answers=answers)
    assert TeamRoundSummary.objects.get(round=survey_round, team=team).respondents == 3
    return len(queries)


def test_submit_query_count_does_not_grow_with_the_number_of_questions():
    mini = load_questionnaire()
    default = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    assert default.questions.count() > 4 * mini.questions.count()

    mini_queries = _submit_queries(mini, scale_answer=2)
    default_queries = _submit_queries(default, scale_answer=3)

    assert mini_queries == default_queries
    # The savepoint of response_submit's atomic block and its release (2);
    # response_submit: mark the response submitted, which locks it (1), upsert
    # the answers (1), required questions without an answer (1); the refresh:
    # lock the team (1), answers as tuples (1), and one upsert for each of the
    # three tables (3). The questionnaire structure is in memory already (the
    # teammates' submits read it).
    assert mini_queries == 10


# --- concurrency --------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_refreshes_of_one_team_each_see_the_other_submission():
    # Two different responses of one team: response_submit's lock on each
    # response row does not order them. This test leaves response_submit out
    # and checks that the refresh is safe on its own, by its lock on the team.
    team = TeamFactory()
    survey_round = SurveyRoundFactory(teams=[team])
    drafts = []
    for username in ("first", "second"):
        response = response_start(
            survey_round=survey_round, team=team, user=User.objects.create(username=username)
        )
        response_save_draft(
            response=response,
            answers=answers_for(survey_round.questionnaire, WORKED_EXAMPLE["ana"]),
        )
        drafts.append(response)
    first_refreshed = threading.Event()
    second_started = threading.Event()
    errors: list[BaseException] = []

    def submit_and_refresh(response):
        Response.objects.filter(pk=response.pk).update(
            status=Response.Status.SUBMITTED, submitted_at=timezone.now()
        )
        team_round_scores_refresh(round_id=survey_round.pk, team_id=team.pk)

    def first():
        try:
            with transaction.atomic():
                submit_and_refresh(drafts[0])
                first_refreshed.set()
                # Stay uncommitted while the second refresh runs into the lock.
                second_started.wait(5)
                time.sleep(0.5)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
            first_refreshed.set()
        finally:
            connection.close()

    def second():
        try:
            first_refreshed.wait(5)
            second_started.set()
            with transaction.atomic():
                submit_and_refresh(drafts[1])
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    assert errors == []
    assert summary_row(survey_round, team).respondents == 2
    assert question_row(survey_round, team, "cicd-tests").answered == 2


# --- admin -------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["teamroundsummary", "teamcategoryscore", "teamquestionscore"])
def test_admin_lists_scores_but_cannot_add_change_or_delete_them(worked_example, client, model):
    _, team = worked_example
    client.force_login(User.objects.create(username="root", is_staff=True, is_superuser=True))
    row = (
        {
            "teamroundsummary": TeamRoundSummary,
            "teamcategoryscore": TeamCategoryScore,
            "teamquestionscore": TeamQuestionScore,
        }[model]
        .objects.filter(team=team)
        .first()
    )

    listing = client.get(f"/admin/reports/{model}/")
    detail = client.get(f"/admin/reports/{model}/{row.pk}/change/")

    assert listing.status_code == 200
    assert "Payments" in listing.text and "2026 Q1" in listing.text
    assert f"/admin/reports/{model}/add/" not in listing.text
    assert client.get(f"/admin/reports/{model}/add/").status_code == 403
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.text  # view only: no save button
    assert client.post(f"/admin/reports/{model}/{row.pk}/delete/").status_code == 403
