"""Dashboard contexts: what the team and organisation pages show, built from selectors.

Views decide who asks (``surveys.privacy``) and which round; these functions
read through ``reports.selectors`` (which apply the policy for every viewer),
draw with ``reports.charts`` and render the cached page bodies. Tests call them
directly.
"""

import json
import math
from dataclasses import dataclass

from django.template.loader import render_to_string

from actions import pages as action_pages
from actions.models import Action
from assessment.maturity import MAX_LEVEL, level_for_score, level_name
from reports import charts, selectors
from reports.cache import cached
from surveys import privacy
from surveys.models import SurveyRound, Team
from surveys.privacy import Viewer

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
    """The figure as JSON text (plotly's encoder knows numpy arrays)."""
    return figure.to_json()


def records(frame) -> list[dict]:
    """DataFrame rows as dicts with NaN turned into None (templates and caches)."""
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def pick(rounds, slug, default):
    return next((r for r in rounds if r.slug == slug), default)


def default_round(rounds: list[SurveyRound]) -> SurveyRound:
    """The latest released round; the latest round when none has closed yet."""
    closed = privacy.released(rounds)
    return closed[-1] if closed else rounds[-1]


def chart_blocks(figures: dict[str, str]) -> dict[str, dict]:
    """Each figure as data for ``json_script`` (which escapes it for the page)."""
    return {
        name: {"id": f"chart-{name}", "data_id": f"chart-{name}-data", "figure": json.loads(text)}
        for name, text in figures.items()
    }


# --- the team dashboard --------------------------------------------------------------


@dataclass(frozen=True)
class TeamDashboard:
    """Which rounds a viewer may pick on a team's page, and what they may see of each.

    ``rounds``: open rounds of the team (participation only) and released rounds
    whose results this viewer may see (for a team member: rounds in which they
    were a member at the close). ``result_rounds``: the released ones.
    """

    team: Team
    viewer: Viewer
    rounds: list[SurveyRound]
    result_rounds: list[SurveyRound]

    @classmethod
    def for_viewer(cls, viewer: Viewer, team: Team) -> "TeamDashboard":
        started = selectors.rounds_for_team(team)
        viewer = viewer.with_members_at_close(started)
        rounds = [r for r in started if viewer.sees_participation(team, r)]
        return cls(team, viewer, rounds, [r for r in rounds if viewer.sees_results(team, r)])


def team_results_body(dashboard: TeamDashboard, selected: SurveyRound, sort: str) -> dict:
    """The cached body of a released round: charts, tables, reflections where allowed.

    Keyed on the versions of the released rounds shown: a submit in an open
    round does not touch it.
    """
    team, viewer = dashboard.team, dashboard.viewer
    rounds = dashboard.result_rounds
    # Whether this viewer is of those who may read the team's reflections at all;
    # the count of responses (k) is checked in compute(), from the summary.
    may_read_reflections = viewer.is_facilitator or viewer.was_member(team, selected)
    # "Plan an action" links on question and category rows.
    can_plan = viewer.manages_actions(team)

    def compute() -> dict:
        scores = selectors.team_round_scores(team, rounds)
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
        questions = selectors.question_scores(team, selected, previous=previous)
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
        submitted = 0 if selected_summary.empty else int(selected_summary["respondents"].iloc[0])
        reflections = None
        if viewer.sees_reflections(team, selected, submitted):
            reflections = selectors.reflections(team, selected, submitted=submitted)
        elif may_read_reflections:
            reflections = []  # the section says they are withheld
        question_rows = []
        for order, row in enumerate(records(questions)):
            info = texts.get(row["question_key"], {})
            row.update(
                order=order,
                text=info.get("text", row["question_key"]),
                category=info.get("category", ""),
                level=level_name(row["mean"]),
                aim=next_level(row["mean"]),
            )
            question_rows.append(row)
        data = {
            "team": team,
            "rounds": rounds,
            "sort_options": SORT_LABELS,
            "figures": figures,
            "categories": records(categories),
            "latest": records(latest_rows),
            "previous_round": previous,
            "summary": records(selected_summary)[0] if not selected_summary.empty else None,
            "round_rows": records(round_rows),
            "questions": sorted_questions(question_rows, sort),
            "participation": records(participation),
            "org": records(org),
            "reflections": reflections,
            "selected": selected,
            "sort": sort,
            "charts": chart_blocks(figures),
            "can_plan": can_plan,
        }
        for row in data["latest"]:
            row["aim"] = next_level(row["mean"])
        return {
            "summary": data["summary"],
            "body": render_to_string("reports/_team_body.html", data),
        }

    return cached(
        "team-dashboard",
        [r.pk for r in rounds],
        [team.pk, selected.pk, *[r.pk for r in rounds], may_read_reflections, can_plan, sort],
        compute,
    )


def next_level(score: float | None) -> int | None:
    """The level above a score's, for "Plan an action" to aim at; None at the top or unscored."""
    level = level_for_score(score)
    return level.value + 1 if level is not None and level.value < MAX_LEVEL else None


def team_actions(dashboard: TeamDashboard, selected: SurveyRound) -> dict:
    """The team's actions as of a round, live (actions change between page views).

    Actions raised in this round or before it that are still open (carried over)
    or were done or dropped no earlier than this round, each with the change of
    its targets since the round it was raised in
    (``selectors.action_outcomes``: released rounds, k, the noise rule). Who does
    not manage the team's actions (a manager) sees those the team made visible.
    Four queries, however many actions.
    """
    team, viewer = dashboard.team, dashboard.viewer
    actions = Action.objects.filter(team=team, raised_in__opens_at__lte=selected.opens_at)
    if not viewer.manages_actions(team):
        actions = actions.filter(visible_to_managers=True)
    actions = [
        action
        for action in actions.select_related(
            "raised_in", "target_round", "done_in", "owner"
        ).order_by("-raised_in__opens_at", "created_at", "id")
        if action.is_open
        or (action.done_in is not None and action.done_in.opens_at >= selected.opens_at)
        or action.raised_in_id == selected.pk
    ]
    outcomes = selectors.action_outcomes(
        actions, selectors.measurement_rounds(actions, upto=selected), viewer
    )
    labels = action_pages.question_labels(dashboard.rounds) if actions else {}
    rows = []
    for action in actions:
        outcome = outcomes[action.pk]
        rows.append(
            {
                "action": action,
                **action_pages.target_labels(action, labels),
                "outcome": outcome,
                "changes": [
                    {
                        "change": change,
                        "label": labels.get(
                            f"category:{change.key}" if change.is_category else change.key,
                            {"text": change.key},
                        )["text"],
                    }
                    for change in outcome.changes
                ],
            }
        )
    return {
        "actions": rows,
        "can_plan": viewer.manages_actions(team),
        "actions_selected": selected,
    }


def sorted_questions(rows: list[dict], sort: str) -> list[dict]:
    """Questionnaire order, or by a column; rows without a value go last."""
    field, descending = QUESTION_SORTS[sort]
    present = sorted((r for r in rows if r[field] is not None), key=lambda r: r[field])
    if descending:
        present.reverse()
    return present + [r for r in rows if r[field] is None]


# --- the organisation dashboard ---------------------------------------------------------


def org_results_body(
    selected: SurveyRound, in_range: list[SurveyRound], group: str, first, last
) -> dict:
    """The cached body of the organisation page for a released round."""

    def compute() -> dict:
        matrix = selectors.org_round_matrix(selected, group=group)
        participation = selectors.round_participation(selected, group=group)
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
            "charts": chart_blocks(figures),
            "selected": selected,
            "group": group,
            "first": first,
            "last": last,
            "category_names": [matrix.category_names[k] for k in matrix.scores.columns],
            "heatmap_rows": heatmap_rows,
            "stats": records(stats),
            "distribution": records(distribution),
            "clusters": records(clusters),
            "systemic": systemic,
            "participation": records(participation),
            "submitted": int(participation["submitted"].sum()),
        }
        return {"body": render_to_string("reports/_org_body.html", body)}

    return cached(
        "org-dashboard",
        [r.pk for r in in_range] + [selected.pk],
        [selected.pk, first.pk, last.pk, group, *[r.pk for r in in_range]],
        compute,
    )


def open_round_participation(
    survey_round: SurveyRound, *, group: str = "", team: Team | None = None
) -> dict:
    """What anyone sees of an open round: participation counts, live (never cached)."""
    participation = selectors.round_participation(survey_round, group=group)
    if team is not None:
        participation = participation[participation["team_slug"] == team.slug]
    figure = charts.participation(participation, x="team", title="Participation per team")
    return {
        "release_message": privacy.release_message(survey_round),
        "participation": records(participation),
        "charts": chart_blocks({"participation": figure_json(figure)}),
        "submitted": int(participation["submitted"].sum()),
    }


def org_actions(viewer: Viewer, selected: SurveyRound, in_range: list[SurveyRound], group: str):
    """Per practice category: actions planned and done in the round, and which kinds worked.

    "Worked" is the share of done actions (of every team, or of the group) that
    were followed by a change beyond the noise in their targets, measured in the
    first released round after they were done (``selectors.action_effects``),
    among those measured in the chosen range of rounds. Counts only: titles stay
    with the teams. Live, never cached; a fixed number of queries.
    """
    effects = selectors.action_effects(viewer, selected, in_range, group=group)
    return {"action_effects": effects}
