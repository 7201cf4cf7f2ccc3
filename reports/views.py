"""Dashboards: thin views over selectors (reads) and charts (figures), cached per round version."""

import math

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from assessment.maturity import level_name
from reports import charts, selectors
from reports.access import require_org_viewer, team_access
from reports.cache import cached
from reports.exporters import ExportRequest, allowed_exporters
from reports.staticfiles import plotly_static_path

SORT_LABELS = [
    ("order", "questionnaire order"),
    ("score", "score"),
    ("delta", "change"),
    ("agreement", "agreement"),
    ("dont-know", "don't know"),
]
QUESTION_SORTS = {
    "order": ("order", False),
    "score": ("mean", False),
    "delta": ("delta", False),
    "agreement": ("agreement", False),
    "dont-know": ("dont_know_rate", True),
}


def figure_json(figure) -> str:
    """Figure JSON that is safe inside <script type="application/json">."""
    text = figure.to_json()
    return text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


def _records(frame) -> list[dict]:
    """DataFrame rows as dicts with NaN turned into None (templates and caches)."""
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _pick(rounds, slug, default):
    return next((r for r in rounds if r.slug == slug), default)


def _default_round(rounds):
    """The latest closed round: an open round's results are still moving."""
    closed = [r for r in rounds if r.status() == r.Status.CLOSED]
    return closed[-1] if closed else rounds[-1]


@login_required
def team_dashboard(request, team_slug):
    access = team_access(request.user, team_slug)
    team = access.team
    rounds = selectors.rounds_for_team(team)
    context = {
        "team": team,
        "access": access,
        "rounds": rounds,
        "sort_options": SORT_LABELS,
        "plotly_js": plotly_static_path(),
    }
    if not rounds:
        return render(request, "reports/team_dashboard.html", context)
    selected = _pick(rounds, request.GET.get("round"), _default_round(rounds))

    def compute():
        scores = selectors.team_round_scores(team, rounds, viewer_is_member=access.is_member)
        org = selectors.org_category_stats(rounds)
        names = {r.slug: r.name for r in rounds}
        categories = scores.categories.assign(round_name=scores.categories["round"].map(names))
        previous = selectors.previous_round_for(team, selected)
        latest_rows = categories[categories["round"] == selected.slug].copy()
        latest_rows["round_name"] = selected.name
        previous_rows = None
        if previous is not None:
            previous_rows = categories[categories["round"] == previous.slug].copy()
            previous_rows["round_name"] = previous.name
        questions = selectors.question_scores(team, selected, viewer_is_member=access.is_member)
        texts = selectors.question_texts(selected)
        participation = selectors.team_participation(team, rounds)
        round_rows = scores.rounds
        selected_summary = round_rows[round_rows["round"] == selected.slug]
        figures = {
            "trend": figure_json(charts.category_trend(categories, org)),
            "compare": figure_json(charts.latest_vs_previous(latest_rows, previous_rows)),
            "dora": figure_json(charts.dora_trend(round_rows)),
            "participation": figure_json(
                charts.participation(participation, title="Participation per round")
            ),
        }
        question_rows = []
        for order, row in enumerate(_records(questions)):
            info = texts.get(row["question_key"], {})
            row.update(
                order=order,
                text=info.get("text", row["question_key"]),
                category=info.get("category", ""),
                level=level_name(row["mean"]),
            )
            question_rows.append(row)
        data = {
            "figures": figures,
            "categories": _records(categories),
            "latest": _records(latest_rows),
            "previous_round": previous,
            "summary": _records(selected_summary)[0] if not selected_summary.empty else None,
            "round_rows": _records(round_rows),
            "questions": question_rows,
            "participation": _records(participation),
            "org": _records(org),
            "reflections": selectors.reflections(team, selected)
            if access.can_see_reflections
            else None,
        }
        data.update(
            context,
            selected=selected,
            questions=_sorted_questions(question_rows, sort),
            sort=sort,
            charts=_chart_blocks(figures),
        )
        return {
            "summary": data["summary"],
            "body": render_to_string("reports/_team_body.html", data),
        }

    sort = request.GET.get("sort", "order")
    if sort not in QUESTION_SORTS:
        sort = "order"
    data = cached(
        "team-dashboard",
        [r.pk for r in rounds],
        [team.pk, selected.pk, access.is_member, access.can_see_reflections, sort],
        compute,
    )
    downloads = [
        (exporter.identifier, exporter.verbose_name)
        for exporter in allowed_exporters(ExportRequest.for_team(selected, access))
    ]
    context.update(
        selected=selected,
        summary=data["summary"],
        body=mark_safe(data["body"]),
        downloads=downloads,
    )
    return render(request, "reports/team_dashboard.html", context)


def _sorted_questions(rows: list[dict], sort: str) -> list[dict]:
    """Questionnaire order, or by a column; rows without a value go last."""
    field, descending = QUESTION_SORTS[sort]
    present = sorted((r for r in rows if r[field] is not None), key=lambda r: r[field])
    if descending:
        present.reverse()
    return present + [r for r in rows if r[field] is None]


def _chart_blocks(figures: dict[str, str]) -> dict[str, dict]:
    return {
        name: {"id": f"chart-{name}", "json": mark_safe(text)}  # escaped by figure_json
        for name, text in figures.items()
    }


@login_required
def org_dashboard(request):
    require_org_viewer(request.user)
    rounds = selectors.started_rounds()
    groups = selectors.team_groups()
    context = {"rounds": rounds, "groups": groups, "plotly_js": plotly_static_path()}
    if not rounds:
        return render(request, "reports/org_dashboard.html", context)
    selected = _pick(rounds, request.GET.get("round"), _default_round(rounds))
    group = request.GET.get("group", "")
    if group not in groups:
        group = ""
    first = _pick(rounds, request.GET.get("from"), rounds[max(0, len(rounds) - 8)])
    last = _pick(rounds, request.GET.get("to"), rounds[-1])
    if first.opens_at > last.opens_at:
        first, last = last, first
    in_range = [r for r in rounds if first.opens_at <= r.opens_at <= last.opens_at]

    def compute():
        matrix = selectors.org_round_matrix(selected)
        participation = selectors.round_participation(selected, group=group)
        if group:
            keep = [name for name in matrix.scores.index if name in set(participation["team"])]
            matrix = selectors.OrgMatrix(
                scores=matrix.scores.loc[keep],
                withheld=matrix.withheld.loc[keep],
                respondents=matrix.respondents.loc[keep],
                category_names=matrix.category_names,
            )
        stats = selectors.org_category_stats(in_range, group=group)
        distribution = selectors.level_distribution(matrix)
        clusters = selectors.cluster_counts(in_range, group=group)
        texts = selectors.question_texts(selected)
        systemic = [
            {"key": key, **texts.get(key, {"text": key, "category": ""})}
            for key in selectors.systemic_questions(selected)
        ]
        slugs = dict(zip(participation["team"], participation["team_slug"], strict=True))
        heatmap_rows = [
            {
                "team": team_name,
                "team_slug": slugs.get(team_name),
                "cells": [
                    {
                        "value": None if hidden or math.isnan(value) else float(value),
                        "withheld": bool(hidden),
                        "no_responses": int(n) == 0,
                        "level": level_name(None if math.isnan(value) else float(value)),
                    }
                    for value, hidden, n in zip(values, hidden_row, n_row, strict=True)
                ],
            }
            for team_name, values, hidden_row, n_row in zip(
                matrix.scores.index,
                matrix.scores.to_numpy(),
                matrix.withheld.to_numpy(),
                matrix.respondents.to_numpy(),
                strict=True,
            )
        ]
        figures = {
            "heatmap": figure_json(
                charts.org_heatmap(
                    matrix.scores, matrix.withheld, matrix.category_names, matrix.respondents
                )
            ),
            "trend": figure_json(charts.org_trend(stats)),
            "levels": figure_json(charts.level_distribution(distribution)),
            "clusters": figure_json(charts.cluster_counts(clusters)),
            "participation": figure_json(
                charts.participation(participation, x="team", title="Participation per team")
            ),
        }
        body = {
            "charts": _chart_blocks(figures),
            "selected": selected,
            "group": group,
            "first": first,
            "last": last,
            "category_names": [matrix.category_names[k] for k in matrix.scores.columns],
            "heatmap_rows": heatmap_rows,
            "heatmap_table_rows": _heatmap_table_rows(heatmap_rows),
            "stats": _records(stats),
            "distribution": _records(distribution),
            "clusters": _records(clusters),
            "systemic": systemic,
            "participation_table_rows": _participation_table_rows(participation),
            "submitted": int(participation["submitted"].sum()),
        }
        return {"body": render_to_string("reports/_org_body.html", body)}

    data = cached(
        "org-dashboard",
        [r.pk for r in in_range] + [selected.pk],
        [selected.pk, first.pk, last.pk, group],
        compute,
    )
    context.update(
        selected=selected, group=group, first=first, last=last, body=mark_safe(data["body"])
    )
    return render(request, "reports/org_dashboard.html", context)


# The two long tables (one row per team) are built here rather than in the
# template: with hundreds of teams, template loops dominated the render time.


def _team_link(name: str, slug: str | None) -> str:
    if not slug:
        return escape(name)
    return f'<a href="{escape(reverse("reports:team_dashboard", args=[slug]))}">{escape(name)}</a>'


def _heatmap_cell(cell: dict) -> str:
    if cell["withheld"]:
        return "<td>no responses</td>" if cell["no_responses"] else "<td>withheld</td>"
    if cell["value"] is None:
        return "<td>-</td>"
    level = f'<span class="small text-body-secondary">{cell["level"]}</span>'
    return f"<td>{cell['value']:.2f} {level}</td>"


def _heatmap_table_rows(rows: list[dict]) -> str:
    return mark_safe(  # every piece is escaped or a formatted number
        "".join(
            f'<tr><th scope="row" class="text-start">{_team_link(r["team"], r["team_slug"])}</th>'
            + "".join(_heatmap_cell(c) for c in r["cells"])
            + "</tr>"
            for r in rows
        )
    )


def _participation_table_rows(frame) -> str:
    return mark_safe(  # every piece is escaped or an integer
        "".join(
            f"<tr><td>{_team_link(r.team, r.team_slug)}</td><td>{escape(r.group)}</td>"
            f"<td>{int(r.invited)}</td><td>{int(r.drafts)}</td><td>{int(r.submitted)}</td></tr>"
            for r in frame.itertuples()
        )
    )
