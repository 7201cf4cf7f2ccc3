"""Managers and members looking at results in a real browser; accessibility checks."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from tests.factories import DEFAULT_QUESTIONNAIRE, load_questionnaire

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo(settings):
    load_questionnaire(DEFAULT_QUESTIONNAIRE)
    call_command("seed_demo", "--force", verbosity=0)  # --force: tests run with debug off


def charts_rendered(page):
    charts = page.locator("[data-chart]")
    expect(charts.first).to_be_visible()
    count = charts.count()
    expect(page.locator("[data-chart][data-rendered=true]")).to_have_count(count, timeout=15_000)
    # Plotly drew SVG into every chart.
    for index in range(count):
        assert charts.nth(index).locator("svg.main-svg").count() > 0
    return count


def test_manager_sees_every_chart_and_the_round_filter_redraws_the_heatmap(
    page, live_server, login, watch, demo
):
    login("manager", "demo")
    page.get_by_role("link", name="Organisation").click()
    expect(page.get_by_role("heading", name="Organisation", exact=True)).to_be_visible()
    assert charts_rendered(page) == 5

    heading = page.get_by_role("heading", name=re.compile("^Maturity by team and category"))
    before = heading.inner_text()
    page.get_by_label("Round (heatmap, levels, participation)").select_option(index=3)
    page.get_by_role("button", name="Apply").click()
    expect(heading).not_to_have_text(before)
    assert charts_rendered(page) == 5
    expect(page.locator("#chart-heatmap")).to_contain_text("Payments")
    watch.assert_clean()


def test_member_sees_their_team_trend_with_discussion_flags(page, live_server, login, watch, demo):
    login("member", "demo")
    page.get_by_role("link", name="Payments results").click()
    expect(page.get_by_role("heading", name="Payments", exact=True)).to_be_visible()
    assert charts_rendered(page) == 4
    expect(page.get_by_role("heading", name=re.compile("^Questions in"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Reflections"))).to_be_visible()
    watch.assert_clean()


def test_a_member_opening_another_teams_dashboard_gets_a_not_found_page(
    page, live_server, login, logout, demo
):
    login("member", "demo")
    response = page.goto(f"{live_server.url}/reports/teams/platform/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("Platform")).to_have_count(0)


SERIOUS = {"serious", "critical"}


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def test_key_pages_have_no_serious_accessibility_violations(page, live_server, login, logout, demo):
    page.goto(f"{live_server.url}/accounts/login/")
    found = {"login": serious_violations(page)}
    login("member", "demo")
    found["my surveys"] = serious_violations(page)
    page.get_by_role("link", name=re.compile(r"Q\d · Payments")).click()
    page.wait_for_load_state()
    found["survey page"] = serious_violations(page)
    page.goto(f"{live_server.url}/reports/teams/payments/")
    charts_rendered(page)
    found["team dashboard"] = serious_violations(page)
    logout()
    login("manager", "demo")
    page.goto(f"{live_server.url}/reports/organisation/")
    charts_rendered(page)
    found["organisation dashboard"] = serious_violations(page)
    assert {name: v for name, v in found.items() if v} == {}


def test_a_survey_page_can_be_completed_with_the_keyboard_alone(page, live_server, login, demo):
    login("member", "demo")
    page.get_by_role("link", name=re.compile(r"Q\d · Payments")).click()
    page.wait_for_load_state()
    first_group = page.get_by_role("group", name=re.compile(r"^1\. "))
    first_radio = first_group.get_by_role("radio").first
    first_radio.focus()
    page.keyboard.press("ArrowDown")  # moves and selects within the group
    checked = first_group.get_by_role("radio", checked=True)
    expect(checked).to_have_count(1)
    # Focus is visible: our stylesheet draws an outline on :focus-visible.
    outline = page.evaluate(
        "document.activeElement && getComputedStyle(document.activeElement).outlineStyle"
    )
    assert outline not in (None, "none")
    # Tab reaches the save button, and Enter saves.
    for _ in range(200):
        page.keyboard.press("Tab")
        if (
            page.evaluate("document.activeElement && document.activeElement.textContent.trim()")
            == "Save draft"
        ):
            break
    else:
        pytest.fail("Save draft is not reachable with Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your answers are saved as a draft.")).to_be_visible()
