"""The organisation page of many teams: a row per team group, drilling down to its teams.

The dataset is ``Groups`` of tests/reports/dashboard_groups.py (34 teams of one
closed round in five groups and none; its docstring has the table). The page of
a small organisation, a team per row, is tested in test_dashboard_content.py.
"""

import copy
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse

from reports import dashboards, selectors
from reports.selectors import NO_GROUP
from surveys import privacy
from surveys.models import Team
from tests.factories import SurveyRoundFactory, make_manager
from tests.pages import figures, numbers_in, org_page, section, traces
from tests.reports.dashboard_groups import (
    GROUP_ORDER,
    NOW,
    PLATFORM_WITHHELD,
    TEAMS,
    WITHHELD_VALUE,
    Groups,
)

pytestmark = pytest.mark.django_db

PLATFORM = ["Platform 1", "Platform 2", "Platform 3", "Platform 4", "Platform Pw"]
LOOSE = ["Loose 1", "Loose 2", "Loose 3", "Loose 4"]


@pytest.fixture(scope="module")
def built_groups(module_rows) -> Groups:
    return module_rows(Groups)


@pytest.fixture
def org(built_groups):
    with time_machine.travel(NOW, tick=False):
        yield copy.deepcopy(built_groups)


def group_figures(org):
    return selectors.group_matrix(selectors.org_round_matrix(org.round))


def heatmap_rows(response) -> dict[str, str]:
    """Row header text -> the row's HTML in the heatmap's table of numbers."""
    table = section(response, "heatmap-h")
    rows = table.split("<tbody>")[1].split("</tr>")[:-1]
    return {row.split('">', 2)[2].split("</a>")[0]: row for row in rows}


# --- the group figures ----------------------------------------------------------------


def test_group_rows_are_alphabetical_with_no_group_last_never_by_score(org):
    groups = group_figures(org)

    assert list(groups.scores.index) == ["Apps", "Data", "Platform", "Quiet", "Zeta", NO_GROUP]
    by_score = groups.scores["ci-cd"].dropna().sort_values().index.tolist()
    assert by_score == ["Data", NO_GROUP, "Platform", "Apps"]  # not the order shown


def test_a_group_figure_is_the_median_of_its_released_teams_only(org):
    groups = group_figures(org)

    # Platform: 1.0, 2.0, 2.5, 3.5 released; Pw (2 respondents, 4.0) is withheld:
    # with it the median would be 2.5, and the difference would give Pw's score away.
    assert groups.scores.loc["Platform", "ci-cd"] == pytest.approx(2.25)
    assert groups.counted.loc["Platform", "ci-cd"] == 4
    assert groups.teams["Platform"] == 5
    assert not groups.withheld.loc["Platform"].any()
    assert groups.scores.loc["Data", "ci-cd"] == pytest.approx(1.0)  # 1.0, 1.0, 1.5
    assert groups.scores.loc["Apps"].tolist() == [3.0, 3.0]
    assert groups.counted.loc["Apps"].tolist() == [20, 20]


def test_a_group_without_a_released_team_reads_withheld_or_no_responses(org):
    groups = group_figures(org)

    assert groups.withheld.loc["Zeta"].all()
    assert not groups.no_responses.loc["Zeta"].any()
    assert groups.no_responses.loc["Quiet"].all()
    assert not groups.withheld.loc["Quiet"].any()
    for group in ("Zeta", "Quiet"):
        assert groups.scores.loc[group].isna().all()
        assert groups.counted.loc[group].tolist() == [0, 0]
        assert groups.teams[group] == 1


def test_the_kept_group_figures_equal_the_computed_ones(org, django_assert_num_queries):
    matrix = selectors.org_round_matrix(org.round)
    expected = selectors.group_matrix(matrix), selectors.level_distribution(matrix)

    first = selectors.org_group_figures(org.round)  # computed and kept
    with django_assert_num_queries(1):
        again = selectors.org_group_figures(org.round)  # read back

    for groups, levels in (first, again):
        for name in ("scores", "counted", "withheld", "no_responses", "teams"):
            assert getattr(groups, name).equals(getattr(expected[0], name)), name
        assert groups.category_names == expected[0].category_names
        assert levels.equals(expected[1])
    # No score is null in the database and NaN again when read back.
    assert again[0].scores.loc["Quiet"].isna().all()
    assert again[0].no_responses.loc["Quiet"].all()


def test_teams_without_a_group_form_the_no_group_row(org):
    groups = group_figures(org)

    assert groups.scores.loc[NO_GROUP].tolist() == [2.0, 1.0]
    assert groups.teams[NO_GROUP] == 4
    assert list(selectors.org_round_matrix(org.round, group=NO_GROUP).scores.index) == LOOSE


def test_participation_adds_up_per_group_in_the_same_order(org):
    privacy.record_members_at_close([org.round])  # as the page does: members at the close
    teams = selectors.round_participation(org.round)

    by_group = selectors.group_participation(teams).set_index("group_name")

    assert list(by_group.index) == GROUP_ORDER
    assert by_group.loc["Apps", ["teams", "invited", "submitted"]].tolist() == [20, 60, 60]
    # Four Platform teams with 3 of 3, Pw with 2 of 3.
    assert by_group.loc["Platform", ["teams", "invited", "submitted"]].tolist() == [5, 15, 14]
    assert by_group.loc["Quiet", "submitted"] == 0
    assert by_group.loc["No group", "group"] == NO_GROUP


def test_participation_summed_by_the_database_equals_the_sum_of_the_teams(org):
    privacy.record_members_at_close([org.round])
    open_round = SurveyRoundFactory(
        opens_at=NOW - timedelta(days=1),
        closes_at=NOW + timedelta(days=7),
        teams=Team.objects.all(),
    )

    for survey_round in (org.round, open_round):  # members at the close; today's members
        by_team = selectors.group_participation(selectors.round_participation(survey_round))
        assert selectors.round_group_participation(survey_round).equals(by_team)
    closed = selectors.round_group_participation(org.round).set_index("group_name")
    assert closed.loc["Platform", ["teams", "invited", "submitted"]].tolist() == [5, 15, 14]


def test_the_group_filter_offers_no_group_when_some_teams_have_none(org):
    assert selectors.group_choices() == [
        ("Apps", "Apps"),
        ("Data", "Data"),
        ("Platform", "Platform"),
        ("Quiet", "Quiet"),
        ("Zeta", "Zeta"),
        (NO_GROUP, "No group"),
    ]
    Team.objects.filter(group="").update(group="Apps")
    assert (NO_GROUP, "No group") not in selectors.group_choices()


@pytest.mark.parametrize(
    ("teams", "chosen", "expected"),
    [
        (["A"] * 30 + ["B"], "", True),
        (["A"] * 29 + ["B"], "", False),  # 30 teams: one row each
        (["A"] * 40, "", False),  # one group: nothing to group
        (["A"] * 40 + [""], "", True),  # "No group" is a row
        (["A"] * 30 + ["B"], "A", False),  # a chosen group shows its teams
    ],
)
def test_the_page_groups_more_than_thirty_teams_in_more_than_one_group(teams, chosen, expected):
    assert dashboards.GROUPED_ABOVE_TEAMS == 30
    assert dashboards.shows_groups(teams, chosen) is expected


# --- the grouped page ------------------------------------------------------------------


def test_the_heatmap_has_a_row_per_group_with_n_of_m_teams(org, client):
    response = org_page(client, make_manager())

    heatmap = figures(response)["heatmap"]["data"][0]
    assert heatmap["y"] == GROUP_ORDER
    assert heatmap["z"][GROUP_ORDER.index("Platform")] == [2.25, 2.0]
    assert heatmap["text"][GROUP_ORDER.index("Zeta")] == ["withheld", "withheld"]
    assert heatmap["z"][GROUP_ORDER.index("Zeta")] == [None, None]  # empty, not zero
    assert heatmap["text"][GROUP_ORDER.index("Quiet")] == ["no responses", "no responses"]
    assert heatmap["hovertext"][GROUP_ORDER.index("Platform")][0] == (
        "Platform · Continuous integration & delivery<br>2.25 (Defined)<br>median of 4 of 5 teams"
    )
    assert "Maturity by team group and category, 2025 Q3" in response.text
    rows = heatmap_rows(response)
    assert list(rows) == GROUP_ORDER
    assert "2.25" in rows["Platform"] and "4 of 5 teams" in rows["Platform"]
    assert rows["Zeta"].count("withheld") == 2 and "0 of 1 teams" in rows["Zeta"]
    assert rows["Quiet"].count("no responses") == 2


def test_the_caption_says_how_to_see_a_groups_teams(org, client):
    response = org_page(client, make_manager())

    heatmap = section(response, "heatmap-h")
    assert "To see the teams of a group, pick its name in the table below" in heatmap
    assert "withheld teams never count" in heatmap


def test_withheld_teams_leave_no_trace_in_the_group_figures(org, client):
    response = org_page(client, make_manager())

    for form in (f"{WITHHELD_VALUE:.2f}", f"{PLATFORM_WITHHELD:.2f}", "2.50"):
        assert form not in response.text
    heatmap = figures(response)["heatmap"]
    values = numbers_in(heatmap["data"][0]["z"])
    assert WITHHELD_VALUE not in values and PLATFORM_WITHHELD not in values
    assert 2.5 not in values  # Platform's median had Pw counted


def test_each_group_links_to_its_teams_keeping_the_round_and_range(org, client):
    response = org_page(client, make_manager(), round="2025-q3")

    rows = heatmap_rows(response)
    href = rows["Platform"].split('href="')[1].split('"')[0].replace("&amp;", "&")
    assert urlsplit(href).path == reverse("reports:org_dashboard")
    assert parse_qs(urlsplit(href).query) == {
        "round": ["2025-q3"],
        "from": ["2025-q3"],
        "to": ["2025-q3"],
        "group": ["Platform"],
    }
    no_group = rows["No group"].split('href="')[1].split('"')[0].replace("&amp;", "&")
    assert parse_qs(urlsplit(no_group).query)["group"] == [NO_GROUP]


def test_participation_is_per_group_with_links(org, client):
    response = org_page(client, make_manager())

    bars = traces(figures(response)["participation"])["Submitted"]
    assert bars["x"] == GROUP_ORDER
    assert bars["y"][GROUP_ORDER.index("Platform")] == round(14 / 15 * 100)
    assert bars["hovertext"][GROUP_ORDER.index("Platform")] == "Platform: 14 of 15 submitted"
    table = section(response, "participation-h")
    assert "Team group" in table and "Platform 1" not in table
    assert "group=Platform" in table
    assert "One bar per team group" in table


def test_a_groups_page_shows_its_teams_and_the_way_back(org, client):
    response = org_page(client, make_manager(), group="Platform")

    charts = figures(response)
    assert charts["heatmap"]["data"][0]["y"] == PLATFORM
    assert charts["heatmap"]["data"][0]["text"][4] == ["withheld", "withheld"]
    assert traces(charts["participation"])["Submitted"]["x"] == PLATFORM
    assert "Maturity by team and category, 2025 Q3" in response.text
    assert "Back to all groups" in response.text
    back = response.text.split("Back to all groups")[0].rsplit('href="', 1)[1].split('"')[0]
    assert "group=" not in back and "round=2025-q3" in back
    assert '<li class="breadcrumb-item active" aria-current="page">Platform</li>' in response.text


def test_the_no_group_page_shows_the_teams_without_a_group(org, client):
    response = org_page(client, make_manager(), group=NO_GROUP)

    assert figures(response)["heatmap"]["data"][0]["y"] == LOOSE
    assert f'<option value="{NO_GROUP}" selected>No group</option>' in response.text
    assert 'aria-current="page">No group</li>' in response.text


@pytest.mark.parametrize(
    "value", ["Nowhere", "none", "~None", "platform", "<script>", "x" * 5000, "\x00"]
)
def test_an_unknown_group_falls_back_to_every_group(org, client, value):
    response = org_page(client, make_manager(), group=value)

    assert figures(response)["heatmap"]["data"][0]["y"] == GROUP_ORDER
    assert "Back to all groups" not in response.text


def test_thirty_teams_are_still_shown_one_by_one(org, client):
    Team.objects.filter(name__in=LOOSE).delete()

    response = org_page(client, make_manager())

    heatmap = figures(response)["heatmap"]["data"][0]
    assert len(heatmap["y"]) == 30 and heatmap["y"][0] == "Apps 01"
    assert "Maturity by team and category, 2025 Q3" in response.text


def test_many_teams_in_one_group_are_shown_one_by_one(org, client):
    Team.objects.update(group="Apps")

    response = org_page(client, make_manager())

    assert len(figures(response)["heatmap"]["data"][0]["y"]) == len(TEAMS)


def test_an_open_rounds_participation_is_per_group_too(org, client):
    SurveyRoundFactory(
        name="2025 Q4",
        slug="2025-q4",
        questionnaire=org.questionnaire,
        opens_at=NOW - timedelta(days=1),
        closes_at=NOW + timedelta(days=27),
        teams=org.teams.values(),
    )

    response = org_page(client, make_manager(), round="2025-q4")

    bars = traces(figures(response)["participation"])["Submitted"]
    assert bars["x"] == GROUP_ORDER
    assert bars["y"] == [0] * len(GROUP_ORDER)
    assert "heatmap-h" not in response.text
    drilled = org_page(client, make_manager(), round="2025-q4", group="Data")
    assert traces(figures(drilled)["participation"])["Submitted"]["x"] == [
        "Data 1",
        "Data 2",
        "Data 3",
    ]


def test_the_grouped_page_and_a_groups_page_are_cached_apart(org, client):
    grouped = org_page(client, make_manager())
    drilled = org_page(client, make_manager(), group="Data")
    again = org_page(client, make_manager())

    assert figures(grouped)["heatmap"]["data"][0]["y"] == GROUP_ORDER
    assert figures(drilled)["heatmap"]["data"][0]["y"] == ["Data 1", "Data 2", "Data 3"]
    assert figures(again)["heatmap"]["data"][0]["y"] == GROUP_ORDER
