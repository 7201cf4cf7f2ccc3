"""Uncached dashboards cost a fixed number of queries, however many teams and rounds.

Each budget is measured with an empty cache (the cached page costs less, see
test_dashboard_cache), a warm session and the organisation figures that the
first view keeps in the database (reports.stored, see test_stored_aggregates).
The dataset is ``Org`` of tests/reports/dashboard_org.py: four teams in three
rounds, one team under k; the organisation page of many teams (a row per
group) is measured on the synthetic organisation of demo/synthetic.py at 35
and 70 teams.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from demo.synthetic import generate_organisation
from surveys.models import Membership, Team
from tests.factories import MembershipFactory, TeamFactory, load_questionnaire, make_manager
from tests.pages import figures, traces
from tests.reports.dashboard_org import NOW, Org, person

pytestmark = pytest.mark.django_db

CICD = "Continuous integration & delivery"

# A member of the team looking at its dashboard.
TEAM_QUERIES = [
    "session",
    "user",
    "privacy.Viewer: the viewer's memberships",
    "user permissions (manager?)",
    "group permissions (facilitator?)",
    "team by slug",
    "the team's rounds that have opened, with questionnaires",
    "privacy: closed rounds whose members at close are not recorded yet",
    "privacy: the viewer's memberships at the close of those rounds",
    "team_round_scores: the team's summaries",
    "team_round_scores: the team's category scores",
    "org_category_stats: the rounds' kept figures (reports.stored), still valid",
    "previous_round_for: the round compared with (bars and question deltas)",
    "question_scores: the team's question scores in the two rounds",
    "question_texts: the round's questions with their categories",
    "participation: the rounds' teams",
    "participation: members at each round's close",
    "participation: responses per round and status",
    "reflections: free-text answers of the round",
    "team_actions: the team's actions up to the round (none here; tests/actions counts more)",
    "navigation: the viewer's teams",
]
# A manager looking at the organisation dashboard.
ORG_QUERIES = [
    "session",
    "user",
    "privacy.Viewer: the viewer's memberships",
    "user permissions (manager?)",
    "group permissions (facilitator?)",
    "rounds that have opened, with questionnaires",
    "team groups for the filter",
    "privacy: is the round's membership at close recorded",
    "round_teams: the round's teams (a row per group above 30 teams?)",
    "org_round_matrix: practice categories",
    "org_round_matrix: category scores of the round",
    "round_participation: the round's teams",
    "participation: the round's teams",
    "participation: members at the round's close",
    "participation: responses per team and status",
    "org_category_stats: the trend's rounds' kept figures (reports.stored)",
    "cluster_counts: the rounds' kept counts (reports.stored)",
    "question_texts: the round's questions with their categories",
    "systemic_questions: the round's kept keys (reports.stored)",
    "navigation: the viewer's teams",
    "action_effects: practice categories of the round",
    "action_effects: actions planned and done in the round, per category",
    "action_effects: done actions with their rounds",
]
# The page of many teams (a row per group) reads the round's group figures kept
# at its first view (reports.stored) instead of every team's scores, and sums
# participation per group in the database instead of per team.
GROUPED_ORG_QUERIES = [
    *ORG_QUERIES[: ORG_QUERIES.index("org_round_matrix: practice categories")],
    "org_group_figures: the round's kept group figures and levels (reports.stored)",
    *ORG_QUERIES[
        ORG_QUERIES.index("org_round_matrix: category scores of the round") + 1 : ORG_QUERIES.index(
            "round_participation: the round's teams"
        )
    ],
    "participation_by_group: the round's teams per group",
    "participation_by_group: members at the close per group",
    "participation_by_group: responses per group and status",
    *ORG_QUERIES[ORG_QUERIES.index("participation: responses per team and status") + 1 :],
]
NEW_TEAMS = ("Foxtrot", "Golf", "Hotel")


@pytest.fixture
def org():
    dataset = Org()
    with time_machine.travel(NOW, tick=False):
        yield dataset


def grow(org) -> None:
    """Three more teams in every round, and two earlier rounds for everyone."""
    with time_machine.travel(datetime(2024, 6, 1, tzinfo=UTC), tick=False):
        for name in NEW_TEAMS:
            org.teams[name] = TeamFactory(name=name, slug=name.lower(), group="Platform")
            MembershipFactory(team=org.teams[name])
        # Alpha's people were in the team for the earlier rounds too.
        Membership.objects.filter(team=org.teams["Alpha"]).update(created_at=timezone.now())
    for survey_round in org.rounds:
        survey_round.teams.add(*(org.teams[name] for name in NEW_TEAMS))
    earlier = [
        org.add_round("2024 Q3", datetime(2024, 7, 8, tzinfo=UTC)),
        org.add_round("2024 Q4", datetime(2024, 10, 7, tzinfo=UTC)),
    ]
    for survey_round in [*earlier, *org.rounds]:
        with time_machine.travel(survey_round.opens_at + timedelta(days=2), tick=False):
            if survey_round in earlier:
                org.submit(survey_round, "Alpha", {p: person(2, 2, 2) for p in ("ana", "ben")})
            for name in NEW_TEAMS:
                org.submit(survey_round, name, {p: person(3, 2, 1) for p in ("x", "y", "z")})


def uncached_get(client, url, params=None):
    cache.clear()
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def test_team_dashboard_query_budget_does_not_grow(org, client, django_assert_num_queries):
    client.force_login(org.members["Alpha"]["dan"])
    url = reverse("reports:team_dashboard", args=["alpha"])
    uncached_get(client, url)  # warm the session and content types

    cache.clear()
    with django_assert_num_queries(len(TEAM_QUERIES)):
        before = client.get(url)
    grow(org)
    uncached_get(client, url)  # records who was in each new round's teams at its close
    cache.clear()
    with django_assert_num_queries(len(TEAM_QUERIES)):
        after = client.get(url)

    assert len(TEAM_QUERIES) == 21
    assert traces(figures(before)["trend"])[CICD]["x"] == ["2025 Q1", "2025 Q2", "2025 Q3"]
    assert traces(figures(after)["trend"])[CICD]["x"] == [
        "2024 Q3",
        "2024 Q4",
        "2025 Q1",
        "2025 Q2",
        "2025 Q3",
    ]


def test_org_dashboard_query_budget_does_not_grow(org, client, django_assert_num_queries):
    client.force_login(make_manager())
    url = reverse("reports:org_dashboard")
    uncached_get(client, url)

    cache.clear()
    with django_assert_num_queries(len(ORG_QUERIES)):
        before = client.get(url)
    grow(org)
    uncached_get(client, url)  # records who was in each new round's teams at its close
    cache.clear()
    with django_assert_num_queries(len(ORG_QUERIES)):
        after = client.get(url)

    assert len(ORG_QUERIES) == 23
    assert figures(before)["heatmap"]["data"][0]["y"] == ["Alpha", "Bravo", "Charlie", "Delta"]
    heatmap = figures(after)["heatmap"]["data"][0]
    assert heatmap["y"] == ["Alpha", "Bravo", "Charlie", "Delta", *NEW_TEAMS]
    assert len(traces(figures(after)["trend"])[CICD]["x"]) == 5


def test_filtered_org_dashboard_costs_the_same(org, client, django_assert_num_queries):
    client.force_login(make_manager())
    url = reverse("reports:org_dashboard")
    uncached_get(client, url)

    uncached_get(client, url, {"group": "Platform", "from": "2025-q2", "round": "2025-q2"})
    cache.clear()
    with django_assert_num_queries(len(ORG_QUERIES)):
        response = client.get(url, {"group": "Platform", "from": "2025-q2", "round": "2025-q2"})

    assert figures(response)["heatmap"]["data"][0]["y"] == ["Alpha", "Charlie"]


@pytest.mark.parametrize("teams", [35, 70])
def test_org_dashboard_of_many_teams_has_a_fixed_budget_by_group_and_drilled_down(
    teams, client, django_assert_num_queries
):
    # The synthetic organisation: ten groups up to 250 teams (demo/synthetic.py).
    generate_organisation(questionnaire=load_questionnaire(), teams=teams, rounds=2, respondents=3)
    client.force_login(make_manager())
    url = reverse("reports:org_dashboard")
    uncached_get(client, url)  # records who was in each team at the close

    cache.clear()
    with django_assert_num_queries(len(GROUPED_ORG_QUERIES)):
        grouped = client.get(url)
    uncached_get(client, url, {"group": "Group C"})
    cache.clear()
    with django_assert_num_queries(len(ORG_QUERIES)):
        drilled = client.get(url, {"group": "Group C"})

    assert len(GROUPED_ORG_QUERIES) == len(ORG_QUERIES) - 2
    groups = [f"Group {letter}" for letter in "ABCDEFGHIJ"]
    assert figures(grouped)["heatmap"]["data"][0]["y"] == groups
    assert traces(figures(grouped)["participation"])["Submitted"]["x"] == groups
    in_c = list(
        Team.objects.filter(group="Group C").order_by("name").values_list("name", flat=True)
    )
    assert len(in_c) == len(range(2, teams + 1, 10))  # numbers 2, 12, 22...
    assert figures(drilled)["heatmap"]["data"][0]["y"] == in_c
