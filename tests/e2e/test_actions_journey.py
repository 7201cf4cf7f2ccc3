"""The improvement loop in a browser: plan an action after round A, see after B if it worked."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from actions.models import Action
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    close_round,
    submit_team,
    uniform,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def round_a_closed():
    """Payments answered round A (tests at level 1 for all three) and A has closed."""
    team = TeamFactory(name="Payments", slug="payments")
    MembershipFactory(team=team, user=UserFactory(username="lee", first_name="Lee"), role="lead")
    round_a = SurveyRoundFactory(
        name="2026 Q1", slug="2026-q1", opens_at=timezone.now() - timedelta(days=60), teams=[team]
    )
    submit_team(round_a, team, uniform(3, 1, 2, 2))
    close_round(round_a)
    return team


def download(page, action) -> tuple[str, bytes]:
    with page.expect_download() as info:
        action()
    return info.value.suggested_filename, open(info.value.path(), "rb").read()


def test_a_lead_plans_an_action_and_sees_next_quarter_that_it_worked(
    page, live_server, login, watch, round_a_closed
):
    team = round_a_closed
    login("lee")
    page.goto(f"{live_server.url}/reports/teams/payments/")
    row = page.get_by_role("row").filter(has_text="How automated are your tests?")
    row.get_by_role("link", name=re.compile("Plan an action")).click()

    expect(page.get_by_role("heading", name="Plan an action")).to_be_visible()
    expect(page.get_by_text("Next level: Defined")).to_be_visible()
    page.get_by_label("Title").fill("Gate every merge on the tests")
    page.get_by_label("Owner").select_option(label="Lee")
    page.get_by_label("Visible to managers").check()
    page.get_by_role("button", name="Plan this action").click()
    expect(page.get_by_text("Saved “Gate every merge on the tests”.")).to_be_visible()
    action = Action.objects.get()
    assert (action.question_keys, action.raised_in.slug) == (["cicd-tests"], "2026-q1")

    # Round B opens: the open action is carried over to the team's pages.
    round_b = SurveyRoundFactory(
        name="2026 Q2", slug="2026-q2", opens_at=timezone.now() - timedelta(days=1), teams=[team]
    )
    page.goto(f"{live_server.url}/reports/teams/payments/?round=2026-q2")
    actions = page.locator("[data-actions]")
    expect(actions.get_by_text("Gate every merge on the tests")).to_be_visible()
    expect(actions.get_by_text("Shown when 2026 Q2 closes.")).to_be_visible()
    page.goto(f"{live_server.url}/actions/teams/payments/")
    page.get_by_label("Status of Gate every merge on the tests").select_option(label="In progress")
    page.get_by_role("button", name="Update").click()
    expect(page.get_by_text("is now in progress")).to_be_visible()

    # The team answers B (tests now at level 3), and B closes.
    submit_team(round_b, team, uniform(3, 3, 2, 2))
    close_round(round_b)

    page.goto(f"{live_server.url}/reports/teams/payments/")
    row = page.locator('[data-actions] [data-action="Gate every merge on the tests"]')
    expect(row).to_contain_text("1.00 → 3.00")
    expect(row).to_contain_text("▲")
    expect(row).to_contain_text("improved")

    name, content = download(
        page, lambda: page.get_by_role("link", name=re.compile("retro pack", re.I)).click()
    )
    assert name == "shipshape-2026-q2-team-payments-retro-pack.md"
    pack = content.decode()
    actions_part = pack[pack.index("## Improvement actions") : pack.index("## Where the team")]
    assert "**Gate every merge on the tests**" in actions_part
    assert "How automated are your tests? 1.00 → 3.00, ▲ +2.00" in actions_part
    watch.assert_clean()
