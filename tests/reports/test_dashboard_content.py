"""What the dashboards show for a known dataset: figures, privacy, filters, empty states.

The dataset is ``Org`` of tests/reports/dashboard_org.py, whose docstring has its
table: four teams in three closed rounds, k = 3, Delta withheld in 2025 Q3. It is
built once for the module; dashboards without results are test_dashboard_empty.py.
"""

import copy
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.staticfiles import finders
from plotly.offline import get_plotlyjs_version

from reports.models import TeamQuestionScore, TeamRoundSummary
from tests.factories import make_facilitator, make_manager
from tests.pages import figures, in_order, numbers_in, org_page, section, team_page, traces
from tests.reports.dashboard_org import NOW, REFLECTIONS, Org

pytestmark = pytest.mark.django_db

CICD = "Continuous integration & delivery"
INCIDENTS = "Incident response"
TESTS_TEXT = "How automated are your tests?"
ROLLOUT_TEXT = "How do you roll out changes?"
REVIEWS_TEXT = "How do you learn from incidents?"


@pytest.fixture(scope="module")
def built_org(module_rows) -> Org:
    # Built once for the module (about 40 tests); each test gets its own copy.
    return module_rows(Org)


@pytest.fixture
def org(built_org):
    with time_machine.travel(NOW, tick=False):
        yield copy.deepcopy(built_org)


# --- team dashboard: figures --------------------------------------------------------


def test_team_trend_has_a_line_per_category_with_the_stored_means(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha")

    trend = traces(figures(response)["trend"])
    assert list(trend) == [
        CICD,
        f"{CICD} (organisation median)",
        INCIDENTS,
        f"{INCIDENTS} (organisation median)",
    ]
    stored = [org.means("Alpha", r) for r in org.rounds]
    assert trend[CICD]["x"] == ["2025 Q1", "2025 Q2", "2025 Q3"]
    # Exactly the materialised values: nothing is rounded on the way to the chart.
    assert trend[CICD]["y"] == [means["ci-cd"] for means in stored]
    assert trend[INCIDENTS]["y"] == [means["incident-response"] for means in stored]
    assert trend[CICD]["y"] == [2, 2, pytest.approx(11 / 9)]
    assert trend[INCIDENTS]["y"] == [1, 2, pytest.approx(7 / 3)]
    assert trend[INCIDENTS]["hovertext"][2] == (
        f"{INCIDENTS}<br>2025 Q3: 2.33 (Defined)<br>n = 3, agreement 67%"
    )


def test_team_trend_org_median_leaves_out_the_withheld_team(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha")

    trend = traces(figures(response)["trend"])
    # Q3 ci-cd: median(11/9, 3, 2) = 2; with Delta's withheld 17/6 it would be 2.42.
    assert trend[f"{CICD} (organisation median)"]["y"] == [2, 2, 2]
    assert trend[f"{INCIDENTS} (organisation median)"]["y"] == [2, 2, pytest.approx(7 / 3)]


def test_team_compare_chart_puts_the_previous_round_beside_the_selected_one(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha")

    compare = traces(figures(response)["compare"])
    assert list(compare) == ["Previous (2025 Q2)", "Latest (2025 Q3)"]
    assert compare["Previous (2025 Q2)"]["y"] == [2, 2]
    assert compare["Latest (2025 Q3)"]["y"] == [pytest.approx(11 / 9), pytest.approx(7 / 3)]
    assert "2025 Q3 compared with 2025 Q2" in response.text


def test_team_dora_section_has_four_metrics_and_names_the_report_year(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha")

    dora = traces(figures(response)["dora"])
    assert list(dora) == [
        "Deployment frequency",
        "Lead time",
        "Recovery time",
        "Change failure rate",
    ]
    summaries = TeamRoundSummary.objects.filter(team=org.teams["Alpha"]).order_by("round__opens_at")
    assert dora["Lead time"]["y"] == [s.lead_time_score for s in summaries]
    assert dora["Change failure rate"]["y"] == [s.change_failure_rate_score for s in summaries]
    year = summaries[0].dora_year
    assert year == 2024
    table = section(response, "dora-h")
    assert table.count(f'High <span class="small text-body-secondary">({year} report)') == 3
    assert f"DORA cluster ({year} report)" in response.text


def test_team_participation_counts_members_who_submitted(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha")

    participation = traces(figures(response)["participation"])["Submitted"]
    assert participation["x"] == ["2025 Q1", "2025 Q2", "2025 Q3"]
    assert participation["y"] == [75, 75, 75]  # three of the four members each time
    assert participation["hovertext"][0] == "2025 Q1: 3 of 4 submitted"


# --- team dashboard: deltas, questions, reflections ---------------------------------


def test_arrows_mark_only_changes_larger_than_the_noise(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha")

    compare = section(response, "compare-h")
    cicd_row, incidents_row = compare.split("<tr>")[2:4]
    # ci-cd fell from 2 to 11/9 with everyone agreeing: an arrow down.
    assert CICD.replace("&", "&amp;") in cicd_row
    assert "▼" in cicd_row and "-0.78" in cicd_row
    # Incident response rose a third of a level amid wide disagreement: no arrow.
    assert "+0.33" in incidents_row and "(within the noise)" in incidents_row
    assert "▲" not in incidents_row and "▼" not in incidents_row
    questions = section(response, "questions-h")
    rows = {
        text: row
        for row in questions.split("<tr>")
        for text in [TESTS_TEXT, ROLLOUT_TEXT, REVIEWS_TEXT]
        if text in row
    }
    assert "▼" in rows[ROLLOUT_TEXT]  # 2 -> 1, everyone
    assert "▼" not in rows[TESTS_TEXT] and "▲" not in rows[TESTS_TEXT]  # unchanged, and n = 2
    assert "+0.33" in rows[REVIEWS_TEXT] and "▲" not in rows[REVIEWS_TEXT]
    assert response.text.count("▼") == 2
    assert "▲" not in response.text


def test_an_earlier_round_compares_with_the_round_before_it(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha", round="2025-q2")

    compare = section(response, "compare-h")
    assert "2025 Q2 compared with 2025 Q1" in compare
    # Incident response 1 -> 2 (sd 0 then 1.63): larger than the noise (0.94).
    incidents_row = compare.split("<tr>")[3]
    assert "▲" in incidents_row and "+1.00" in incidents_row
    assert response.text.count("▲") == 2  # the category and its one question
    assert "▼" not in response.text


def test_no_arrows_and_no_changes_below_k_even_for_the_team_itself(org, client):
    response = team_page(client, org.members["Delta"]["p0"], "Delta")

    # 0 -> 17/6 and 0 -> 7/2 with two people: withheld, so no change either.
    compare = section(response, "compare-h")
    assert "+2.83" not in compare and "+3.50" not in compare
    assert "Not enough responses" in compare
    assert "▲" not in response.text and "▼" not in response.text


def test_question_table_flags_wide_disagreement_for_discussion(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha")

    questions = section(response, "questions-h")
    flagged = [row for row in questions.split("<tr>") if "Discuss: wide disagreement" in row]
    # ir-reviews answered 1, 2 and 4: three levels apart.
    assert len(flagged) == 1
    assert REVIEWS_TEXT in flagged[0]
    assert TeamQuestionScore.objects.get(
        team=org.teams["Alpha"], round=org.rounds[2], question_key="ir-reviews"
    ).discuss


def test_question_table_shows_the_dont_know_rate(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha")

    questions = section(response, "questions-h")
    tests_row = next(row for row in questions.split("<tr>") if TESTS_TEXT in row)
    assert "<td>33%</td>" in tests_row  # Cai said Don't know


@pytest.mark.parametrize(
    "sort,expected",
    [
        # Questionnaire order.
        ("order", [TESTS_TEXT, ROLLOUT_TEXT, REVIEWS_TEXT]),
        # cicd-tests has two scored answers (Cai: Don't know), under k = 3: it is
        # withheld for everyone, so it sorts last wherever the sort needs its score.
        # Lowest score first: rollout 1, reviews 7/3, then tests (withheld).
        ("score", [ROLLOUT_TEXT, REVIEWS_TEXT, TESTS_TEXT]),
        # Largest fall first: rollout -1, reviews +1/3, then tests (withheld).
        ("delta", [ROLLOUT_TEXT, REVIEWS_TEXT, TESTS_TEXT]),
        # Least agreement first: reviews 2/3, rollout 1, then tests (withheld).
        ("agreement", [REVIEWS_TEXT, ROLLOUT_TEXT, TESTS_TEXT]),
        # Highest don't-know rate first: tests 1/3; ties keep reversed questionnaire order.
        ("dont-know", [TESTS_TEXT, REVIEWS_TEXT, ROLLOUT_TEXT]),
        # An unknown sort falls back to questionnaire order.
        ("nonsense", [TESTS_TEXT, ROLLOUT_TEXT, REVIEWS_TEXT]),
    ],
)
def test_question_table_sorts(org, client, sort, expected):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha", sort=sort)

    questions = section(response, "questions-h")
    assert in_order(questions, TESTS_TEXT, ROLLOUT_TEXT, REVIEWS_TEXT) == expected


def test_reflections_are_shown_to_the_team_and_facilitators_without_names(org, client):
    for viewer in (org.members["Alpha"]["dan"], make_facilitator()):
        response = team_page(client, viewer, "Alpha")

        reflections = section(response, "reflections-h")
        assert "Reflections, 2025 Q3" in reflections
        for text in REFLECTIONS.values():
            assert text in reflections
        for respondent in ("alpha-ana", "alpha-ben", "alpha-cai"):
            assert respondent not in response.text


def test_reflections_are_never_shown_to_a_manager(org, client):
    response = team_page(client, make_manager(), "Alpha")

    assert "Reflections" not in response.text
    for text in REFLECTIONS.values():
        assert text not in response.text
    assert "Category scores over time" in response.text  # the rest of the page is there


def test_reflections_belong_to_the_selected_round(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha", round="2025-q2")

    reflections = section(response, "reflections-h")
    assert "Reflections, 2025 Q2" in reflections
    assert "No reflections were written in this round." in reflections
    assert REFLECTIONS["cicd-reflection"] not in response.text


def test_an_unknown_round_on_the_team_page_falls_back_to_the_latest_closed_one(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha", round="1999-q1")

    assert '<option value="2025-q3" selected>' in response.text
    assert "Questions in 2025 Q3" in response.text


# --- privacy --------------------------------------------------------------------------


def _written_forms(value: float) -> set[str]:
    """How a hidden number could appear in a page: as shown, as JSON, rounded."""
    return {f"{value:.2f}", repr(value), repr(round(value, 2))}


def hidden_values(org) -> list[float]:
    """Delta's Q3 category means and overall, straight from the score tables."""
    means = list(org.means("Delta", org.rounds[2]).values())
    overall = TeamRoundSummary.objects.get(team=org.teams["Delta"], round=org.rounds[2]).overall
    assert means == [pytest.approx(17 / 6), pytest.approx(7 / 2)]
    return [*means, overall]


def assert_nowhere(response, values: list[float]) -> None:
    for value in values:
        for form in _written_forms(value):
            assert form.encode() not in response.content, form
        for name, figure in figures(response).items():
            # All of it but plotly's theme, whose colour scales are numbers too.
            layout = {k: v for k, v in figure["layout"].items() if k != "template"}
            for number in numbers_in([figure["data"], layout]):
                assert number != pytest.approx(value, abs=1e-9), name


def test_withheld_team_is_shown_as_withheld_on_the_heatmap(org, client):
    response = org_page(client, make_manager())

    heatmap = figures(response)["heatmap"]["data"][0]
    delta = heatmap["y"].index("Delta")
    assert heatmap["text"][delta] == ["withheld", "withheld"]
    assert heatmap["z"][delta] == [None, None]  # empty, not zero
    table = section(response, "heatmap-h")
    delta_row = table[table.index(">Delta</a>") :].split("</tr>")[0]
    assert delta_row.count("<td>withheld</td>") == 2


def test_withheld_values_appear_nowhere_on_the_org_dashboard(org, client):
    response = org_page(client, make_manager())

    assert_nowhere(response, hidden_values(org))


def test_withheld_values_appear_nowhere_on_the_teams_page_for_a_manager(org, client):
    response = team_page(client, make_manager(), "Delta")

    assert "the results of this round are withheld from everyone" in response.text
    question_means = list(
        TeamQuestionScore.objects.filter(team=org.teams["Delta"], round=org.rounds[2]).values_list(
            "mean", flat=True
        )
    )
    assert_nowhere(response, hidden_values(org) + question_means)


def test_the_small_team_does_not_see_its_own_values_either(org, client):
    # k applies to every viewer: the two people of Delta could otherwise each
    # work out the other's answers from the team's numbers.
    response = team_page(client, org.members["Delta"]["p0"], "Delta")

    cicd, incidents, _overall = hidden_values(org)
    assert cicd is not None and incidents is not None  # the values are there to be hidden
    assert "withheld from everyone, the team included" in response.text
    assert_nowhere(response, hidden_values(org))
    trend = traces(figures(response)["trend"])
    assert trend[CICD]["y"] == [None, None]  # Q2 (n = 2) and Q3 (n = 2) alike


def test_level_distribution_and_clusters_leave_out_the_withheld_team(org, client):
    response = org_page(client, make_manager())

    levels = traces(figures(response)["levels"])
    assert list(levels) == ["Initial", "Developing", "Defined", "Managed", "Optimizing"]
    # ci-cd: Alpha 1.22, Charlie 2, Bravo 3; incidents: Alpha 2.33, Charlie 2, Bravo 3.
    assert [levels[name]["y"] for name in levels] == [[0, 0], [1, 0], [1, 2], [1, 1], [0, 0]]
    clusters = figures(response)["clusters"]
    assert clusters["layout"]["title"]["text"] == "DORA performance clusters (2024 report)"
    # Delta's two answers per metric are below k: three teams, not four.
    assert traces(clusters)["High"]["y"] == [3, 3, 3]


# --- organisation dashboard -----------------------------------------------------------


def test_heatmap_lists_teams_alphabetically_not_by_score(org, client):
    response = org_page(client, make_manager())

    heatmap = figures(response)["heatmap"]["data"][0]
    by_score = sorted(
        ["Alpha", "Bravo", "Charlie"], key=lambda t: org.means(t, org.rounds[2])["ci-cd"]
    )
    assert by_score != sorted(by_score)  # the dataset can tell the two apart
    assert heatmap["y"] == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert heatmap["z"][:3] == [[1.22, 2.33], [3.0, 3.0], [2.0, 2.0]]
    table = section(response, "heatmap-h")
    assert in_order(table, ">Delta<", ">Charlie<", ">Bravo<", ">Alpha<") == [
        ">Alpha<",
        ">Bravo<",
        ">Charlie<",
        ">Delta<",
    ]
    participation = traces(figures(response)["participation"])["Submitted"]
    assert participation["x"] == ["Alpha", "Bravo", "Charlie", "Delta"]


def test_heatmap_names_the_levels(org, client):
    response = org_page(client, make_manager())

    heatmap = figures(response)["heatmap"]["data"][0]
    assert heatmap["colorbar"]["ticktext"] == [
        "Initial",
        "Developing",
        "Defined",
        "Managed",
        "Optimizing",
    ]
    assert heatmap["hovertext"][0][0] == f"Alpha · {CICD}<br>1.22 (Developing)"
    table = section(response, "heatmap-h")
    assert '1.22 <span class="small text-body-secondary">Developing</span>' in table


def test_org_trend_has_median_and_band_per_category(org, client):
    response = org_page(client, make_manager())

    trend = traces(figures(response)["trend"])
    assert list(trend) == [
        f"{CICD} interquartile range",
        CICD,
        f"{INCIDENTS} interquartile range",
        INCIDENTS,
    ]
    assert trend[CICD]["x"] == ["2025 Q1", "2025 Q2", "2025 Q3"]
    assert trend[CICD]["y"] == [2, 2, 2]
    assert trend[INCIDENTS]["y"] == [2, 2, pytest.approx(7 / 3)]
    band = trend[f"{CICD} interquartile range"]
    # q3 forwards then q1 backwards: Q3's teams are 11/9, 2 and 3.
    assert band["x"] == ["2025 Q1", "2025 Q2", "2025 Q3", "2025 Q3", "2025 Q2", "2025 Q1"]
    assert band["y"] == [2.5, 2.5, 2.5, pytest.approx((11 / 9 + 2) / 2), 2, 2]


def test_group_filter_limits_heatmap_participation_and_trend(org, client):
    response = org_page(client, make_manager(), group="Platform")

    charts = figures(response)
    assert charts["heatmap"]["data"][0]["y"] == ["Alpha", "Charlie"]
    assert traces(charts["participation"])["Submitted"]["x"] == ["Alpha", "Charlie"]
    # Q3 ci-cd median over Alpha (11/9) and Charlie (2) only.
    assert traces(charts["trend"])[CICD]["y"] == [2, 2, pytest.approx((11 / 9 + 2) / 2)]
    assert traces(charts["clusters"])["High"]["y"] == [2, 2, 2]
    participation = section(response, "participation-h")
    assert "Alpha" in participation and "Bravo" not in participation
    assert '<option value="Platform" selected>' in response.text


def test_an_unknown_group_shows_every_team(org, client):
    response = org_page(client, make_manager(), group="Nowhere")

    assert figures(response)["heatmap"]["data"][0]["y"] == ["Alpha", "Bravo", "Charlie", "Delta"]


@pytest.mark.parametrize(
    "params",
    [{"from": "2025-q2", "to": "2025-q3"}, {"from": "2025-q3", "to": "2025-q2"}],
    ids=["forwards", "backwards"],
)
def test_round_range_limits_the_trend(org, client, params):
    response = org_page(client, make_manager(), **params)

    charts = figures(response)
    assert traces(charts["trend"])[CICD]["x"] == ["2025 Q2", "2025 Q3"]
    assert traces(charts["clusters"])["High"]["x"] == ["2025 Q2", "2025 Q3"]
    assert "Organisation trend, 2025 Q2 to 2025 Q3" in response.text


def test_unknown_round_slugs_fall_back_to_the_defaults(org, client):
    response = org_page(client, make_manager(), round="nope", **{"from": "nope", "to": "nope"})

    assert "Maturity by team and category, 2025 Q3" in response.text
    assert traces(figures(response)["trend"])[CICD]["x"] == ["2025 Q1", "2025 Q2", "2025 Q3"]


def test_selecting_an_earlier_round_redraws_the_heatmap(org, client):
    response = org_page(client, make_manager(), round="2025-q1")

    heatmap = figures(response)["heatmap"]["data"][0]
    assert "Maturity by team and category, 2025 Q1" in response.text
    assert heatmap["z"][0] == [2.0, 1.0]  # Alpha in Q1
    # Delta did not take part in Q1: said so, never shown as zero.
    assert heatmap["text"][3] == ["no responses", "no responses"]
    assert heatmap["z"][3] == [None, None]


# --- empty states ---------------------------------------------------------------------


def test_open_round_shows_participation_and_when_results_appear(org, client):
    org.add_round("2025 Q4", datetime(2025, 9, 1, tzinfo=UTC))

    response = team_page(client, org.members["Alpha"]["dan"], "Alpha", round="2025-q4")

    assert (
        "Results of 2025 Q4 appear when the round closes on 29 September 2025, 00:00."
        in response.text
    )
    assert "0 of 4 members have submitted" in section(response, "participation-h")
    assert "questions-h" not in response.text


def test_open_round_is_not_the_default_while_a_closed_one_exists(org, client):
    org.add_round("2025 Q4", datetime(2025, 9, 1, tzinfo=UTC))

    response = team_page(client, org.members["Alpha"]["dan"], "Alpha")

    assert "Questions in 2025 Q3" in response.text
    assert "No one in Alpha has submitted" not in response.text


def test_org_dashboard_shows_an_open_rounds_participation_only(org, client):
    org.add_round("2025 Q4", datetime(2025, 9, 1, tzinfo=UTC))

    response = org_page(client, make_manager(), round="2025-q4")

    assert (
        "Results of 2025 Q4 appear when the round closes on 29 September 2025, 00:00."
        in response.text
    )
    assert "0 submitted so far" in section(response, "participation-h")
    assert "heatmap-h" not in response.text


# --- assets ---------------------------------------------------------------------------

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
EXTERNAL = re.compile(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.mark.parametrize("dashboard", ["team", "org"])
def test_pages_load_nothing_from_elsewhere_and_run_no_inline_script(org, client, dashboard):
    if dashboard == "team":
        response = team_page(client, org.members["Alpha"]["dan"], "Alpha")
    else:
        response = org_page(client, make_manager())

    html = response.content.decode()
    assert not EXTERNAL.search(html)
    assert "http://" not in html and "https://" not in html
    tags = SCRIPT_TAG.findall(html)
    data_blocks = [t for t in tags if 'type="application/json"' in t]
    sources = [t for t in tags if "src=" in t]
    # One block per chart, and plotly's template once for all of them.
    assert len(data_blocks) == len(figures(response)) + 1 >= 5
    assert sum('id="plotly-template"' in t for t in data_blocks) == 1
    assert len(data_blocks) + len(sources) == len(tags)  # nothing else: no inline code
    assert all(re.search(r'src="/static/', t) for t in sources)


def test_plotly_comes_from_our_static_files(org, client):
    response = team_page(client, org.members["Alpha"]["dan"], "Alpha")

    version = get_plotlyjs_version()
    path = f"vendor/plotly-{version}/plotly.min.js"
    assert f'<script src="/static/{path}"></script>' in response.text
    assert '<script src="/static/reports/charts.js"></script>' in response.text
    found = finders.find(path)
    assert found
    with open(found, encoding="utf-8") as script:
        assert f"v{version}" in script.read(500)
    assert finders.find("reports/charts.js")
