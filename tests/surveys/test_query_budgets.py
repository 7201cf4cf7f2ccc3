"""Answering pages cost a fixed number of queries, whatever the number of questions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    DEFAULT_QUESTIONNAIRE,
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    load_questionnaire,
)

pytestmark = pytest.mark.django_db


def test_answering_page_query_budget(member_client, survey, django_assert_num_queries):
    member_client.post(survey.url("start"))
    member_client.get(survey.url("page", 1))  # warm the session and content types
    # 1 session, 2 user, 3 round + questionnaire, 4 team membership check,
    # 5 my response, 6 categories, 7 questions, 8 choices, 9 this page's answers,
    # 10 user permissions, 11 group permissions (navigation: facilitator links),
    # 12 my teams (navigation: links to team results).
    with django_assert_num_queries(12):
        response = member_client.get(survey.url("page", 1))
    assert response.status_code == 200


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_answering_page_costs_the_same_for_a_47_question_questionnaire(member_client, survey):
    member_client.post(survey.url("start"))
    small = queries_for(member_client, survey.url("page", 1))

    big_questionnaire = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    big_round = SurveyRoundFactory(
        name="Big", slug="big", questionnaire=big_questionnaire, teams=[survey.team]
    )
    url = reverse("surveys:start", args=[big_round.slug, survey.team.slug])
    member_client.post(url)
    big = queries_for(
        member_client, reverse("surveys:page", args=[big_round.slug, survey.team.slug, 2])
    )
    assert big == small


def test_my_surveys_query_budget_does_not_grow_with_teams_and_rounds(
    member_client, survey, django_assert_num_queries
):
    member_client.get(reverse("surveys:my_surveys"))
    # 1 session, 2 user, 3 memberships, 4 round-team links with rounds,
    # 5 my responses with answer counts, 6 question counts, 7 teams I lead,
    # 8 user permissions, 9 group permissions, 10 my teams (navigation).
    with django_assert_num_queries(10):
        member_client.get(reverse("surveys:my_surveys"))

    for _ in range(3):
        team = TeamFactory()
        MembershipFactory(team=team, user=survey.member, role="lead")
        SurveyRoundFactory(questionnaire=survey.round.questionnaire, teams=[team, survey.team])
    # Leading teams adds: memberships of led teams, their open rounds,
    # submitted responses in those rounds.
    with django_assert_num_queries(13):
        page = member_client.get(reverse("surveys:my_surveys"))
    assert page.content.decode().count("Not started") == 7
