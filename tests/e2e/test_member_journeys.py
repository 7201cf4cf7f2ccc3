"""A team member answers a round in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from surveys.models import Answer, Response
from tests.factories import MembershipFactory, SurveyRoundFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def setup_survey():
    team = TeamFactory(name="Payments", slug="payments")
    member = MembershipFactory(team=team, user=UserFactory(username="alice")).user
    survey_round = SurveyRoundFactory(name="2026 Q4", slug="2026-q4", teams=[team])
    return team, member, survey_round


def test_member_answers_across_sessions_and_submits_once(
    page, live_server, login, logout, watch, setup_survey
):
    login("alice")
    page.get_by_role("link", name=re.compile("2026 Q4")).click()
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("heading", name="Continuous integration & delivery")).to_be_visible()

    # Mouse: pick a described level; keyboard: arrow keys within the next radio group.
    page.get_by_role("radio", name=re.compile(r"^Managed")).first.check()
    second = page.get_by_role("group", name=re.compile("How do you roll out changes"))
    second.get_by_role("radio", name=re.compile(r"^Initial")).focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(second.get_by_role("radio", name=re.compile(r"^Defined"))).to_be_checked()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Incident response")).to_be_visible()

    # Leave and come back in a new session: the draft resumes where we were.
    logout()
    login("alice")
    page.get_by_role("link", name=re.compile("2026 Q4")).click()
    expect(page.get_by_role("heading", name="Incident response")).to_be_visible()
    page.get_by_role("link", name="Continuous integration & delivery").click()
    expect(page.get_by_role("radio", name=re.compile(r"^Managed")).first).to_be_checked()
    page.get_by_role("link", name="Incident response").click()

    page.get_by_role("radio", name=re.compile(r"^Don't know")).first.check()
    page.get_by_role("button", name="Next").click()
    for label in (
        "How often do you deploy?",
        "How long from commit to production?",
        "How long to recover from a failed deployment?",
    ):
        page.get_by_role("group", name=re.compile(re.escape(label))).get_by_role("radio").nth(
            3
        ).check()
    page.get_by_label(re.compile("What share of deployments need a fix")).fill("15")
    page.get_by_role("button", name="Review and submit").click()

    expect(page.get_by_text("Everything required is answered.")).to_be_visible()
    submit = page.get_by_role("button", name="Submit my answers")
    submit.dblclick()
    expect(
        page.get_by_role("heading", name=re.compile("your answers are submitted"))
    ).to_be_visible()

    assert Response.objects.count() == 1
    assert Response.objects.get().status == "submitted"
    assert Answer.objects.count() == 7
    watch.assert_clean()


def test_autosave_keeps_answers_across_a_reload(page, live_server, login, watch, setup_survey):
    login("alice")
    page.get_by_role("link", name=re.compile("2026 Q4")).click()
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_role("radio", name=re.compile(r"^Optimizing")).first.check()
    page.get_by_label("What slowed your delivery this quarter?").fill("Waiting for reviews.")
    expect(page.get_by_text(re.compile(r"^Saved at \d\d:\d\d"))).to_be_visible(timeout=10_000)

    page.reload()
    expect(page.get_by_role("radio", name=re.compile(r"^Optimizing")).first).to_be_checked()
    expect(page.get_by_label("What slowed your delivery this quarter?")).to_have_value(
        "Waiting for reviews."
    )
    watch.assert_clean()
