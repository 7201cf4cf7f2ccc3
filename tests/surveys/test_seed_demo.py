import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from reports.models import TeamRoundSummary
from surveys.models import Answer, Response, SurveyRound, Team
from tests.factories import DEFAULT_QUESTIONNAIRE, load_questionnaire

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, capsys):
    settings.DEBUG = True
    load_questionnaire(DEFAULT_QUESTIONNAIRE)
    call_command("seed_demo")
    return capsys.readouterr().out


def test_demo_has_six_teams_eight_past_rounds_and_one_open_round(seeded):
    assert Team.objects.count() == 6
    assert SurveyRound.objects.closed().count() == 8
    assert SurveyRound.objects.open().count() == 1
    assert Response.objects.submitted().filter(round__in=SurveyRound.objects.closed()).count() > 200


def test_demo_member_has_a_draft_in_the_open_round(seeded):
    draft = Response.objects.get(
        round__in=SurveyRound.objects.open(), respondent__username="member"
    )
    assert draft.status == Response.Status.DRAFT
    assert draft.answers.exists()


def test_demo_prints_the_logins_and_they_work(seeded):
    for username in ("member", "lead", "manager", "facilitator", "admin"):
        assert username in seeded
        assert authenticate(username=username, password="demo") is not None


def test_demo_scores_are_materialised_and_show_trends(seeded):
    payments = list(
        TeamRoundSummary.objects.filter(
            team__slug="payments", round__in=SurveyRound.objects.closed()
        )
        .order_by("round__opens_at")
        .values_list("overall", flat=True)
    )
    identity = list(
        TeamRoundSummary.objects.filter(
            team__slug="identity", round__in=SurveyRound.objects.closed()
        )
        .order_by("round__opens_at")
        .values_list("overall", flat=True)
    )
    assert payments[-1] > payments[0] + 0.5  # improving
    assert identity[-1] < identity[0]  # regressing


def test_running_the_demo_again_changes_nothing(seeded):
    counts = (Team.objects.count(), SurveyRound.objects.count(), Answer.objects.count())
    call_command("seed_demo")
    assert (Team.objects.count(), SurveyRound.objects.count(), Answer.objects.count()) == counts


def test_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DJANGO_DEBUG off"):
        call_command("seed_demo")
    assert not Team.objects.exists()


def test_demo_needs_the_questionnaire_first(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="load_questionnaire"):
        call_command("seed_demo")
    assert not Team.objects.exists()
