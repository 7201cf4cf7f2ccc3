"""selectors.member_survey and page_answers: the answering pages' reads, as SQL written once.

It builds the round, questionnaire, team and response from its own SQL, so these
tests hold it to what the ORM would load: every field equal, converted the same
way (aware datetimes and booleans on SQLite too), and nothing for someone who
may not answer.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.models import Questionnaire
from surveys.models import Answer, Response, SurveyRound, Team
from surveys.selectors import member_survey, page_answers
from surveys.services import response_save_draft, response_start
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    answers_for,
)

pytestmark = pytest.mark.django_db


def fields_of(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.fixture
def setting():
    membership = MembershipFactory()
    other_team = TeamFactory()
    survey_round = SurveyRoundFactory(teams=[membership.team, other_team])
    return membership.user, membership.team, survey_round, other_team


def test_a_member_gets_the_round_questionnaire_team_and_no_response_before_starting(setting):
    user, team, survey_round, _ = setting
    with CaptureQueriesContext(connection) as ctx:
        found_round, found_team, response = member_survey(user, survey_round.slug, team.slug)
    assert len(ctx.captured_queries) == 1
    assert response is None
    assert fields_of(found_round) == fields_of(SurveyRound.objects.get(pk=survey_round.pk))
    assert fields_of(found_team) == fields_of(Team.objects.get(pk=team.pk))
    questionnaire = Questionnaire.objects.get(pk=survey_round.questionnaire_id)
    with CaptureQueriesContext(connection) as ctx:
        assert fields_of(found_round.questionnaire) == fields_of(questionnaire)
    assert ctx.captured_queries == []  # loaded with the round
    assert found_round.opens_at.tzinfo is not None and found_round.is_open()


def test_the_response_is_loaded_with_its_relations_set(setting):
    user, team, survey_round, _ = setting
    started = response_start(survey_round=survey_round, team=team, user=user)
    found_round, found_team, response = member_survey(user, survey_round.slug, team.slug)
    assert fields_of(response) == fields_of(Response.objects.get(pk=started.pk))
    assert response.started_at.tzinfo is not None
    with CaptureQueriesContext(connection) as ctx:
        assert response.round is found_round and response.team is found_team
        assert response.respondent is user
    assert ctx.captured_queries == []
    # Saved as the ORM's own instance would be: an update, not a second row.
    response.save(update_fields=["updated_at"])
    assert Response.objects.count() == 1


def test_nobody_else_gets_anything(setting):
    user, team, survey_round, other_team = setting
    outsider = UserFactory()
    assert member_survey(outsider, survey_round.slug, team.slug) is None
    assert member_survey(AnonymousUser(), survey_round.slug, team.slug) is None
    # A member of a team taking part, but not of this one.
    assert member_survey(user, survey_round.slug, other_team.slug) is None
    # A team member, but the team does not take part in this round.
    other_round = SurveyRoundFactory(teams=[other_team])
    assert member_survey(user, other_round.slug, team.slug) is None
    assert member_survey(user, "no-such-round", team.slug) is None


def test_another_members_response_is_not_mine(setting):
    user, team, survey_round, _ = setting
    colleague = MembershipFactory(team=team).user
    response_start(survey_round=survey_round, team=team, user=colleague)
    assert member_survey(user, survey_round.slug, team.slug)[2] is None
    assert member_survey(colleague, survey_round.slug, team.slug)[2].respondent == colleague


def test_page_answers_are_the_orms_answers_to_that_pages_questions(setting):
    user, team, survey_round, _ = setting
    response = response_start(survey_round=survey_round, team=team, user=user)
    questions = {q.key: q for q in survey_round.questionnaire.questions.select_related("category")}
    ci_cd = questions["cicd-tests"].category
    delivery = questions["dora-change-failure-rate"].category
    assert page_answers(response, ci_cd) == {}
    response_save_draft(
        response=response,
        answers=answers_for(
            survey_round.questionnaire,
            {"cicd-tests": 3, "cicd-rollout": 2, "dora-change-failure-rate": 15},
        ),
        page=1,
    )
    with CaptureQueriesContext(connection) as ctx:
        found = page_answers(response, ci_cd)
    assert len(ctx.captured_queries) == 1
    stored = Answer.objects.filter(response=response, question__category=ci_cd)
    assert {q: fields_of(a) for q, a in found.items()} == {
        a.question_id: fields_of(a) for a in stored
    }
    assert set(found) == {questions["cicd-tests"].pk, questions["cicd-rollout"].pk}
    assert all(a.response is response and a.updated_at.tzinfo for a in found.values())
    (percent,) = page_answers(response, delivery).values()
    assert percent.number == 15
    # Another member's answers are never mine.
    colleague = MembershipFactory(team=team).user
    theirs = response_start(survey_round=survey_round, team=team, user=colleague)
    assert page_answers(theirs, ci_cd) == {}
