"""Dashboards with no results to show say why, and draw no chart."""

import pytest

from tests.factories import MembershipFactory, TeamFactory, make_manager
from tests.pages import org_page, team_page

pytestmark = pytest.mark.django_db


def test_team_without_rounds_explains_why_the_page_is_empty(client):
    team = TeamFactory(name="Echo", slug="echo")
    member = MembershipFactory(team=team).user

    response = team_page(client, member, "Echo")

    assert "Echo has no results to show you yet." in response.text
    assert "application/json" not in response.text
    assert "plotly" not in response.text


def test_org_dashboard_without_rounds_explains_why_it_is_empty(client):
    response = org_page(client, make_manager())

    assert "No round has opened yet." in response.text
    assert "application/json" not in response.text
    assert "plotly" not in response.text
