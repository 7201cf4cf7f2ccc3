"""Pure functions: DataFrames of aggregates in, plotly figure dicts out.

No ORM and no request here. Every figure has a title and labelled axes with
units or level names; the views pair each with a table of the same numbers.

plotly.js reads labels, legend entries and hover text as a little HTML (<b>,
<br>, <a href>...), so every name people typed (teams, rounds) or loaded from a
questionnaire file (categories) goes through ``as_text()`` or ``wrap()``: < and >
become &lt; and &gt;, which plotly shows as the characters typed. Nothing else
needs it: plotly splits tags first and decodes entities only inside text, so an
entity can never turn into a tag, and without < no tag (hence no attribute) can
open. "Monitoring & observability" stays as typed.

Figures are plain dicts in plotly's JSON schema ({"data": [traces], "layout": {}}),
sent with ``plotly.io.to_json(figure, validate=False)``: plotly's graph objects
validate and deep-copy every property, which cost more than the queries on a large
organisation's page. What go.Figure added by itself is added here by hand, so the
JSON is the same: named colour scales expanded and numeric columns as plotly.js
typed arrays (``_numbers``). The default template, which go.Figure copied into
every figure (10 kB each), goes to the page once (``page_template``) and
charts.js hands it to every chart. The tests wrap each figure in go.Figure,
which checks every property is one plotly knows.
"""

import base64
import functools
import json
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.colors
import plotly.io as pio
from django.utils.html import json_script

from assessment.maturity import LEVELS, level_name

# Colour-blind-safe palette (Okabe-Ito), one colour per category in order.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
CLUSTER_COLOURS = {"Elite": "#009E73", "High": "#56B4E9", "Medium": "#E69F00", "Low": "#D55E00"}
LEVEL_AXIS = {
    "range": [-0.1, 4.1],
    "tickvals": [level.value for level in LEVELS],
    "ticktext": [f"{level.value} {level.name}" for level in LEVELS],
    "title": {"text": "Maturity level (0-4)"},
}
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}
# What go.Figure put in every layout and expanded "Blues" to, computed once. Shared
# by every figure: never change them in place. The template reaches the page once
# (page_template), not in every figure.
TEMPLATE = json.loads(pio.json.to_json_plotly(pio.templates[pio.templates.default]))
BLUES = plotly.colors.get_colorscale("Blues")
# numpy dtype -> plotly.js typed array name (plotly's own table).
TYPED_ARRAYS = {
    "int8": "i1",
    "uint8": "u1",
    "int16": "i2",
    "uint16": "u2",
    "int32": "i4",
    "uint32": "u4",
    "float32": "f4",
    "float64": "f8",
}


def _layout(title: str, **extra) -> dict:
    return {
        "title": {"text": title},
        "font": FONT,
        "margin": {"l": 60, "r": 20, "t": 60, "b": 60},
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "closest",
        **extra,
    }


@functools.cache
def page_template() -> str:
    """plotly's default template as a JSON data block for the page (charts.js
    gives it to every figure drawn): sent once, not once per chart."""
    return json_script(TEMPLATE, "plotly-template")


def _numbers(values) -> dict | list:
    """A column of numbers (Series, array) as go.Figure sent it to the browser.

    A numeric column becomes a plotly.js typed array, {"dtype", "bdata"}: its bytes
    in base64 (NaN stays NaN: a gap), 64-bit integers narrowed to the smallest
    type holding them as plotly does. Anything else (empty, text) is a list, NaN
    turning into null.
    """
    array = np.asarray(values)
    if array.size and array.dtype.kind in "iu" and array.dtype.itemsize == 8:
        prefix = "int" if array.dtype.kind == "i" else "uint"
        low, high = array.min(), array.max()
        for bits in (8, 16, 32):
            limits = np.iinfo(f"{prefix}{bits}")
            if limits.min <= low and high <= limits.max:
                array = array.astype(f"{prefix}{bits}")
                break
    code = TYPED_ARRAYS.get(str(array.dtype))
    if not array.size or code is None:
        return array.tolist()
    return {"dtype": code, "bdata": base64.b64encode(np.ascontiguousarray(array)).decode("ascii")}


def _rows(frame: pd.DataFrame, *columns: str):
    """The frame's rows as tuples of these columns' plain values.

    What itertuples() gives, without its per-call namedtuple class and per-column
    lookups, which cost milliseconds on a dashboard's few hundred rows.
    """
    return zip(*(frame[column].tolist() for column in columns), strict=True)


def _num(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def as_text(value) -> str:
    """A name as plotly text: shown as typed, never read as markup."""
    return str(value).replace("<", "&lt;").replace(">", "&gt;")


def as_texts(values: Iterable) -> list[str]:
    return [as_text(value) for value in values]


def wrap(label: str, width: int = 16) -> str:
    """Break a long axis label over lines (<br>) so labels never overlap; escaped."""
    lines, line = [], ""
    for word in str(label).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(as_text(line) for line in lines)


def _percent(share) -> str:
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "-"
    return f"{share * 100:.0f}%"


def category_trend(categories: pd.DataFrame, org: pd.DataFrame | None = None) -> dict:
    """Lines of a team's category scores over rounds, with the org median dotted.

    ``categories``: round_name, category_key, category_name, mean, respondents,
    agreement, withheld (team_round_scores().categories). ``org``: round_name,
    category_key, median (org_category_stats).
    """
    data = []
    # Only the columns drawn: filtering by category copies every column it keeps.
    categories = categories[
        [
            "round_name",
            "category_key",
            "category_name",
            "mean",
            "respondents",
            "agreement",
            "withheld",
        ]
    ]
    if org is not None:
        org = org[["round_name", "category_key", "median", "teams"]]
    keys = list(dict.fromkeys(categories["category_key"]))
    for index, key in enumerate(keys):
        colour = PALETTE[index % len(PALETTE)]
        rows = categories[categories["category_key"] == key]
        name = as_text(rows["category_name"].iloc[0])
        hover = [
            f"{name}<br>{as_text(round_name)}: {_num(mean)} "
            f"({level_name(mean) or 'no score'})"
            f"<br>n = {respondents}, agreement {_percent(agreement)}"
            if not withheld
            else f"{name}<br>{as_text(round_name)}: withheld (fewer than k responses)"
            for round_name, mean, respondents, agreement, withheld in _rows(
                rows, "round_name", "mean", "respondents", "agreement", "withheld"
            )
        ]
        data.append(
            {
                "type": "scatter",
                "x": as_texts(rows["round_name"]),
                "y": _numbers(rows["mean"]),
                "mode": "lines+markers",
                "name": name,
                "line": {"color": colour, "width": 3},
                "legendgroup": key,
                "hovertext": hover,
                "hoverinfo": "text",
            }
        )
        if org is not None and not org.empty:
            org_rows = org[org["category_key"] == key]
            data.append(
                {
                    "type": "scatter",
                    "x": as_texts(org_rows["round_name"]),
                    "y": _numbers(org_rows["median"]),
                    "mode": "lines",
                    "name": f"{name} (organisation median)",
                    "line": {"color": colour, "width": 1.5, "dash": "dot"},
                    "legendgroup": key,
                    "showlegend": False,
                    "hovertext": [
                        f"{name}<br>{as_text(round_name)}: organisation median {_num(median)} "
                        f"across {teams} teams"
                        for round_name, median, teams in _rows(
                            org_rows, "round_name", "median", "teams"
                        )
                    ],
                    "hoverinfo": "text",
                }
            )
    layout = _layout(
        "Category scores over time",
        yaxis=LEVEL_AXIS,
        xaxis={"title": {"text": "Round"}, "type": "category"},
    )
    return {"data": data, "layout": layout}


def latest_vs_previous(latest: pd.DataFrame, previous: pd.DataFrame | None) -> dict:
    """Grouped bars per category: the previous round next to the latest one."""
    data = []
    if previous is not None and not previous.empty:
        data.append(
            {
                "type": "bar",
                "x": [wrap(name) for name in previous["category_name"]],
                "y": _numbers(previous["mean"]),
                "name": f"Previous ({as_text(previous['round_name'].iloc[0])})"
                if "round_name" in previous
                else "Previous",
                "marker": {"color": "#adb5bd"},
                "hovertemplate": "%{x}: %{y:.2f}<extra>previous</extra>",
            }
        )
    data.append(
        {
            "type": "bar",
            "x": [wrap(name) for name in latest["category_name"]],
            "y": _numbers(latest["mean"]),
            "name": f"Latest ({as_text(latest['round_name'].iloc[0])})"
            if "round_name" in latest and not latest.empty
            else "Latest",
            "marker": {"color": PALETTE[0]},
            "hovertemplate": "%{x}: %{y:.2f}<extra>latest</extra>",
        }
    )
    layout = _layout(
        "This round compared with the previous one",
        yaxis=LEVEL_AXIS,
        barmode="group",
        xaxis={"title": {"text": "Category"}},
    )
    return {"data": data, "layout": layout}


DORA_LABELS = {
    "deployment_frequency": "Deployment frequency",
    "lead_time": "Lead time",
    "recovery_time": "Recovery time",
    "change_failure_rate": "Change failure rate",
}


def dora_trend(rounds: pd.DataFrame) -> dict:
    """The four key DORA metrics as 0-10 scores over rounds (higher is better)."""
    x = as_texts(rounds["round_name"])
    data = [
        {
            "type": "scatter",
            "x": x,
            "y": _numbers(rounds[f"{metric}_score"]),
            "name": label,
            "mode": "lines+markers",
            "line": {"color": PALETTE[index]},
            "hovertemplate": f"{label}<br>%{{x}}: %{{y:.1f}} / 10<extra></extra>",
        }
        for index, (metric, label) in enumerate(DORA_LABELS.items())
    ]
    layout = _layout(
        "DORA metrics over time (0-10, higher is better)",
        yaxis={"range": [-0.3, 10.3], "title": {"text": "Score (0-10)"}},
        xaxis={"title": {"text": "Round"}, "type": "category"},
    )
    return {"data": data, "layout": layout}


def participation(
    frame: pd.DataFrame, *, x: str = "round_name", title: str = "Participation"
) -> dict:
    """Submitted responses as a share of the team's members."""
    bars = {
        "type": "bar",
        "x": as_texts(frame[x]),
        "y": _numbers((frame["rate"] * 100).round(0)),
        "marker": {"color": PALETTE[2]},
        "hovertext": [
            f"{as_text(label)}: {submitted} of {invited} submitted"
            for label, submitted, invited in _rows(frame, x, "submitted", "invited")
        ],
        "hoverinfo": "text",
        "name": "Submitted",
    }
    layout = _layout(
        title,
        yaxis={"range": [0, 105], "title": {"text": "Submitted (% of members)"}},
        xaxis={"type": "category"},
    )
    return {"data": [bars], "layout": layout}


def org_heatmap(
    scores: pd.DataFrame,
    withheld: pd.DataFrame,
    category_names: dict[str, str],
    respondents: pd.DataFrame | None = None,
) -> dict:
    """Teams x categories; withheld cells stay empty and say so, never zero.

    A withheld cell never carries its value into the figure, whatever the caller
    passed. With ``respondents``, a team nobody answered for says "no responses".
    """
    teams = list(scores.index)
    columns = list(scores.columns)
    hidden = withheld.reindex(index=teams, columns=columns).to_numpy()
    counts = (
        respondents.reindex(index=teams, columns=columns).fillna(0).to_numpy()
        if respondents is not None
        else None
    )
    empty = [
        [counts is not None and counts[row][column] == 0 for column in range(len(columns))]
        for row in range(len(teams))
    ]
    return _heatmap(
        "Maturity by team and category",
        "Team",
        scores,
        hidden,
        empty,
        category_names,
        [["" for _ in columns] for _ in teams],
    )


def org_group_heatmap(
    scores: pd.DataFrame,
    withheld: pd.DataFrame,
    no_responses: pd.DataFrame,
    counted: pd.DataFrame,
    teams: pd.Series,
    category_names: dict[str, str],
) -> dict:
    """Team groups x categories: each cell the median of the group's released teams.

    Rows in the same order in every argument: group names as shown
    (alphabetical, never by score). Hover says of
    how many of the group's teams the median is ("12 of 25 teams"); a cell with
    no released team says "withheld" or "no responses" as a team's cell does.
    """
    # By position: the frames share one row order (labels could repeat: a group
    # typed "No group" beside the teams without one).
    columns = list(scores.columns)
    notes = [
        [
            f"<br>median of {n} of {m} teams" if n else f"<br>0 of {m} teams counted"
            for n in counted_row
        ]
        for counted_row, m in zip(counted[columns].to_numpy(), teams.to_numpy(), strict=True)
    ]
    return _heatmap(
        "Maturity by team group and category (median team)",
        "Team group",
        scores,
        (withheld[columns] | no_responses[columns]).to_numpy(),
        no_responses[columns].to_numpy(),
        category_names,
        notes,
    )


def _heatmap(title, row_title, scores, hidden, empty, category_names, notes) -> dict:
    """Rows x categories with a value, a level and a note in each cell's hover text."""
    rows = list(scores.index)
    columns = list(scores.columns)
    names = [as_text(category_names[c]) for c in columns]
    z, text, hover = [], [], []
    for row, (label, values, hidden_row) in enumerate(
        zip(rows, scores.to_numpy(), hidden, strict=True)
    ):
        z_row, text_row, hover_row = [], [], []
        for column, (value, h, name) in enumerate(zip(values, hidden_row, names, strict=True)):
            v = None if h or math.isnan(value) else round(float(value), 2)
            if h:
                label_text = "no responses" if empty[row][column] else "withheld"
                detail = (
                    "no responses" if empty[row][column] else "withheld: fewer than k responses"
                )
            else:
                label_text = "-" if v is None else f"{v:.1f}"
                detail = "no score" if v is None else f"{v:.2f} ({level_name(v)})"
            z_row.append(v)
            text_row.append(label_text)
            hover_row.append(f"{as_text(label)} · {name}<br>{detail}{notes[row][column]}")
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    heatmap = {
        "type": "heatmap",
        "z": z,
        "x": [wrap(category_names[c]) for c in columns],
        "y": as_texts(rows),
        "zmin": 0,
        "zmax": 4,
        "colorscale": BLUES,
        "text": text,
        "texttemplate": "%{text}",
        "hovertext": hover,
        "hoverinfo": "text",
        "colorbar": {
            "title": {"text": "Level"},
            "tickvals": [level.value for level in LEVELS],
            "ticktext": [level.name for level in LEVELS],
        },
        "xgap": 2,
        "ygap": 2,
    }
    layout = _layout(
        title,
        height=max(360, 140 + 28 * len(rows)),
        yaxis={"autorange": "reversed", "title": {"text": row_title}, "automargin": True},
        xaxis={"title": {"text": "Category"}, "automargin": True},
    )
    return {"data": [heatmap], "layout": layout}


def org_trend(stats: pd.DataFrame) -> dict:
    """Organisation median per category over rounds, with the interquartile band."""
    data = []
    stats = stats[["round_name", "category_key", "category_name", "median", "q1", "q3", "teams"]]
    keys = list(dict.fromkeys(stats["category_key"]))
    for index, key in enumerate(keys):
        colour = PALETTE[index % len(PALETTE)]
        rows = stats[stats["category_key"] == key]
        name = as_text(rows["category_name"].iloc[0])
        rounds = as_texts(rows["round_name"])
        data.append(
            {
                "type": "scatter",
                "x": rounds + rounds[::-1],
                "y": rows["q3"].tolist() + rows["q1"].tolist()[::-1],
                "fill": "toself",
                "fillcolor": colour,
                "opacity": 0.15,
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
                "legendgroup": key,
                "name": f"{name} interquartile range",
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": rounds,
                "y": _numbers(rows["median"]),
                "mode": "lines+markers",
                "name": name,
                "legendgroup": key,
                "line": {"color": colour, "width": 3},
                "hovertext": [
                    f"{name}<br>{as_text(round_name)}: median {_num(median)}, "
                    f"middle half {_num(q1)} to {_num(q3)} ({teams} teams)"
                    for round_name, median, q1, q3, teams in _rows(
                        rows, "round_name", "median", "q1", "q3", "teams"
                    )
                ],
                "hoverinfo": "text",
            }
        )
    layout = _layout(
        "Organisation trend: median and middle half of teams",
        yaxis=LEVEL_AXIS,
        xaxis={"title": {"text": "Round"}, "type": "category"},
    )
    return {"data": data, "layout": layout}


def level_distribution(frame: pd.DataFrame) -> dict:
    """Stacked bars: how many teams sit at each level, per category."""
    colours = ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"]
    data = []
    for level, colour in zip(LEVELS, colours, strict=True):
        rows = frame[frame["level"] == level.name]
        data.append(
            {
                "type": "bar",
                "x": [wrap(name) for name in rows["category_name"]],
                "y": _numbers(rows["teams"]),
                "name": level.name,
                "marker": {"color": colour, "line": {"color": "#495057", "width": 0.5}},
                "hovertemplate": f"%{{x}}<br>{level.name}: %{{y}} teams<extra></extra>",
            }
        )
    layout = _layout(
        "Teams per maturity level",
        barmode="stack",
        yaxis={"title": {"text": "Teams"}},
        xaxis={"title": {"text": "Category"}},
    )
    return {"data": data, "layout": layout}


def cluster_counts(frame: pd.DataFrame) -> dict:
    """Stacked bars: teams per DORA cluster in each round."""
    year = ", ".join(str(y) for y in sorted(set(frame["dora_year"]))) if not frame.empty else ""
    data = []
    for cluster in ("Low", "Medium", "High", "Elite"):
        rows = frame[frame["cluster"] == cluster]
        if rows.empty:
            continue
        data.append(
            {
                "type": "bar",
                "x": as_texts(rows["round_name"]),
                "y": _numbers(rows["teams"]),
                "name": cluster,
                "marker": {"color": CLUSTER_COLOURS[cluster]},
                "hovertemplate": f"%{{x}}<br>{cluster}: %{{y}} teams<extra></extra>",
            }
        )
    layout = _layout(
        f"DORA performance clusters ({year} report)" if year else "DORA performance clusters",
        barmode="stack",
        yaxis={"title": {"text": "Teams"}},
        xaxis={"title": {"text": "Round"}, "type": "category"},
    )
    return {"data": data, "layout": layout}
