"""reports.charts: small hand-made DataFrames in, plotly figure dicts out (no database).

Each figure is read through ``plotly_figure`` (go.Figure), which also checks that
every property of the hand-built dict is one plotly knows.
"""

import base64
import json
import math
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from reports import charts

NAN = float("nan")
LEVEL_NAMES = ["Initial", "Developing", "Defined", "Managed", "Optimizing"]


def arrays(value):
    """Typed arrays ({"dtype", "bdata"}) decoded to numpy arrays (NaN kept), recursively."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    if isinstance(value, dict):
        return {key: arrays(item) for key, item in value.items()}
    if isinstance(value, list):
        return [arrays(item) for item in value]
    return value


def plotly_figure(figure: dict) -> go.Figure:
    """A chart's figure dict as a go.Figure, read by attribute; raises on an invalid property."""
    assert isinstance(figure, dict)
    return go.Figure(arrays(figure))


def by_name(figure) -> dict:
    return {trace.name: trace for trace in figure.data}


def title(figure) -> str:
    return figure.layout.title.text


# --- wrap ---------------------------------------------------------------------------


def test_wrap_breaks_long_labels_between_words():
    assert charts.wrap("Continuous integration & delivery") == (
        "Continuous<br>integration &<br>delivery"
    )


def test_wrap_leaves_short_labels_alone():
    assert charts.wrap("Incident response") == "Incident<br>response"
    assert charts.wrap("Security") == "Security"
    assert charts.wrap("Incident response", width=20) == "Incident response"


def test_wrap_never_splits_a_word_longer_than_the_width():
    assert charts.wrap("Observability-and-monitoring practices", width=10) == (
        "Observability-and-monitoring<br>practices"
    )


# --- team charts ----------------------------------------------------------------------


@pytest.fixture
def team_categories() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("Q1", "ci-cd", "CI/CD", 2.0, 3, 1.0, False),
            ("Q2", "ci-cd", "CI/CD", 2.5, 4, 0.75, False),
            ("Q1", "ir", "Incidents", NAN, 2, NAN, True),
            ("Q2", "ir", "Incidents", 1.0, 4, 0.5, False),
        ],
        columns=[
            "round_name",
            "category_key",
            "category_name",
            "mean",
            "respondents",
            "agreement",
            "withheld",
        ],
    )


@pytest.fixture
def org_medians() -> pd.DataFrame:
    return pd.DataFrame(
        [("Q1", "ci-cd", 1.5, 5), ("Q2", "ci-cd", 2.0, 6), ("Q2", "ir", 2.25, 6)],
        columns=["round_name", "category_key", "median", "teams"],
    )


def test_category_trend_draws_each_category_and_its_org_median(team_categories, org_medians):
    figure = plotly_figure(charts.category_trend(team_categories, org_medians))

    assert title(figure) == "Category scores over time"
    assert figure.layout.xaxis.title.text == "Round"
    assert figure.layout.yaxis.title.text == "Maturity level (0-4)"
    assert list(figure.layout.yaxis.ticktext) == [
        f"{n} {name}" for n, name in enumerate(LEVEL_NAMES)
    ]
    traces = by_name(figure)
    assert list(traces) == [
        "CI/CD",
        "CI/CD (organisation median)",
        "Incidents",
        "Incidents (organisation median)",
    ]
    assert list(traces["CI/CD"].x) == ["Q1", "Q2"]
    assert list(traces["CI/CD"].y) == [2.0, 2.5]
    assert list(traces["CI/CD (organisation median)"].y) == [1.5, 2.0]
    assert traces["CI/CD (organisation median)"].line.dash == "dot"
    assert traces["CI/CD"].line.color == traces["CI/CD (organisation median)"].line.color


def test_category_trend_hover_gives_score_level_n_and_agreement(team_categories):
    figure = plotly_figure(charts.category_trend(team_categories))

    traces = by_name(figure)
    assert list(traces) == ["CI/CD", "Incidents"]  # no org frame, no median lines
    assert traces["CI/CD"].hovertext[1] == "CI/CD<br>Q2: 2.50 (Defined)<br>n = 4, agreement 75%"
    withheld = traces["Incidents"].hovertext[0]
    assert withheld == "Incidents<br>Q1: withheld (fewer than k responses)"
    assert math.isnan(traces["Incidents"].y[0])


def test_latest_vs_previous_puts_the_rounds_side_by_side():
    latest = pd.DataFrame(
        {"category_name": ["Continuous integration & delivery"], "mean": [3.0], "round_name": "Q2"}
    )
    previous = pd.DataFrame(
        {"category_name": ["Continuous integration & delivery"], "mean": [2.0], "round_name": "Q1"}
    )

    figure = plotly_figure(charts.latest_vs_previous(latest, previous))

    assert title(figure) == "This round compared with the previous one"
    assert figure.layout.barmode == "group"
    assert figure.layout.xaxis.title.text == "Category"
    assert figure.layout.yaxis.title.text == "Maturity level (0-4)"
    assert [t.name for t in figure.data] == ["Previous (Q1)", "Latest (Q2)"]
    assert list(figure.data[0].y) == [2.0]
    assert list(figure.data[1].y) == [3.0]
    assert list(figure.data[1].x) == ["Continuous<br>integration &<br>delivery"]


def test_latest_vs_previous_without_a_previous_round_has_one_series():
    latest = pd.DataFrame({"category_name": ["CI/CD"], "mean": [3.0], "round_name": "Q1"})

    figure = plotly_figure(charts.latest_vs_previous(latest, None))

    assert [t.name for t in figure.data] == ["Latest (Q1)"]


def test_latest_vs_previous_of_an_empty_round_still_draws():
    empty = pd.DataFrame(columns=["category_name", "mean", "round_name"])

    figure = plotly_figure(charts.latest_vs_previous(empty, empty))

    assert [t.name for t in figure.data] == ["Latest"]
    assert list(figure.data[0].y) == []


def test_dora_trend_draws_the_four_key_metrics_as_scores():
    rounds = pd.DataFrame(
        {
            "round_name": ["Q1", "Q2"],
            "deployment_frequency_score": [6.0, 8.0],
            "lead_time_score": [4.0, NAN],
            "recovery_time_score": [6.0, 6.0],
            "change_failure_rate_score": [8.5, 9.0],
            "rework_rate_score": [9.0, 9.0],
        }
    )

    figure = plotly_figure(charts.dora_trend(rounds))

    assert title(figure) == "DORA metrics over time (0-10, higher is better)"
    assert figure.layout.yaxis.title.text == "Score (0-10)"
    assert figure.layout.xaxis.title.text == "Round"
    traces = by_name(figure)
    assert list(traces) == [
        "Deployment frequency",
        "Lead time",
        "Recovery time",
        "Change failure rate",
    ]
    assert list(traces["Deployment frequency"].y) == [6.0, 8.0]
    assert list(traces["Change failure rate"].y) == [8.5, 9.0]
    assert math.isnan(traces["Lead time"].y[1])  # a gap, not a zero


def test_participation_shows_the_share_of_members_who_submitted():
    frame = pd.DataFrame(
        {"team": ["Alpha", "Bravo"], "submitted": [3, 0], "invited": [4, 0], "rate": [0.75, NAN]}
    )

    figure = plotly_figure(charts.participation(frame, x="team", title="Participation per team"))

    assert title(figure) == "Participation per team"
    assert figure.layout.yaxis.title.text == "Submitted (% of members)"
    (bars,) = figure.data
    assert list(bars.x) == ["Alpha", "Bravo"]
    assert bars.y[0] == 75
    assert math.isnan(bars.y[1])  # a team without members has no rate
    assert list(bars.hovertext) == ["Alpha: 3 of 4 submitted", "Bravo: 0 of 0 submitted"]


# --- organisation charts --------------------------------------------------------------


@pytest.fixture
def matrix():
    """Alpha scored; Bravo withheld; Charlie has no score in incidents (not withheld)."""
    scores = pd.DataFrame(
        {"ci-cd": [1.2345, NAN, 3.0], "ir": [2.0, NAN, NAN]},
        index=["Alpha", "Bravo", "Charlie"],
    )
    withheld = pd.DataFrame(
        {"ci-cd": [False, True, False], "ir": [False, True, False]},
        index=["Alpha", "Bravo", "Charlie"],
    )
    return scores, withheld, {"ci-cd": "Continuous integration & delivery", "ir": "Incidents"}


def test_org_heatmap_says_withheld_and_leaves_the_cell_empty(matrix):
    figure = plotly_figure(charts.org_heatmap(*matrix))

    (heatmap,) = figure.data
    assert list(heatmap.y) == ["Alpha", "Bravo", "Charlie"]  # the order given
    assert list(heatmap.z[1]) == [None, None]
    assert list(heatmap.text[1]) == ["withheld", "withheld"]
    assert heatmap.hovertext[1][0] == (
        "Bravo · Continuous integration & delivery<br>withheld: fewer than k responses"
    )


def test_org_heatmap_tells_no_score_from_withheld(matrix):
    figure = plotly_figure(charts.org_heatmap(*matrix))

    (heatmap,) = figure.data
    assert list(heatmap.z[2]) == [3.0, None]
    assert list(heatmap.text[2]) == ["3.0", "-"]
    assert heatmap.hovertext[2][1] == "Charlie · Incidents<br>no score"


def test_org_heatmap_rounds_values_and_names_levels(matrix):
    figure = plotly_figure(charts.org_heatmap(*matrix))

    (heatmap,) = figure.data
    assert list(heatmap.z[0]) == [1.23, 2.0]
    assert list(heatmap.text[0]) == ["1.2", "2.0"]
    assert heatmap.hovertext[0][0].endswith("<br>1.23 (Developing)")
    assert list(heatmap.x) == ["Continuous<br>integration &<br>delivery", "Incidents"]
    assert (heatmap.zmin, heatmap.zmax) == (0, 4)
    assert list(heatmap.colorbar.ticktext) == LEVEL_NAMES
    assert title(figure) == "Maturity by team and category"
    assert figure.layout.xaxis.title.text == "Category"
    assert figure.layout.yaxis.title.text == "Team"
    assert figure.layout.yaxis.autorange == "reversed"  # first team at the top


def test_org_heatmap_grows_with_the_number_of_teams():
    teams = [f"Team {n:02}" for n in range(20)]
    scores = pd.DataFrame({"a": [2.0] * 20}, index=teams)
    withheld = pd.DataFrame({"a": [False] * 20}, index=teams)

    figure = plotly_figure(charts.org_heatmap(scores, withheld, {"a": "A"}))

    assert figure.layout.height == 140 + 28 * 20


def test_org_group_heatmap_says_of_how_many_teams_and_never_shows_a_withheld_value():
    index = ["Apps", "Zeta", "Quiet"]
    scores = pd.DataFrame({"ci": [2.3, 3.85, NAN]}, index=index)  # Zeta's by mistake
    withheld = pd.DataFrame({"ci": [False, True, False]}, index=index)
    no_responses = pd.DataFrame({"ci": [False, False, True]}, index=index)
    counted = pd.DataFrame({"ci": [4, 0, 0]}, index=index)
    teams = pd.Series([5, 1, 1], index=index)

    figure = plotly_figure(
        charts.org_group_heatmap(scores, withheld, no_responses, counted, teams, {"ci": "CI"})
    )

    (heatmap,) = figure.data
    assert list(heatmap.y) == index  # the order given: alphabetical from the selector
    assert [list(row) for row in heatmap.z] == [[2.3], [None], [None]]
    assert [list(row) for row in heatmap.text] == [["2.3"], ["withheld"], ["no responses"]]
    assert [row[0] for row in heatmap.hovertext] == [
        "Apps · CI<br>2.30 (Defined)<br>median of 4 of 5 teams",
        "Zeta · CI<br>withheld: fewer than k responses<br>0 of 1 teams counted",
        "Quiet · CI<br>no responses<br>0 of 1 teams counted",
    ]
    assert figure.layout.yaxis.title.text == "Team group"
    assert figure.layout.height == 360


def test_org_trend_draws_a_median_line_over_an_interquartile_band():
    stats = pd.DataFrame(
        [
            ("Q1", "ci-cd", "CI/CD", 2.0, 1.5, 2.5, 4),
            ("Q2", "ci-cd", "CI/CD", 2.2, 1.8, 3.0, 5),
        ],
        columns=["round_name", "category_key", "category_name", "median", "q1", "q3", "teams"],
    )

    figure = plotly_figure(charts.org_trend(stats))

    assert title(figure) == "Organisation trend: median and middle half of teams"
    assert figure.layout.yaxis.title.text == "Maturity level (0-4)"
    band, median = figure.data
    assert band.name == "CI/CD interquartile range"
    assert band.fill == "toself"
    assert list(band.x) == ["Q1", "Q2", "Q2", "Q1"]
    assert list(band.y) == [2.5, 3.0, 1.8, 1.5]  # q3 forwards, then q1 back
    assert median.name == "CI/CD"
    assert list(median.y) == [2.0, 2.2]
    assert median.hovertext[1] == "CI/CD<br>Q2: median 2.20, middle half 1.80 to 3.00 (5 teams)"


def test_org_trend_of_no_scores_is_an_empty_chart():
    empty = pd.DataFrame(
        columns=["round_name", "category_key", "category_name", "median", "q1", "q3", "teams"]
    )

    assert plotly_figure(charts.org_trend(empty)).data == ()


def test_level_distribution_stacks_one_bar_per_level():
    frame = pd.DataFrame(
        [
            ("CI/CD", level, teams)
            for level, teams in zip(LEVEL_NAMES, [0, 1, 2, 1, 0], strict=True)
        ],
        columns=["category_name", "level", "teams"],
    )

    figure = plotly_figure(charts.level_distribution(frame))

    assert title(figure) == "Teams per maturity level"
    assert figure.layout.barmode == "stack"
    assert figure.layout.yaxis.title.text == "Teams"
    assert [t.name for t in figure.data] == LEVEL_NAMES
    assert [list(t.y) for t in figure.data] == [[0], [1], [2], [1], [0]]


def test_cluster_counts_name_the_report_year():
    frame = pd.DataFrame(
        [("Q1", "High", 2024, 3), ("Q1", "Low", 2024, 1), ("Q2", "Elite", 2024, 2)],
        columns=["round_name", "cluster", "dora_year", "teams"],
    )

    figure = plotly_figure(charts.cluster_counts(frame))

    assert title(figure) == "DORA performance clusters (2024 report)"
    assert figure.layout.barmode == "stack"
    assert figure.layout.xaxis.title.text == "Round"
    # Worst to best, and only the clusters that occur.
    assert [t.name for t in figure.data] == ["Low", "High", "Elite"]
    assert list(by_name(figure)["High"].y) == [3]


def test_cluster_counts_name_every_report_year_used():
    frame = pd.DataFrame(
        [("Q1", "High", 2023, 3), ("Q2", "High", 2024, 3)],
        columns=["round_name", "cluster", "dora_year", "teams"],
    )

    assert (
        title(plotly_figure(charts.cluster_counts(frame)))
        == "DORA performance clusters (2023, 2024 report)"
    )


def test_cluster_counts_without_clusters_names_no_year():
    empty = pd.DataFrame(columns=["round_name", "cluster", "dora_year", "teams"])

    figure = plotly_figure(charts.cluster_counts(empty))

    assert title(figure) == "DORA performance clusters"
    assert figure.data == ()


# --- names are text, never markup -----------------------------------------------------

HOSTILE_TEAM = "<b>x</b><img src=x onerror=alert(1)>"
SHOWN_AS_TYPED = "&lt;b&gt;x&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;"


def figure_strings(figure) -> list[str]:
    """Every string plotly.js would read as its little HTML: data and layout."""

    def walk(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from walk(item)

    return list(walk(figure.to_plotly_json()))


OUR_TAGS = re.compile(r"<br>|</?extra>")


def assert_only_our_tags(figure) -> None:
    """Only the <br> and <extra> the charts write themselves: no tag from a name."""
    strings = [OUR_TAGS.sub("", s) for s in figure_strings(figure)]
    assert not [s for s in strings if "<" in s or ">" in s]


def test_a_team_name_with_tags_reaches_the_heatmap_as_text():
    scores = pd.DataFrame({"ci": [2.0]}, index=[HOSTILE_TEAM])
    withheld = pd.DataFrame({"ci": [False]}, index=[HOSTILE_TEAM])

    figure = plotly_figure(charts.org_heatmap(scores, withheld, {"ci": "<i>CI</i> & CD"}))

    (heatmap,) = figure.data
    assert list(heatmap.y) == [SHOWN_AS_TYPED]
    assert heatmap.hovertext[0][0].startswith(f"{SHOWN_AS_TYPED} · &lt;i&gt;CI&lt;/i&gt; & CD<br>")
    assert list(heatmap.x) == ["&lt;i&gt;CI&lt;/i&gt; & CD"]
    assert_only_our_tags(figure)


def test_team_and_round_names_with_tags_reach_every_other_chart_as_text():
    hostile_round = '<a href="javascript:alert(1)">Q1</a>'
    categories = pd.DataFrame(
        {
            "round_name": [hostile_round],
            "category_key": ["ci"],
            "category_name": ["<b>CI</b>"],
            "mean": [2.0],
            "respondents": [4],
            "agreement": [0.75],
            "withheld": [False],
        }
    )
    participation = pd.DataFrame(
        {"team": [HOSTILE_TEAM], "submitted": [3], "invited": [4], "rate": [0.75]}
    )
    stats = pd.DataFrame(
        [(hostile_round, "ci", "<b>CI</b>", 2.0, 1.5, 2.5, 4)],
        columns=["round_name", "category_key", "category_name", "median", "q1", "q3", "teams"],
    )
    clusters = pd.DataFrame(
        {"round_name": [hostile_round], "cluster": ["High"], "teams": [2], "dora_year": [2024]}
    )
    latest = categories.assign(round_name=hostile_round)

    figures = [
        plotly_figure(charts.category_trend(categories, stats)),
        plotly_figure(charts.latest_vs_previous(latest, latest)),
        plotly_figure(charts.participation(participation, x="team")),
        plotly_figure(charts.org_trend(stats)),
        plotly_figure(charts.cluster_counts(clusters)),
    ]

    for figure in figures:
        assert_only_our_tags(figure)
    assert list(figures[2].data[0].x) == [SHOWN_AS_TYPED]
    assert figures[2].data[0].hovertext[0] == f"{SHOWN_AS_TYPED}: 3 of 4 submitted"
    assert figures[0].data[0].name == "&lt;b&gt;CI&lt;/b&gt;"
    assert '&lt;a href="javascript:alert(1)"&gt;Q1&lt;/a&gt;' in figures[3].data[1].x


# --- plain figure dicts, as go.Figure would have sent them ----------------------------


def every_chart(team_categories, org_medians, matrix) -> dict[str, dict]:
    """Each chart function's figure dict for a typical input."""
    stats = pd.DataFrame(
        [("Q1", "ci-cd", "CI/CD", 2.0, 1.5, 2.5, 4), ("Q2", "ci-cd", "CI/CD", NAN, NAN, NAN, 0)],
        columns=["round_name", "category_key", "category_name", "median", "q1", "q3", "teams"],
    )
    latest = team_categories[team_categories["round_name"] == "Q2"]
    previous = team_categories[team_categories["round_name"] == "Q1"]
    dora = pd.DataFrame(
        {
            "round_name": ["Q1", "Q2"],
            **{f"{metric}_score": [6.0, NAN] for metric in charts.DORA_LABELS},
        }
    )
    participation = pd.DataFrame(
        {"team": ["Alpha", "Bravo"], "submitted": [3, 0], "invited": [4, 0], "rate": [0.75, NAN]}
    )
    groups = ["Apps", "Zeta"]
    distribution = pd.DataFrame(
        [
            ("CI/CD", level, teams)
            for level, teams in zip(LEVEL_NAMES, [0, 1, 2, 1, 300], strict=True)
        ],
        columns=["category_name", "level", "teams"],
    )
    clusters = pd.DataFrame(
        [("Q1", "High", 2024, 3), ("Q1", "Low", 2024, 1), ("Q2", "Elite", 2024, 2)],
        columns=["round_name", "cluster", "dora_year", "teams"],
    )
    return {
        "category_trend": charts.category_trend(team_categories, org_medians),
        "latest_vs_previous": charts.latest_vs_previous(latest, previous),
        "dora_trend": charts.dora_trend(dora),
        "participation": charts.participation(participation, x="team"),
        "org_heatmap": charts.org_heatmap(*matrix),
        "org_group_heatmap": charts.org_group_heatmap(
            pd.DataFrame({"ci": [2.3, NAN]}, index=groups),
            pd.DataFrame({"ci": [False, True]}, index=groups),
            pd.DataFrame({"ci": [False, False]}, index=groups),
            pd.DataFrame({"ci": [4, 0]}, index=groups),
            pd.Series([5, 1], index=groups),
            {"ci": "CI"},
        ),
        "org_trend": charts.org_trend(stats),
        "level_distribution": charts.level_distribution(distribution),
        "cluster_counts": charts.cluster_counts(clusters),
    }


def test_every_chart_is_a_valid_plotly_figure_that_validation_leaves_unchanged(
    team_categories, org_medians, matrix
):
    for name, figure in every_chart(team_categories, org_medians, matrix).items():
        assert set(figure) == {"data", "layout"}, name
        assert all(trace["type"] in {"scatter", "bar", "heatmap"} for trace in figure["data"])
        go.Figure(figure)  # raises on any property plotly does not know
        sent = json.loads(pio.to_json(figure, validate=False))
        validated = json.loads(pio.to_json(figure, validate=True))
        validated["layout"].pop("template")  # the page sends it once (page_template)
        assert sent == validated, name


def test_every_chart_keeps_plotlys_default_look(team_categories, org_medians, matrix):
    default = json.loads(go.Figure().to_json())["layout"]["template"]
    figures = every_chart(team_categories, org_medians, matrix)

    # Sent once for the page, not in every figure: charts.js gives it to each.
    for name, figure in figures.items():
        assert "template" not in figure["layout"], name
    block = charts.page_template()
    assert block.startswith('<script id="plotly-template" type="application/json">')
    sent = json.loads(block.removeprefix(block[: block.index(">") + 1]).removesuffix("</script>"))
    assert sent == default
    (heatmap,) = figures["org_heatmap"]["data"]
    assert heatmap["colorscale"] == [
        list(step) for step in go.Heatmap(colorscale="Blues").colorscale
    ]


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([2.0, NAN, 3.25]),
        pd.Series([0, 1, 300]),
        pd.Series([-5, 70_000]),
        pd.Series([3_000_000_000]),
        pd.Series([], dtype=float),
        pd.Series([], dtype=object),
        pd.Series([None, 2.0], dtype=object),
        pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})["b"],
        (pd.Series([0.755, NAN]) * 100).round(0),
    ],
)
def test_numbers_are_sent_as_go_figure_sent_them(values):
    """Typed arrays ({"dtype", "bdata"}) for numeric columns, lists (NaN as null) otherwise."""
    expected = json.loads(go.Figure(go.Bar(y=values)).to_json())["data"][0]["y"]

    sent = json.loads(pio.to_json({"data": [{"type": "bar", "y": charts._numbers(values)}]}))

    assert sent["data"][0]["y"] == expected
