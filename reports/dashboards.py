"""Dashboard contexts: what the team and organisation pages show, built from selectors.

Views decide who asks (``surveys.privacy``) and which round; these functions
read through ``reports.selectors`` (which apply the policy for every viewer),
draw with ``reports.charts`` and render the cached page bodies. Tests call them
directly.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

import plotly.io
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from actions import pages as action_pages
from actions.models import Action
from assessment.maturity import MAX_LEVEL, level_for_score, level_name
from reports import charts, selectors
from reports.cache import DONE_ACTIONS_VERSION, cached
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


def figure_json(figure: dict) -> str:
    """A figure dict (``reports.charts``) as JSON text, unvalidated: plotly's encoder
    knows numpy values, and the tests check every chart is a valid figure."""
    return plotly.io.to_json(figure, validate=False)


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


# What json_script escapes, so that no text in a figure can end the <script> block.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def chart_blocks(figures: dict[str, str]) -> dict[str, dict]:
    """Each figure's JSON text as a data block for the page, escaped as
    ``json_script`` escapes (without decoding and encoding it again)."""
    return {
        name: {
            "id": f"chart-{name}",
            "script": format_html(
                '<script id="{}" type="application/json">{}</script>',
                f"chart-{name}-data",
                mark_safe(text.translate(JSON_SCRIPT_ESCAPES)),  # escaped just now
            ),
        }
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


# More teams than this in a round, in more than one team group, and the page
# without a group filter shows one heatmap row and one participation bar per
# group, each leading to its teams: a row per team stops being readable (1,000
# teams drew a 28,000 px heatmap). Smaller organisations see every team.
GROUPED_ABOVE_TEAMS = 30


def shows_groups(team_groups: Iterable[str], group: str) -> bool:
    """Whether the organisation page draws a row per team group rather than per team.

    ``team_groups``: the group of each team of the round ("" for none, which
    makes a "No group" row of its own); ``group``: the group filter, if any.
    """
    team_groups = list(team_groups)
    return not group and len(team_groups) > GROUPED_ABOVE_TEAMS and len(set(team_groups)) > 1


def org_url(selected: SurveyRound, first=None, last=None, group: str = "") -> str:
    """The organisation page for a round (and trend range), filtered to a group if given."""
    params = {"round": selected.slug}
    if first is not None and last is not None:
        params.update({"from": first.slug, "to": last.slug})
    if group:
        params["group"] = group
    return f"{reverse('reports:org_dashboard')}?{urlencode(params)}"


def _cell(value: float, withheld: bool, no_responses: bool) -> dict:
    """A heatmap table cell: a value with its level, or why there is none."""
    shown = None if withheld or math.isnan(value) else float(value)
    return {
        "value": shown,
        "withheld": bool(withheld),
        "no_responses": bool(no_responses),
        "level": level_name(shown),
    }


def _team_heatmap(matrix: selectors.OrgMatrix, slugs: dict[str, str]) -> tuple[list, str]:
    """Rows of the per-team table and the per-team heatmap."""
    rows = [
        {
            "team": team_name,
            "team_slug": slugs.get(team_name),
            "cells": [
                _cell(value, hidden, int(n) == 0)
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
    figure = charts.org_heatmap(
        matrix.scores, matrix.withheld, matrix.category_names, matrix.respondents
    )
    return rows, figure_json(figure)


def _group_heatmap(groups: selectors.GroupMatrix, link) -> tuple[list, str]:
    """Rows of the per-group table (name, link, n of m per cell) and the per-group heatmap."""
    hidden = groups.withheld | groups.no_responses
    rows = [
        {
            "group": selectors.group_label(value),
            "url": link(value),
            "teams": int(groups.teams[value]),
            "cells": [
                {**_cell(score, h, empty), "counted": int(n), "teams": int(groups.teams[value])}
                for score, h, empty, n in zip(
                    groups.scores.loc[value].to_numpy(),
                    hidden.loc[value].to_numpy(),
                    groups.no_responses.loc[value].to_numpy(),
                    groups.counted.loc[value].to_numpy(),
                    strict=True,
                )
            ],
        }
        for value in groups.scores.index
    ]

    def labelled(frame):
        return frame.rename(index=selectors.group_label)

    figure = charts.org_group_heatmap(
        labelled(groups.scores),
        labelled(groups.withheld),
        labelled(groups.no_responses),
        labelled(groups.counted),
        labelled(groups.teams),
        groups.category_names,
    )
    return rows, figure_json(figure)


def org_results_body(
    selected: SurveyRound, in_range: list[SurveyRound], group: str, first, last
) -> dict:
    """The cached body of the organisation page for a released round.

    A row per team, or per team group when the round has many teams in several
    groups and no group is chosen (``shows_groups``). Per group, the round's
    figures over every team are the ones kept at its first view
    (``selectors.org_group_figures``) and participation is summed by the
    database; per team, they are read and computed here.
    """

    def compute() -> dict:
        teams = selectors.round_teams(selected, group=group)
        grouped = shows_groups((g for _name, g in teams.values()), group)
        if grouped:
            # Kept per released round: the thousand teams' scores are not read again.
            groups, distribution = selectors.org_group_figures(selected)
            category_columns, category_names = list(groups.scores.columns), groups.category_names
        else:
            matrix = selectors.org_round_matrix(selected, group=group, teams=teams)
            distribution = selectors.level_distribution(matrix)
            category_columns, category_names = list(matrix.scores.columns), matrix.category_names
        stats = selectors.org_category_stats(in_range, group=group)
        clusters = selectors.cluster_counts(in_range, group=group)
        texts = selectors.question_texts(selected)
        systemic = [
            {"key": key, **texts.get(key, {"text": key, "category": ""})}
            for key in selectors.systemic_questions(selected)
        ]
        if grouped:
            heatmap_rows, heatmap = _group_heatmap(
                groups, lambda value: org_url(selected, first, last, value)
            )
            # Summed per group by the database: the page lists no team.
            by_group = selectors.round_group_participation(selected)
            participation = None
            participation_figure = charts.participation(
                by_group, x="group_name", title="Participation per team group"
            )
        else:
            participation = selectors.round_participation(selected, group=group)
            slugs = dict(zip(participation["team"], participation["team_slug"], strict=True))
            heatmap_rows, heatmap = _team_heatmap(matrix, slugs)
            by_group = None
            participation_figure = charts.participation(
                participation, x="team", title="Participation per team"
            )
        figures = {
            "heatmap": heatmap,
            "trend": figure_json(charts.org_trend(stats)),
            "levels": figure_json(charts.level_distribution(distribution)),
            "clusters": figure_json(charts.cluster_counts(clusters)),
            "participation": figure_json(participation_figure),
        }
        body = {
            "charts": chart_blocks(figures),
            "selected": selected,
            "group": group,
            "group_label": selectors.group_label(group),
            "grouped": grouped,
            "first": first,
            "last": last,
            "category_names": [category_names[k] for k in category_columns],
            "heatmap_rows": heatmap_rows,
            "stats": records(stats),
            "distribution": records(distribution),
            "clusters": records(clusters),
            "systemic": systemic,
            # Per team only where the page lists teams.
            "participation": [] if grouped else records(participation),
            "participation_groups": _group_links(by_group, selected, first, last),
            "submitted": int((by_group if grouped else participation)["submitted"].sum()),
        }
        return {"body": render_to_string("reports/_org_body.html", body)}

    return cached(
        "org-dashboard",
        [r.pk for r in in_range] + [selected.pk],
        [selected.pk, first.pk, last.pk, group, *[r.pk for r in in_range]],
        compute,
    )


def _group_links(by_group, selected, first=None, last=None) -> list[dict] | None:
    """Participation rows per group, each with the link to the group's teams."""
    if by_group is None:
        return None
    return [
        {**row, "url": org_url(selected, first, last, row["group"])} for row in records(by_group)
    ]


def open_round_participation(
    survey_round: SurveyRound,
    *,
    group: str = "",
    team: Team | None = None,
    first: SurveyRound | None = None,
    last: SurveyRound | None = None,
) -> dict:
    """What anyone sees of an open round: participation counts, live (never cached).

    Per team group on the organisation page when it shows groups (``shows_groups``).
    """
    participation = selectors.round_participation(survey_round, group=group)
    by_group = None
    if team is not None:
        participation = participation[participation["team_slug"] == team.slug]
    elif shows_groups(participation["group"], group):
        by_group = selectors.group_participation(participation)
    if by_group is not None:
        figure = charts.participation(
            by_group, x="group_name", title="Participation per team group"
        )
    else:
        figure = charts.participation(participation, x="team", title="Participation per team")
    return {
        "release_message": privacy.release_message(survey_round),
        "participation": records(participation),
        "participation_groups": _group_links(by_group, survey_round, first, last),
        "charts": chart_blocks({"participation": figure_json(figure)}),
        "submitted": int(participation["submitted"].sum()),
    }


def org_actions(viewer: Viewer, selected: SurveyRound, in_range: list[SurveyRound], group: str):
    """Per practice category: actions planned and done in the round, and which kinds worked.

    "Worked" is the share of done actions (of every team, or of the group) that
    were followed by a change beyond the noise in their targets, measured in the
    first released round after they were done (``selectors.action_results``),
    among those measured in the chosen range of rounds. Counts only: titles stay
    with the teams. The planned and done counts are one query on every view;
    what worked is cached like the page's body, and made stale only by a change
    to a done action (at 11,000 done actions it takes seconds to compute).
    """

    def results() -> list[dict]:
        return selectors.action_results(viewer, selected, in_range, group=group)

    if viewer.sees_every_team:
        # The same for every manager and facilitator: cached until a round's
        # scores or a done action change (reports.receivers).
        worked = cached(
            "org-action-results",
            [r.pk for r in in_range] + [selected.pk],
            [selected.pk, group, *[r.pk for r in in_range]],
            results,
            version_keys=[DONE_ACTIONS_VERSION],
        )
    else:  # the page is theirs alone; never the case today
        worked = results()
    counts = selectors.action_counts(selected, group=group)
    return {"action_effects": selectors.with_action_counts(worked, counts)}
