"""Results appear when a round closes: the open round's participation, then its results."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from surveys.models import SurveyRound
from tests.factories import DEFAULT_QUESTIONNAIRE, load_questionnaire

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo():
    load_questionnaire(DEFAULT_QUESTIONNAIRE)
    call_command("seed_demo", "--force", verbosity=0)


def test_an_open_round_shows_participation_until_a_facilitator_closes_it(
    page, live_server, login, logout, watch, demo
):
    current = SurveyRound.objects.open().get()
    dashboard = f"{live_server.url}/reports/teams/payments/?round={current.slug}"

    login("lead", "demo")
    page.goto(dashboard)
    expect(page.get_by_text(re.compile(f"Results of {current.name} appear when"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Participation so far"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d+ of \d+ members have submitted"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Questions in"))).to_have_count(0)
    expect(page.locator("[data-chart]")).to_have_count(0)
    # The downloads of an open round are refused with the same explanation.
    page.goto(f"{live_server.url}/reports/exports/rounds/{current.slug}/teams/payments/csv/")
    expect(page.get_by_text(re.compile("appear when the round closes"))).to_be_visible()
    watch.console_errors.remove(
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    )
    logout()

    login("facilitator", "demo")
    page.goto(f"{live_server.url}/surveys/manage/rounds/{current.slug}/")
    page.get_by_role("button", name="Close now").click()
    expect(page.get_by_text(re.compile("cannot be reopened"))).to_be_visible()
    page.goto(f"{live_server.url}/reports/organisation/?round={current.slug}")
    expect(
        page.get_by_role(
            "heading", name=re.compile(f"^Maturity by team and category, {current.name}")
        )
    ).to_be_visible()
    logout()

    login("lead", "demo")
    page.goto(dashboard)
    expect(page.get_by_text(re.compile("appear when the round closes"))).to_have_count(0)
    expect(page.get_by_role("heading", name=f"Questions in {current.name}")).to_be_visible()
    watch.assert_clean()
