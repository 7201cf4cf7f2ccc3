"""The demo of make run: six teams, nine rounds, logins that work; seeded once for the module.

What seed_demo refuses to do is test_seed_demo_refusals.py (it needs an empty database).
"""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import override_settings

from actions.models import Action
from reports.models import TeamRoundSummary
from surveys.models import Answer, Response, SurveyRound, Team
from tests.factories import DEMO_QUESTIONNAIRES, load_questionnaire

pytestmark = pytest.mark.django_db


def seed_the_demo() -> str:
    """What seed_demo prints; it runs with debug on, as in make run."""
    output = io.StringIO()
    with override_settings(DEBUG=True):
        for path in DEMO_QUESTIONNAIRES:
            load_questionnaire(path)
        call_command("seed_demo", stdout=output)
    return output.getvalue()


@pytest.fixture(scope="module")
def demo_output(module_rows) -> str:
    # Seeded once for the module; what each test changes is rolled back after it.
    return module_rows(seed_the_demo)


@pytest.fixture
def seeded(demo_output, settings) -> str:
    settings.DEBUG = True
    return demo_output


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


def test_the_demo_has_actions_that_worked_and_actions_that_did_not(seeded, client):
    assert "9 improvement actions" in seeded
    assert set(Action.objects.values_list("status", flat=True)) == {
        "planned",
        "in_progress",
        "done",
        "dropped",
    }
    client.login(username="lead", password="demo")
    page = client.get("/reports/teams/payments/").text
    section = page[page.index('id="actions-h"') :]
    assert "<strong data-verdict>improved</strong>" in section
    assert "<strong data-verdict>within the noise</strong>" in section
    assert "Quarantine flaky tests the day they fail" in section  # planned after the latest round


def test_the_demo_shows_a_questionnaire_change_in_its_latest_rounds(seeded):
    rounds = list(SurveyRound.objects.select_related("questionnaire").order_by("opens_at"))
    assert [r.questionnaire.version for r in rounds] == [1] * 7 + [2, 2]
    ticked = Answer.objects.filter(
        question__key="obs-telemetry-in-place", response__status="submitted", number__gt=0
    )
    assert ticked.exists()
    assert all(answer.ticked.count() == answer.number for answer in ticked[:20])
