"""Who may open the dashboards: each role x each dashboard URL.

Another team's dashboard answers 404, never 403, so its existence is not
revealed; the organisation dashboard is for managers and facilitators.
"""

import re

import pytest
from django.urls import reverse

from surveys.models import SurveyRound
from tests.factories import (
    WORKED_EXAMPLE,
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    close_round,
    make_facilitator,
    make_manager,
    submit_team,
)

pytestmark = pytest.mark.django_db

URLS = {
    "team A": reverse("reports:team_dashboard", args=["payments"]),
    "org": reverse("reports:org_dashboard"),
}
# Each page's own heading and a section title only that page has.
CONTENT = {
    "team A": (r"<h1[^>]*>\s*Payments\s*</h1>", "Category scores over time"),
    "org": (r"<h1[^>]*>\s*Organisation\s*</h1>", "Maturity by team and category"),
}


@pytest.fixture
def teams():
    """Payments (team A) answered the worked example; Checkout is team B.

    The round is open until a test closes it: results appear at the close.
    """
    payments = TeamFactory(name="Payments", slug="payments")
    checkout = TeamFactory(name="Checkout", slug="checkout")
    survey_round = SurveyRoundFactory(name="2026 Q1", slug="2026-q1", teams=[payments, checkout])
    submit_team(survey_round, payments, WORKED_EXAMPLE)
    return payments, checkout


def user_for(role: str, teams):
    payments, checkout = teams
    if role == "member of A":
        return MembershipFactory(team=payments, user=UserFactory(username="alice")).user
    if role == "lead of A":
        return MembershipFactory(team=payments, user=UserFactory(username="lee"), role="lead").user
    if role == "member of B":
        return MembershipFactory(team=checkout, user=UserFactory(username="bob")).user
    if role == "manager":
        return make_manager()
    if role == "facilitator":
        return make_facilitator()
    return None


MATRIX = [
    ("anonymous", "team A", 302),
    ("anonymous", "org", 302),
    ("member of A", "team A", 200),
    ("member of A", "org", 404),
    ("lead of A", "team A", 200),
    ("lead of A", "org", 404),
    ("member of B", "team A", 404),
    ("member of B", "org", 404),
    ("manager", "team A", 200),
    ("manager", "org", 200),
    ("facilitator", "team A", 200),
    ("facilitator", "org", 200),
]


@pytest.mark.parametrize("role,dashboard,expected", MATRIX)
def test_dashboard_access_matrix(client, teams, role, dashboard, expected):
    user = user_for(role, teams)
    close_round(SurveyRound.objects.get(slug="2026-q1"))  # results appear at the close
    if user is not None:
        client.force_login(user)

    response = client.get(URLS[dashboard])

    assert response.status_code == expected
    heading, section_title = CONTENT[dashboard]
    if expected == 200:
        assert re.search(heading, response.text)
        assert section_title in response.text
    elif expected == 302:
        assert response["Location"] == f"{reverse('login')}?next={URLS[dashboard]}"
    else:
        assert "Page not found" in response.text
        assert not re.search(heading, response.text)
        assert section_title not in response.text
        if role == "member of B":
            assert "Payments" not in response.text


def without_csrf_token(html: str) -> str:
    # The logout form's token is masked afresh on every response.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_another_teams_dashboard_looks_exactly_like_a_missing_one(client, teams):
    client.force_login(user_for("member of B", teams))

    other_team = client.get(URLS["team A"])
    missing = client.get(reverse("reports:team_dashboard", args=["no-such-team"]))

    assert other_team.status_code == missing.status_code == 404
    assert without_csrf_token(other_team.text) == without_csrf_token(missing.text)


def test_navigation_links_each_role_to_the_dashboards_it_may_open(client, teams):
    client.force_login(user_for("member of A", teams))
    close_round(SurveyRound.objects.get(slug="2026-q1"))
    member_page = client.get(URLS["team A"]).text
    client.force_login(make_manager())
    manager_page = client.get(URLS["org"]).text

    assert f'href="{URLS["team A"]}">Payments results</a>' in member_page
    assert f'href="{URLS["org"]}">Organisation</a>' not in member_page
    assert f'href="{URLS["org"]}">Organisation</a>' in manager_page
