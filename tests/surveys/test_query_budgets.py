"""Answering pages cost a fixed number of queries, whatever the number of questions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Question
from reports.models import TeamQuestionScore, TeamRoundSummary
from surveys.models import Response
from surveys.services import response_save_draft, response_start
from tests.factories import (
    DEFAULT_QUESTIONNAIRE,
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    load_questionnaire,
)
from tests.security.world import answers_for, submit_as

pytestmark = pytest.mark.django_db


def test_answering_page_query_budget(member_client, survey, django_assert_num_queries):
    member_client.post(survey.url("start"))
    member_client.get(survey.url("page", 1))  # warm the session and content types
    # 1 session, 2 user, 3 round + questionnaire + team + membership check + my
    # response (one join), 4 this page's answers. Categories, questions and
    # choices are read once per process (assessment.structure), the menu (my
    # teams, my permissions) once per user (surveys.navigation).
    with django_assert_num_queries(4):
        response = member_client.get(survey.url("page", 1))
    assert response.status_code == 200
    assert "Flaky" not in response.content.decode()  # nothing answered yet
    assert 'name="q-cicd-tests"' in response.content.decode()


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def big_round(survey):
    """A round of the 47-question default questionnaire for the survey's team."""
    return SurveyRoundFactory(
        name="Big",
        slug="big",
        questionnaire=load_questionnaire(DEFAULT_QUESTIONNAIRE),
        teams=[survey.team],
    )


def test_answering_page_costs_the_same_for_a_47_question_questionnaire(member_client, survey):
    member_client.post(survey.url("start"))
    member_client.get(survey.url("page", 1))
    small = queries_for(member_client, survey.url("page", 1))

    big = big_round(survey)
    url = reverse("surveys:start", args=[big.slug, survey.team.slug])
    member_client.post(url)
    page = reverse("surveys:page", args=[big.slug, survey.team.slug, 2])
    first = queries_for(member_client, page)
    again = queries_for(member_client, page)
    # The first request of a process reads this questionnaire's categories,
    # questions and choices (3 queries); later ones do not.
    assert first == again + 3
    assert again == small


def complete_values(questionnaire) -> dict[str, int | str]:
    """An answer to every question of a questionnaire, as answers_for takes them."""
    values: dict[str, int | str] = {}
    for question in Question.objects.filter(questionnaire=questionnaire):
        if question.kind == Question.Kind.TEXT:
            values[question.key] = "Release trains slow us down."
        elif question.kind == Question.Kind.PERCENT:
            values[question.key] = 10
        else:
            values[question.key] = 3
    return values


def test_submit_of_47_answers_with_score_materialisation_query_budget(
    member_client, survey, django_assert_num_queries
):
    big = big_round(survey)
    values = complete_values(big.questionnaire)
    assert len(values) == 47
    for name in ("bob", "cat"):  # two teammates submitted: their scores exist
        teammate = MembershipFactory(team=survey.team, user=UserFactory(username=name)).user
        submit_as(teammate, big, survey.team, values)
    draft = response_start(survey_round=big, team=survey.team, user=survey.member)
    response_save_draft(response=draft, answers=answers_for(big.questionnaire, values))
    review = reverse("surveys:review", args=[big.slug, survey.team.slug])
    member_client.get(review)  # warm the session and the questionnaire structure

    # 1 session, 2 user, 3 round + questionnaire + team + membership check + my
    # response (one join); response_submit: 4 BEGIN (here: a savepoint),
    # 5 UPDATE the response to submitted, which also locks its row, 6 required
    # questions without an answer; the score refresh: 7 lock the team row,
    # 8 the team's submitted answers, 9-11 one upsert per score table
    # (categories, questions, summary); 12 COMMIT (here: release the savepoint).
    with django_assert_num_queries(12):
        response = member_client.post(review)

    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:done", args=[big.slug, survey.team.slug])
    draft.refresh_from_db()
    assert draft.status == Response.Status.SUBMITTED
    assert draft.answers.count() == 47
    summary = TeamRoundSummary.objects.get(round=big, team=survey.team)
    assert summary.respondents == 3
    assert (
        TeamQuestionScore.objects.get(
            round=big, team=survey.team, question_key="imp-process-review"
        ).answered
        == 3
    )


def test_my_surveys_query_budget_does_not_grow_with_teams_and_rounds(
    member_client, survey, django_assert_num_queries
):
    member_client.get(reverse("surveys:my_surveys"))
    # 1 session, 2 user, 3 memberships, 4 round-team links with rounds,
    # 5 my responses with answer counts, 6 question counts, 7 teams I lead.
    # The menu was cached by the first request (surveys.navigation).
    with django_assert_num_queries(7):
        member_client.get(reverse("surveys:my_surveys"))

    for _ in range(3):
        team = TeamFactory()
        MembershipFactory(team=team, user=survey.member, role="lead")
        SurveyRoundFactory(questionnaire=survey.round.questionnaire, teams=[team, survey.team])
    # Leading teams adds: their open rounds, participation (round-team links,
    # today's members, responses by status) and who has not submitted (the
    # teams' members, submitted responses); and the new memberships make the
    # menu be worked out again: my teams, user and group permissions.
    with django_assert_num_queries(16):
        page = member_client.get(reverse("surveys:my_surveys"))
    assert page.content.decode().count("Not started") == 7

    for _ in range(3):
        team = TeamFactory()
        MembershipFactory(team=team, user=survey.member, role="lead")
        SurveyRoundFactory(questionnaire=survey.round.questionnaire, teams=[team, survey.team])
    member_client.get(reverse("surveys:my_surveys"))  # the menu, worked out again
    # Twice the teams led and rounds: the same 13 as with a warm menu above.
    with django_assert_num_queries(13):
        member_client.get(reverse("surveys:my_surveys"))
