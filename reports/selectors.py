"""Reads of the materialised scores, with the privacy policy applied.

The tables in reports.models hold full values. Everything shown goes through
these functions, which apply ``surveys.privacy`` the same way for every viewer:

* only released (closed) rounds have results: an open round reads as empty;
* any aggregate of fewer than k respondents is withheld: NaN with a
  ``withheld`` mark beside it, never a zero, so "hidden" and "scored 0" cannot
  be confused;
* minimum, quartiles, median, maximum and standard deviation only from 2k
  respondents up;
* organisation-wide figures leave withheld teams out, so nothing is computed
  from a withheld group.

Whether a viewer may see a team at all is the policy's question, asked by the
views and exporters before they call these.
"""

import math
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Max, Q, Subquery
from django.db.models.functions import Least
from django.utils import timezone

from actions.models import Action
from assessment import dora, scoring, versions
from assessment.kinds import KINDS, NO_SCORE, kinds_where
from assessment.maturity import LEVELS, level_counts, level_name
from assessment.models import Category
from reports import stored
from reports.models import TeamCategoryScore, TeamQuestionScore, TeamRoundSummary
from surveys import privacy
from surveys import selectors as survey_selectors
from surveys.models import SurveyRound, Team

SPREAD_COLUMNS = ("mean", "sd", "minimum", "maximum", "median", "q1", "q3", "agreement")
# Shown only from 2k respondents up (privacy.shows_distribution).
DISTRIBUTION_COLUMNS = ("sd", "minimum", "maximum", "median", "q1", "q3")
KEY_METRICS = dora.KEY_METRICS


def _shown(row: Mapping[str, Any], n: int, survey_round: SurveyRound) -> dict[str, Any]:
    """The spread columns of a row a viewer may see: all, mean and agreement, or none."""
    if privacy.is_withheld(n, survey_round):
        return dict.fromkeys(SPREAD_COLUMNS)
    values = {name: row[name] for name in SPREAD_COLUMNS}
    if not privacy.shows_distribution(n, survey_round):
        values.update(dict.fromkeys(DISTRIBUTION_COLUMNS))
    return values


def _spread(row: Mapping[str, Any] | None, n: str) -> scoring.Spread | None:
    if row is None or row["mean"] is None:
        return None
    return scoring.Spread(n=row[n], **{name: row[name] for name in SPREAD_COLUMNS})


def _change(
    current: Mapping[str, Any] | None,
    previous: Mapping[str, Any] | None,
    *,
    n: str,
    k: int,
    visible: bool,
) -> tuple[float | None, bool]:
    """(delta, meaningful) between two rows that may be shown.

    The arrow rule (scoring.is_meaningful_change) asks for k respondents in both
    rounds even for the team's own members: below that a change is noise.
    """
    if not visible or current is None or previous is None:
        return None, False
    difference = scoring.delta(current["mean"], previous["mean"])
    meaningful = scoring.is_meaningful_change(
        delta=difference, current=_spread(current, n), previous=_spread(previous, n), k=k
    )
    return difference, meaningful


def _frame(
    rows: list[dict[str, Any]], columns: Iterable[str], floats: Iterable[str]
) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    for column in floats:
        frame[column] = frame[column].astype("float64")
    return frame


# --- one team ----------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRoundScores:
    """A team's numbers over some rounds, oldest first.

    ``rounds``: one row per round the team has numbers for: respondents,
    overall maturity and level, overall_delta against the previous row, and
    the DORA medians, 0-10 scores, throughput, stability and cluster.

    ``categories``: one row per round and practice category, with the spread,
    level, and the delta (and whether it deserves an arrow) against the same
    category key in the team's previous round of the list.
    """

    rounds: pd.DataFrame
    categories: pd.DataFrame


_DORA_VALUE_COLUMNS = tuple(
    column for metric in dora.METRICS for column in (metric, f"{metric}_score")
)


def _visible_summary(
    summary: TeamRoundSummary, categories: list[dict], survey_round: SurveyRound
) -> dict[str, Any]:
    """The summary's values anyone may see.

    Overall maturity is recomputed from the categories that may be shown, and
    throughput, stability and cluster from the metrics that may be shown:
    otherwise a hidden category or metric could be worked back out of the total.
    A team under k shows nothing at all, whatever its categories say.
    """
    team_hidden = privacy.is_withheld(summary.respondents, survey_round)
    row: dict[str, Any] = {"withheld": team_hidden}
    visible_categories = {
        c["category_key"]: c["mean"]
        for c in categories
        if not team_hidden
        and not privacy.is_withheld(c["respondents"], survey_round)
        and c["mean"] is not None
    }
    row["overall"] = scoring.overall_maturity(
        visible_categories, {c["category_key"]: c["weight"] for c in categories}
    )
    row["overall_partial"] = not team_hidden and len(visible_categories) < sum(
        c["mean"] is not None for c in categories
    )
    row["level"] = level_name(row["overall"])

    shown: dict[str, bool] = {}
    for metric in dora.METRICS:
        n = getattr(summary, f"{metric}_respondents")
        hidden = team_hidden or privacy.is_withheld(n, survey_round)
        shown[metric] = not hidden and getattr(summary, metric) is not None
        row[metric] = None if hidden else getattr(summary, metric)
        row[f"{metric}_score"] = None if hidden else getattr(summary, f"{metric}_score")
        # How many answered a metric depends on answers: hidden with the team.
        row[f"{metric}_respondents"] = None if team_hidden else n
        row[f"{metric}_withheld"] = hidden
    row["throughput"] = _mean_shown(row, shown, dora.THROUGHPUT_METRICS)
    row["stability"] = _mean_shown(row, shown, dora.INSTABILITY_METRICS)
    complete = all(shown[metric] for metric in KEY_METRICS)
    row["cluster"] = (summary.cluster or None) if complete else None
    return row


def _mean_shown(row: dict, shown: dict[str, bool], metrics: Iterable[str]) -> float | None:
    scores = [row[f"{metric}_score"] for metric in metrics if shown[metric]]
    return sum(scores) / len(scores) if scores else None


def team_round_scores(team: Team, rounds: Iterable[SurveyRound]) -> TeamRoundScores:
    """The team's summaries and category scores in the released ones of these rounds.

    Two queries. Rounds still open are left out: their results do not exist yet.
    """
    rounds = sorted(privacy.released(rounds), key=lambda r: r.opens_at)
    by_id = {r.pk: r for r in rounds}
    summaries = {
        s.round_id: s for s in TeamRoundSummary.objects.filter(team=team, round__in=rounds)
    }
    category_rows: dict[int, list[dict]] = {pk: [] for pk in by_id}
    for row in (
        TeamCategoryScore.objects.filter(team=team, round__in=rounds)
        .order_by("order")
        .values(
            "round_id",
            "category_key",
            "category_name",
            "weight",
            "respondents",
            "level",
            *SPREAD_COLUMNS,
        )
    ):
        category_rows[row["round_id"]].append(row)

    round_records: list[dict[str, Any]] = []
    category_records: list[dict[str, Any]] = []
    previous_overall: float | None = None
    previous_category: dict[str, tuple[dict, SurveyRound]] = {}
    for survey_round in rounds:
        summary = summaries.get(survey_round.pk)
        if summary is None:
            continue  # the team did not take part
        k = privacy.min_group_size(survey_round)
        visible = _visible_summary(summary, category_rows[survey_round.pk], survey_round)
        round_records.append(
            {
                "round": survey_round.slug,
                "round_name": survey_round.name,
                "opens_at": survey_round.opens_at,
                "k": k,
                "respondents": summary.respondents,
                **visible,
                # A partial overall (some categories hidden) is not like for like.
                "overall_delta": None
                if visible["overall_partial"]
                else scoring.delta(visible["overall"], previous_overall),
                "dora_year": summary.dora_year,
            }
        )
        if visible["overall"] is not None:
            previous_overall = None if visible["overall_partial"] else visible["overall"]

        for row in category_rows[survey_round.pk]:
            hidden = visible["withheld"] or privacy.is_withheld(row["respondents"], survey_round)
            before = previous_category.get(row["category_key"])
            delta, meaningful = None, False
            if before is not None and not hidden and row["mean"] is not None:
                before_row, before_round = before
                delta, meaningful = _change(
                    row,
                    before_row,
                    n="respondents",
                    k=max(k, privacy.min_group_size(before_round)),
                    visible=True,
                )
            category_records.append(
                {
                    "round": survey_round.slug,
                    "category_key": row["category_key"],
                    "category_name": row["category_name"],
                    # A withheld team's per-category n depends on its answers.
                    "respondents": None if visible["withheld"] else row["respondents"],
                    "withheld": hidden,
                    **(
                        dict.fromkeys(SPREAD_COLUMNS)
                        if hidden
                        else _shown(row, row["respondents"], survey_round)
                    ),
                    "level": "" if hidden else row["level"],
                    "delta": delta,
                    "meaningful": meaningful,
                }
            )
            if not hidden and row["mean"] is not None:
                previous_category[row["category_key"]] = (row, survey_round)

    round_columns = [
        "round",
        "round_name",
        "opens_at",
        "k",
        "respondents",
        "withheld",
        "overall",
        "overall_partial",
        "level",
        "overall_delta",
        "dora_year",
        *(
            column
            for metric in dora.METRICS
            for column in (metric, f"{metric}_score", f"{metric}_respondents", f"{metric}_withheld")
        ),
        "throughput",
        "stability",
        "cluster",
    ]
    category_columns = [
        "round",
        "category_key",
        "category_name",
        "respondents",
        "withheld",
        *SPREAD_COLUMNS,
        "level",
        "delta",
        "meaningful",
    ]
    return TeamRoundScores(
        rounds=_frame(
            round_records,
            round_columns,
            ["overall", "overall_delta", "throughput", "stability", *_DORA_VALUE_COLUMNS],
        ),
        categories=_frame(category_records, category_columns, [*SPREAD_COLUMNS, "delta"]),
    )


def previous_round_for(team: Team, survey_round: SurveyRound) -> SurveyRound | None:
    """The latest earlier released round in which the team has numbers."""
    summary = (
        TeamRoundSummary.objects.filter(
            team=team,
            round__opens_at__lt=survey_round.opens_at,
            round__closes_at__lte=timezone.now(),
        )
        .select_related("round")
        .order_by("-round__opens_at")
        .first()
    )
    return summary.round if summary else None


QUESTION_COLUMNS = (
    "question_key",
    "category_key",
    "answered",
    "abstained",
    "dont_know_rate",
    *SPREAD_COLUMNS,
    "discuss",
    "withheld",
    "previous_round",
    "previous_mean",
    "delta",
    "meaningful",
    # Across questionnaire versions: the earlier key this question's change is
    # measured against when it replaced another, whether its wording changed
    # since the round compared with, and whether it is new in this version.
    "continues_key",
    "continues_text",
    "wording_changed",
    "new_question",
)


@dataclass(frozen=True)
class Lineage:
    """How a round's questions relate to those of the round it is compared with."""

    # Key -> the keys to look for in the earlier round, nearest first (itself,
    # then what it replaced, and so on back through the versions).
    ancestors: dict[str, tuple[str, ...]]
    # Keys whose wording differs from the earlier round's question of that key.
    reworded: frozenset[str]
    # Keys the earlier round had no question for, under any ancestor key.
    new: frozenset[str]
    # The earlier round's question texts by key.
    earlier_texts: dict[str, str]


def questionnaire_changes(survey_round: SurveyRound, earlier: SurveyRound | None) -> list:
    """What changed in the questionnaire since the earlier round (``versions.QuestionChange``).

    Empty when there is no earlier round or both used the same version (no query).
    """
    if earlier is None or earlier.questionnaire_id == survey_round.questionnaire_id:
        return []
    return versions.questionnaire_diff(earlier.questionnaire, survey_round.questionnaire)


def question_lineage(survey_round: SurveyRound, earlier: SurveyRound | None) -> Lineage | None:
    """None when both rounds used one questionnaire version (no query); else one query.

    Keys are stable across versions, so a question is compared with the question
    of the same key; one that ``replaces`` another (a split, or a new key for a
    changed question) is compared with its predecessor instead.
    """
    if earlier is None or earlier.questionnaire_id == survey_round.questionnaire_id:
        return None
    from assessment.models import Question, Questionnaire

    this_version = Questionnaire.objects.filter(pk=survey_round.questionnaire_id)
    rows = list(
        Question.objects.filter(
            questionnaire__slug=Subquery(this_version.values("slug")[:1]),
            questionnaire__version__lte=Subquery(this_version.values("version")[:1]),
        )
        .order_by("questionnaire__version")
        .values_list("questionnaire_id", "key", "replaces", "text")
    )
    replaces: dict[str, str] = {}
    for _, key, replaced, _ in rows:
        if replaced:
            replaces[key] = replaced
    current = {key: text for qid, key, _, text in rows if qid == survey_round.questionnaire_id}
    before = {key: text for qid, key, _, text in rows if qid == earlier.questionnaire_id}
    ancestors: dict[str, tuple[str, ...]] = {}
    for key in current:
        chain = [key]
        while replaces.get(chain[-1]) and replaces[chain[-1]] not in chain:
            chain.append(replaces[chain[-1]])
        ancestors[key] = tuple(chain)
    return Lineage(
        ancestors=ancestors,
        reworded=frozenset(k for k in current if k in before and before[k] != current[k]),
        new=frozenset(k for k, chain in ancestors.items() if not any(a in before for a in chain)),
        earlier_texts=before,
    )


def question_scores(
    team: Team, survey_round: SurveyRound, *, previous: SurveyRound | bool | None = True
) -> pd.DataFrame:
    """The team's scale questions in this round, with deltas against its previous round.

    The previous round is the team's latest earlier released round with
    numbers; a question is compared only where the same question key was asked
    then (keys are stable across questionnaire versions). Two or three queries;
    an open round has no rows. Pass ``previous`` when the caller already knows
    the round compared with (``previous_round_for``), to save its query.

    Withheld from everyone: the spread and the discuss flag when fewer than k
    gave a scored answer; the don't-know rate and the counts when fewer than k
    answered at all; the distribution below 2k.
    """
    if not privacy.is_released(survey_round):
        return _frame([], QUESTION_COLUMNS, ["dont_know_rate", *SPREAD_COLUMNS, "delta"])
    if previous is True:
        previous = previous_round_for(team, survey_round)
    rounds = [survey_round, previous] if previous else [survey_round]
    fields = (
        "round_id",
        "question_key",
        "category_key",
        "answered",
        "abstained",
        "dont_know_rate",
        "discuss",
        *SPREAD_COLUMNS,
    )
    rows: dict[int, list[dict]] = {r.pk: [] for r in rounds}
    for row in (
        TeamQuestionScore.objects.filter(team=team, round__in=rounds)
        .order_by("order")
        .values(*fields)
    ):
        rows[row["round_id"]].append(row)
    k = privacy.min_group_size(survey_round)
    before: dict[str, dict] = {}
    if previous is not None:
        before = {
            row["question_key"]: row
            for row in rows[previous.pk]
            if not privacy.is_withheld(row["answered"], previous) and row["mean"] is not None
        }

    lineage = question_lineage(survey_round, previous)
    records = []
    for row in rows[survey_round.pk]:
        key = row["question_key"]
        hidden = privacy.is_withheld(row["answered"], survey_round)
        rate_hidden = privacy.is_withheld(row["answered"] + row["abstained"], survey_round)
        matched = key
        if lineage is not None:
            matched = next((a for a in lineage.ancestors.get(key, (key,)) if a in before), key)
        old = before.get(matched)
        delta, meaningful = _change(
            row,
            old,
            n="answered",
            k=max(k, privacy.min_group_size(previous)) if previous else k,
            visible=not hidden and row["mean"] is not None,
        )
        records.append(
            {
                "question_key": row["question_key"],
                "category_key": row["category_key"],
                "answered": None if rate_hidden else row["answered"],
                "abstained": None if rate_hidden else row["abstained"],
                "dont_know_rate": None if rate_hidden else row["dont_know_rate"],
                **(
                    dict.fromkeys(SPREAD_COLUMNS)
                    if hidden
                    else _shown(row, row["answered"], survey_round)
                ),
                "discuss": pd.NA if hidden else row["discuss"],
                "withheld": hidden,
                "previous_round": previous.slug if old is not None else None,
                "previous_mean": None if old is None else old["mean"],
                "delta": delta,
                "meaningful": meaningful,
                "continues_key": matched if old is not None and matched != key else None,
                "continues_text": (
                    lineage.earlier_texts.get(matched)
                    if lineage is not None and old is not None and matched != key
                    else None
                ),
                "wording_changed": lineage is not None and key in lineage.reworded,
                "new_question": lineage is not None and key in lineage.new,
            }
        )
    frame = _frame(
        records, QUESTION_COLUMNS, ["dont_know_rate", *SPREAD_COLUMNS, "previous_mean", "delta"]
    )
    frame["discuss"] = frame["discuss"].astype("boolean")
    return frame


# --- the organisation ---------------------------------------------------------------

# The ``group`` filter value that asks for the teams without a group. Group names
# are typed by people (any text but leading or trailing spaces); a tilde in front
# of "none" is not a department's name, and a team group of exactly this name
# would be reached as "No group" instead.
NO_GROUP = "~none"
NO_GROUP_LABEL = "No group"


def group_label(group: str) -> str:
    """How a group filter value reads on the page ("No group" for NO_GROUP)."""
    return NO_GROUP_LABEL if group == NO_GROUP else group


def group_value(team_group: str) -> str:
    """The filter value that selects a team's group (NO_GROUP for teams without one)."""
    return team_group or NO_GROUP


def _group_order(values: Iterable[str]) -> list[str]:
    """Group filter values alphabetically, "No group" last: never an order by score."""
    present = set(values)
    return sorted(present - {NO_GROUP}) + ([NO_GROUP] if NO_GROUP in present else [])


def _in_group(queryset, group: str, field: str = "group"):
    """Rows of the teams in ``group``: all rows without one, teams without a group for NO_GROUP."""
    if not group:
        return queryset
    return queryset.filter(**{field: "" if group == NO_GROUP else group})


@dataclass(frozen=True)
class OrgMatrix:
    """Teams x practice categories for one round.

    ``scores`` holds category means (NaN where withheld or where nobody gave a
    scored answer); ``withheld`` says which NaNs are privacy, not absence;
    ``respondents`` holds each cell's n. Index: team names; columns: category
    keys in questionnaire order, named in ``category_names``. ``groups``: each
    team's group ("" for none), by team name.
    """

    scores: pd.DataFrame
    withheld: pd.DataFrame
    respondents: pd.DataFrame
    category_names: dict[str, str]
    groups: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))


def practice_categories(survey_round: SurveyRound) -> dict[str, str]:
    """Key -> name of the round's practice categories, in questionnaire order (one query)."""
    return dict(
        Category.objects.filter(
            questionnaire_id=survey_round.questionnaire_id, kind=Category.Kind.PRACTICE
        )
        .order_by("order", "id")
        .values_list("key", "name")
    )


def round_teams(survey_round: SurveyRound, *, group: str = "") -> dict[int, tuple[str, str]]:
    """Team id -> (name, group) of the round's teams, of ``group`` if given: one query."""
    return {
        pk: (name, g)
        for pk, name, g in _in_group(survey_round.teams.order_by(), group).values_list(
            "pk", "name", "group"
        )
    }


def org_round_matrix(
    survey_round: SurveyRound,
    *,
    group: str = "",
    teams: Mapping[int, tuple[str, str]] | None = None,
) -> OrgMatrix:
    """Every team of the round (taking part or not) against every practice category.

    With ``group`` (a group's name or NO_GROUP), only the round's teams of that
    group; ``teams``: those teams when the caller has read them (``round_teams``).
    Three queries, two with ``teams`` (a further one names teams that left the
    round but kept their scores). Cells under k are withheld for every viewer;
    an open round's cells are all withheld (nothing is released before the close).
    """
    categories = practice_categories(survey_round)
    teams = dict(round_teams(survey_round, group=group) if teams is None else teams)
    rows = []
    if privacy.is_released(survey_round):
        scores = TeamCategoryScore.objects.filter(round=survey_round)
        if group:
            scores = scores.filter(team_id__in=list(teams))
        rows = list(scores.values_list("team_id", "category_key", "respondents", "mean"))
        # Scores of a team no longer taking part in the round still count (rare).
        gone = {row[0] for row in rows} - teams.keys()
        if gone:
            teams.update(
                {
                    pk: (name, g)
                    for pk, name, g in Team.objects.filter(pk__in=gone).values_list(
                        "pk", "name", "group"
                    )
                }
            )
    order = sorted(teams, key=lambda pk: teams[pk][0])  # team ids by name (names are unique)
    names = [teams[pk][0] for pk in order]
    columns = list(categories)
    k = privacy.min_group_size(survey_round)
    long = pd.DataFrame(rows, columns=["team_id", "category_key", "respondents", "mean"])
    long = long[long["category_key"].isin(columns)]
    hidden = long["respondents"].lt(k)
    long = long.assign(
        withheld=hidden, shown=long["mean"].where(~hidden & long["mean"].notna()).astype("float64")
    )

    # Each (team, category) row's place in the teams x categories grid; a cell
    # without a row keeps the fill value.
    at = (
        pd.Index(order).get_indexer(long["team_id"]),
        pd.Index(columns).get_indexer(long["category_key"]),
    )

    def wide(values: str, fill, dtype) -> pd.DataFrame:
        grid = np.full((len(names), len(columns)), fill, dtype=dtype)
        grid[at] = long[values].to_numpy(dtype=dtype, na_value=fill)
        return pd.DataFrame(grid, index=pd.Index(names), columns=pd.Index(columns))

    scores = wide("shown", float("nan"), "float64")
    respondents = wide("respondents", 0, "int64")
    # A team without rows has no respondents: withheld.
    withheld = wide("withheld", True, bool)
    for frame in (scores, withheld, respondents):
        frame.index.name = "team"
        frame.columns.name = None
    return OrgMatrix(
        scores=scores,
        withheld=withheld,
        respondents=respondents,
        category_names=categories,
        groups=pd.Series([teams[pk][1] for pk in order], index=names, dtype=object),
    )


@dataclass(frozen=True)
class GroupMatrix:
    """Team groups x practice categories for one round, from its OrgMatrix (no query).

    Index: group filter values (``group_value``: a group's name, NO_GROUP for
    teams without one), alphabetical with "No group" last, never by score.
    ``scores``: per category the median of the group's team scores that the
    privacy policy releases (NaN where none is); a withheld team never enters a
    group figure, so nothing can be recovered by subtraction. ``counted``: how
    many teams that median is of (n); ``teams``: the group's teams in the round
    (m). Where n = 0, ``withheld`` says a team of the group has answers that are
    withheld and ``no_responses`` that no team has any; neither is "no score".
    No sum of respondents is kept: with the shown teams' counts it would give
    back a withheld team's.
    """

    scores: pd.DataFrame
    counted: pd.DataFrame
    teams: pd.Series
    withheld: pd.DataFrame
    no_responses: pd.DataFrame
    category_names: dict[str, str]


def group_matrix(matrix: OrgMatrix) -> GroupMatrix:
    """One row per team group of an OrgMatrix (no query); see GroupMatrix."""
    columns = list(matrix.scores.columns)
    values = matrix.groups.reindex(matrix.scores.index).fillna("").map(group_value)
    order = _group_order(values)

    def per_group(frame: pd.DataFrame, how: str) -> pd.DataFrame:
        result = getattr(frame.groupby(values, sort=False), how)()
        return result.reindex(index=order, columns=columns)

    # Withheld cells are NaN in scores already; masked again so one never counts.
    released = matrix.scores.where(~matrix.withheld)
    scores = per_group(released, "median").astype("float64")
    counted = per_group(released, "count").astype("int64")
    answered = matrix.respondents.gt(0)
    withheld = per_group(matrix.withheld & answered, "any").astype(bool) & counted.eq(0)
    no_responses = ~per_group(answered, "any").astype(bool)
    teams = values.value_counts().reindex(order).astype("int64").rename("teams")
    for frame in (scores, counted, withheld, no_responses):
        frame.index.name = "group"
        frame.columns.name = None
    teams.index.name = "group"
    return GroupMatrix(
        scores=scores,
        counted=counted,
        teams=teams,
        withheld=withheld,
        no_responses=no_responses,
        category_names=matrix.category_names,
    )


def _nullable(values) -> list:
    return [None if isinstance(v, float) and math.isnan(v) else v for v in values]


def org_group_figures(survey_round: SurveyRound) -> tuple[GroupMatrix, pd.DataFrame]:
    """group_matrix and level_distribution of every team of a released round.

    What the organisation page of many teams shows of the round, computed from
    org_round_matrix by those two functions once and kept (``reports.stored``):
    one query when kept, instead of a thousand teams' category scores.
    """

    def compute(rounds: list[SurveyRound]) -> dict[int, dict]:
        figures = {}
        for r in rounds:
            matrix = org_round_matrix(r)
            groups = group_matrix(matrix)
            figures[r.pk] = {
                "index": list(groups.scores.index),
                "columns": list(groups.scores.columns),
                "scores": [_nullable(row) for row in groups.scores.to_numpy().tolist()],
                "counted": groups.counted.to_numpy().tolist(),
                "withheld": groups.withheld.to_numpy().tolist(),
                "no_responses": groups.no_responses.to_numpy().tolist(),
                "teams": groups.teams.to_numpy().tolist(),
                "category_names": groups.category_names,
                "levels": level_distribution(matrix).to_numpy().tolist(),
            }
        return figures

    kept = stored.per_round("group-figures", [survey_round], compute).get(survey_round.pk)
    if kept is None:  # not released: nothing kept, nothing but withheld cells to show
        kept = compute([survey_round])[survey_round.pk]
    index = pd.Index(kept["index"], dtype=object, name="group")
    columns = pd.Index(kept["columns"], dtype=object)

    def frame(values, dtype) -> pd.DataFrame:
        return pd.DataFrame(
            np.array(values, dtype=dtype).reshape(len(index), len(columns)),
            index=index,
            columns=columns,
        )

    groups = GroupMatrix(
        scores=frame(
            [[np.nan if v is None else v for v in row] for row in kept["scores"]], "float64"
        ),
        counted=frame(kept["counted"], "int64"),
        teams=pd.Series(kept["teams"], index=index, dtype="int64", name="teams"),
        withheld=frame(kept["withheld"], bool),
        no_responses=frame(kept["no_responses"], bool),
        category_names=kept["category_names"],
    )
    levels = pd.DataFrame(
        kept["levels"], columns=["category_key", "category_name", "level", "teams"]
    ).astype({"teams": "int64"})
    return groups, levels


def org_category_summaries(
    survey_round: SurveyRound,
) -> dict[str, scoring.OrgCategorySummary | None]:
    """Per practice category: median, IQR and level counts over the teams not withheld."""
    categories = practice_categories(survey_round)
    means: dict[str, list[float]] = {key: [] for key in categories}
    if not privacy.is_released(survey_round):
        return dict.fromkeys(categories)
    rows = TeamCategoryScore.objects.filter(round=survey_round, mean__isnull=False).values_list(
        "category_key", "respondents", "mean"
    )
    for key, n, mean in rows:
        if key in means and not privacy.is_withheld(n, survey_round):
            means[key].append(mean)
    return {key: scoring.org_category_summary(values) for key, values in means.items()}


def systemic_questions(survey_round: SurveyRound, **thresholds: Any) -> list[str]:
    """Question keys weak across most teams (scoring.systemic_questions), withheld teams left out.

    ``thresholds`` pass through to scoring.systemic_questions (low_below, share,
    min_teams). The database counts, per question, the teams below the line and
    the teams with a score; only those counts reach Python. With the default
    thresholds a released round's keys are computed once and kept (``reports.stored``).
    """
    if not privacy.is_released(survey_round):
        return []
    if thresholds:
        return _systemic_questions(survey_round, **thresholds)
    kept = stored.per_round(
        "systemic-questions",
        [survey_round],
        lambda todo: {r.pk: _systemic_questions(r) for r in todo},
    )
    return kept[survey_round.pk]


def _systemic_questions(survey_round: SurveyRound, **thresholds: Any) -> list[str]:
    low_below = thresholds.pop("low_below", 2.0)
    counts = (
        TeamQuestionScore.objects.filter(
            round=survey_round,
            mean__isnull=False,
            answered__gte=privacy.min_group_size(survey_round),
        )
        .values("question_key")
        .order_by()
        .annotate(teams=Count("pk"), low=Count("pk", filter=Q(mean__lt=low_below)))
        .values_list("question_key", "teams", "low")
    )
    return sorted(
        key for key, teams, low in counts if scoring.is_systemic(low=low, teams=teams, **thresholds)
    )


# --- dashboards ---------------------------------------------------------------------


class Quartiles(Aggregate):
    """PostgreSQL's percentile_cont of the first quartile, median and third quartile
    in one ordered-set aggregate: one sort per group instead of three."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: str, **extra):
        from django.contrib.postgres.fields import ArrayField

        super().__init__(expression, output_field=ArrayField(FloatField()), **extra)


def rounds_for_team(team: Team, *, now=None) -> list[SurveyRound]:
    """Rounds the team takes part in that have opened, oldest first (one query)."""
    from django.utils import timezone

    return list(
        team.rounds.filter(opens_at__lte=now or timezone.now())
        .select_related("questionnaire")
        .order_by("opens_at")
    )


def started_rounds(*, now=None) -> list[SurveyRound]:
    """Every round that has opened, oldest first (one query)."""
    from django.utils import timezone

    return list(
        SurveyRound.objects.filter(opens_at__lte=now or timezone.now())
        .select_related("questionnaire")
        .order_by("opens_at")
    )


def group_choices() -> list[tuple[str, str]]:
    """(filter value, label) of every team group, alphabetically (one query).

    "No group" comes last, for the teams without one, when other teams have a group.
    """
    groups = set(Team.objects.order_by().values_list("group", flat=True).distinct())
    # Sorted here, as the group rows are: the database's collation may differ.
    choices = [(group, group) for group in sorted(groups) if group]
    if choices and "" in groups:
        choices.append((NO_GROUP, NO_GROUP_LABEL))
    return choices


def org_category_stats(rounds: list[SurveyRound], *, group: str = "") -> pd.DataFrame:
    """Median and interquartile range across teams, per round and practice category.

    Teams under the round's k are left out, as in org_category_summaries. Each
    released round's figures are computed once over its materialised category
    scores and kept (``reports.stored``): one query when all are kept.
    """
    columns = [
        "round",
        "round_name",
        "category_key",
        "category_name",
        "teams",
        "median",
        "q1",
        "q3",
    ]
    rounds = privacy.released(rounds)
    per_round = stored.per_round(
        "category-stats", rounds, lambda todo: _category_stats(todo, group), group=group
    )
    records = [
        (r.slug, r.name, *row)
        for r in sorted(rounds, key=lambda r: r.opens_at)
        for row in per_round.get(r.pk, [])
    ]
    if not records:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(records, columns=columns).astype(
        {"teams": "int64", "median": "float64", "q1": "float64", "q3": "float64"}
    )


def _category_stats(rounds: list[SurveyRound], group: str) -> dict[int, list[list]]:
    """Round id -> [category key, name, teams, median, q1, q3] per practice category,
    in key order, over the teams with at least the round's k respondents (one query)."""
    rows = TeamCategoryScore.objects.filter(
        round__in=rounds,
        mean__isnull=False,
        respondents__gte=privacy.min_group_size_sql(),
    )
    rows = _in_group(rows, group, "team__group")
    keys = ("round_id", "category_key", "category_name")
    if connection.vendor == "postgresql":
        # PostgreSQL computes the quartiles itself (percentile_cont interpolates
        # linearly, as pandas does): only the aggregates leave the database. The
        # sort is by round and key only; a category's name is the same in a round.
        found = [
            (round_id, key, name, teams, median, q1, q3)
            for round_id, key, name, teams, (q1, median, q3) in rows.values(
                "round_id", "category_key"
            )
            .order_by()
            .annotate(name=Max("category_name"), teams=Count("pk"), quartiles=Quartiles("mean"))
            .values_list("round_id", "category_key", "name", "teams", "quartiles")
        ]
    else:
        frame = pd.DataFrame(rows.values_list(*keys, "mean"), columns=[*keys, "mean"])
        if frame.empty:  # no team has k respondents
            return {}
        grouped = frame.astype({"mean": "float64"}).groupby(list(keys), sort=False)["mean"]
        stats = pd.DataFrame(
            {
                "teams": grouped.count(),
                "median": grouped.median(),
                "q1": grouped.quantile(0.25),
                "q3": grouped.quantile(0.75),
            }
        ).reset_index()
        found = list(
            stats[[*keys, "teams", "median", "q1", "q3"]].itertuples(index=False, name=None)
        )
    result: dict[int, list[list]] = {}
    for round_id, key, name, teams, median, q1, q3 in sorted(found, key=lambda row: row[:2]):
        result.setdefault(int(round_id), []).append(
            [str(key), str(name), int(teams), float(median), float(q1), float(q3)]
        )
    return result


def team_participation(team: Team, rounds: list[SurveyRound]) -> pd.DataFrame:
    """Submitted responses against the team's members at each round's close.

    From ``surveys.selectors.participation``, the one read of participation.
    """
    counts = survey_selectors.participation(rounds, [team.pk])
    records = []
    for survey_round in rounds:
        p = counts.get((survey_round.pk, team.pk), survey_selectors.Participation())
        records.append(
            {
                "round": survey_round.slug,
                "round_name": survey_round.name,
                "submitted": p.submitted,
                "invited": p.invited,
                "rate": p.response_rate,
            }
        )
    return _frame(records, ["round", "round_name", "submitted", "invited", "rate"], ["rate"])


def round_participation(survey_round: SurveyRound, *, group: str = "") -> pd.DataFrame:
    """Per team of the round: members, drafts and submitted responses.

    Counts only, shown while the round is open too. From
    ``surveys.selectors.participation``, the one read of participation.
    """
    teams = _in_group(survey_round.teams.order_by("name"), group).values_list(
        "pk", "name", "slug", "group"
    )
    counts = survey_selectors.participation(
        [survey_round], _in_group(survey_round.teams.all(), group).values("pk") if group else None
    )
    nobody = survey_selectors.Participation()
    records = []
    for pk, name, slug, team_group in teams:
        p = counts.get((survey_round.pk, pk), nobody)
        records.append(
            {
                "team": name,
                "team_slug": slug,
                "group": team_group,
                "invited": p.invited,
                "drafts": p.drafts,
                "submitted": p.submitted,
                "rate": p.response_rate,
            }
        )
    return _frame(
        records,
        ["team", "team_slug", "group", "invited", "drafts", "submitted", "rate"],
        ["rate"],
    )


GROUP_PARTICIPATION_COLUMNS = [
    "group",
    "group_name",
    "teams",
    "invited",
    "drafts",
    "submitted",
    "rate",
]


def _group_participation_frame(sums: Mapping[str, tuple[int, int, int, int]]) -> pd.DataFrame:
    """Filter value -> (teams, invited, drafts, submitted) as the per-group frame."""
    records = [
        {
            "group": value,
            "group_name": group_label(value),
            "teams": teams,
            "invited": invited,
            "drafts": drafts,
            "submitted": submitted,
            "rate": submitted / invited if invited else None,
        }
        for value in _group_order(sums)
        for teams, invited, drafts, submitted in [sums[value]]
    ]
    return _frame(records, GROUP_PARTICIPATION_COLUMNS, ["rate"])


def group_participation(participation: pd.DataFrame) -> pd.DataFrame:
    """round_participation summed per team group (no query), ordered as GroupMatrix.

    Columns: group (the filter value), group_name, teams, invited, drafts,
    submitted, rate (submitted / invited, NaN without members).
    """
    sums: dict[str, list[int]] = {}
    for team_group, invited, drafts, submitted in zip(
        participation["group"].fillna(""),
        participation["invited"],
        participation["drafts"],
        participation["submitted"],
        strict=True,
    ):
        row = sums.setdefault(group_value(team_group), [0, 0, 0, 0])
        row[0] += 1
        row[1] += int(invited)
        row[2] += int(drafts)
        row[3] += int(submitted)
    return _group_participation_frame({value: tuple(row) for value, row in sums.items()})


def round_group_participation(survey_round: SurveyRound) -> pd.DataFrame:
    """group_participation of the whole round, summed by the database (three
    queries): for the organisation page of many teams, which shows groups only."""
    return _group_participation_frame(
        {
            group_value(team_group): (teams, p.invited, p.drafts, p.submitted)
            for team_group, (teams, p) in survey_selectors.participation_by_group(
                survey_round
            ).items()
        }
    )


def cluster_counts(rounds: list[SurveyRound], *, group: str = "") -> pd.DataFrame:
    """Teams per DORA cluster and released round, counting only teams whose four
    key metrics each have at least k answers. Each round's counts are computed
    once and kept (``reports.stored``): one query when all are kept."""
    rounds = sorted(privacy.released(rounds), key=lambda r: r.opens_at)
    per_round = stored.per_round(
        "dora-clusters", rounds, lambda todo: _cluster_counts(todo, group), group=group
    )
    records = [
        {"round": r.slug, "round_name": r.name, "cluster": cluster, "dora_year": year, "teams": n}
        for r in rounds
        for cluster, year, n in per_round.get(r.pk, [])
    ]
    return pd.DataFrame(records, columns=["round", "round_name", "cluster", "dora_year", "teams"])


def _cluster_counts(rounds: list[SurveyRound], group: str) -> dict[int, list[list]]:
    """Round id -> [cluster, DORA year, teams], by cluster name (one query)."""
    rows = (
        TeamRoundSummary.objects.filter(round__in=rounds)
        .exclude(cluster="")
        .alias(least=Least(*(F(f"{m}_respondents") for m in KEY_METRICS)))
        .filter(least__gte=privacy.min_group_size_sql())
    )
    rows = _in_group(rows, group, "team__group")
    result: dict[int, list[list]] = {}
    for round_id, cluster, year, n in sorted(
        rows.order_by().values_list("round_id", "cluster", "dora_year").annotate(n=Count("pk"))
    ):
        result.setdefault(round_id, []).append([cluster, year, n])
    return result


def level_distribution(matrix: OrgMatrix) -> pd.DataFrame:
    """Teams per maturity level per category, from a round's org matrix (no query).

    Only released cells count: a withheld cell is NaN in ``matrix.scores``.
    """
    records = []
    for key in matrix.scores.columns:
        counts = level_counts(matrix.scores[key].dropna().tolist())
        for level in LEVELS:
            records.append(
                {
                    "category_key": key,
                    "category_name": matrix.category_names[key],
                    "level": level.name,
                    "teams": counts[level.name],
                }
            )
    return pd.DataFrame(records, columns=["category_key", "category_name", "level", "teams"])


@dataclass(frozen=True)
class QuestionInfo:
    """One question of a round's questionnaire, as reports need it."""

    pk: int
    key: str
    text: str
    kind: str
    metric: str
    category_key: str
    category_name: str
    position: int
    # Level (0-4) -> descriptor, for kinds whose choices are the levels.
    descriptors: dict[int, str] = field(default_factory=dict)
    # Scored choices that are not levels: a checklist's practices.
    practices: int = 0


@dataclass(frozen=True)
class QuestionnaireInfo:
    questions: list[QuestionInfo]
    # Choice pk -> (label, score) for every choice of the questions.
    choices: dict[int, tuple[str, int | None]]


def questionnaire_info(survey_round: SurveyRound) -> QuestionnaireInfo:
    """The round's questions in questionnaire order with their choices (two queries).

    The one read of question information for exports; ``question_texts`` is
    its one-query form for the dashboards, which need no choices.
    """
    from assessment.models import Question

    questions = list(
        Question.objects.filter(questionnaire_id=survey_round.questionnaire_id)
        .select_related("category")
        .prefetch_related("choices")
        .order_by("category__order", "category_id", "order", "id")
    )
    return QuestionnaireInfo(
        questions=[
            QuestionInfo(
                pk=question.pk,
                key=question.key,
                text=question.text,
                kind=question.kind,
                metric=question.metric,
                category_key=question.category.key,
                category_name=question.category.name,
                position=position,
                descriptors={
                    choice.score: choice.description
                    for choice in question.choices.all()
                    if KINDS[question.kind].levels and choice.score is not None
                },
                practices=sum(
                    1
                    for choice in question.choices.all()
                    if KINDS[question.kind].multiple and not choice.is_abstain
                ),
            )
            for position, question in enumerate(questions)
        ],
        choices={
            choice.pk: (choice.label, choice.score)
            for question in questions
            for choice in question.choices.all()
        },
    )


def question_texts(survey_round: SurveyRound) -> dict[str, dict[str, str]]:
    """Key -> question text, category name and kind for a round's questions (one query)."""
    from assessment.models import Question

    rows = (
        Question.objects.filter(questionnaire_id=survey_round.questionnaire_id)
        .order_by("category__order", "category_id", "order", "id")
        .values_list("key", "text", "category__name", "kind")
    )
    return {
        key: {"text": text, "category": category, "kind": kind}
        for key, text, category, kind in rows
    }


def reflections(
    team: Team, survey_round: SurveyRound, *, submitted: int | None = None
) -> list[tuple[str, str, list[str]]]:
    """The team's free-text answers in submitted responses: (key, prompt, texts) per prompt.

    The one read of reflections (dashboard and retro pack). Empty unless the
    round is released and at least k submitted (whether this viewer may read
    them at all is ``privacy.Viewer.sees_reflections``). Anonymous: no names, no
    times, and shuffled afresh within each prompt, so neither the order nor its
    position under another prompt says who wrote what. One query, and one more
    to count the submitted responses unless the caller knows it (``submitted``).
    """
    from surveys.models import Answer, Response

    if submitted is None:
        submitted = Response.objects.submitted().filter(team=team, round=survey_round).count()
    if not privacy.is_released(survey_round) or privacy.is_withheld(submitted, survey_round):
        return []
    grouped: dict[tuple[str, str], list[str]] = {}
    for key, prompt, text in (
        Answer.objects.filter(
            response__team=team,
            response__round=survey_round,
            response__status="submitted",
            question__kind__in=kinds_where(lambda kind: kind.scoring == NO_SCORE),
        )
        .exclude(text="")
        .order_by("question__category__order", "question__order", "question__id")
        .values_list("question__key", "question__text", "text")
    ):
        grouped.setdefault((key, prompt), []).append(text)
    shuffle = secrets.SystemRandom().shuffle
    for texts in grouped.values():
        shuffle(texts)
    return [(key, prompt, texts) for (key, prompt), texts in grouped.items()]


# --- improvement actions: did they work? ----------------------------------------------


@dataclass(frozen=True)
class TargetChange:
    """One targeted question (or the whole category) between two rounds, as shown.

    ``before``/``after``/``delta`` are None when either round is withheld (n < k)
    or has no score; ``meaningful`` follows the dashboard's noise rule
    (``scoring.is_meaningful_change``).
    """

    key: str
    is_category: bool
    before: float | None
    after: float | None
    delta: float | None
    meaningful: bool
    withheld: bool


IMPROVED, DECLINED, MIXED, WITHIN_NOISE = "improved", "declined", "mixed", "within the noise"
WITHHELD, NOT_MEASURED, NOT_SHOWN = "withheld", "not measured yet", "not shown"


@dataclass(frozen=True)
class ActionOutcome:
    """Whether an action's targets moved between the round it was raised in and ``measured_in``."""

    action_id: int
    raised_in: SurveyRound
    measured_in: SurveyRound | None
    changes: list[TargetChange]
    verdict: str

    @property
    def worked(self) -> bool:
        return self.verdict == IMPROVED


def outcome_verdict(changes: Iterable[TargetChange]) -> str:
    """improved / declined / mixed / within the noise / withheld, from the shown changes.

    Only a change beyond the noise counts as a move; a target withheld in either
    round says nothing either way.
    """
    changes = list(changes)
    shown = [c for c in changes if c.delta is not None]
    if not shown:
        return WITHHELD if any(c.withheld for c in changes) else NOT_MEASURED
    up = any(c.meaningful and c.delta > 0 for c in shown)
    down = any(c.meaningful and c.delta < 0 for c in shown)
    if up and down:
        return MIXED
    return IMPROVED if up else DECLINED if down else WITHIN_NOISE


def _target_change(
    key: str, is_category: bool, before: dict | None, after: dict | None, n: str, rounds
) -> TargetChange:
    raised_in, measured_in = rounds
    hidden = any(
        row is not None and privacy.is_withheld(row[n], r)
        for row, r in ((before, raised_in), (after, measured_in))
    )
    usable = (
        not hidden
        and before is not None
        and after is not None
        and before["mean"] is not None
        and after["mean"] is not None
    )
    delta, meaningful = _change(
        after,
        before,
        n=n,
        k=max(privacy.min_group_size(raised_in), privacy.min_group_size(measured_in)),
        visible=usable,
    )
    return TargetChange(
        key=key,
        is_category=is_category,
        before=before["mean"] if usable else None,
        after=after["mean"] if usable else None,
        delta=delta,
        meaningful=meaningful,
        withheld=hidden,
    )


def action_outcomes(
    actions: Iterable, measured_in: dict[int, SurveyRound | None], viewer: privacy.Viewer
) -> dict[int, ActionOutcome]:
    """Per action: the change of its targets from the round it was raised in to ``measured_in``.

    ``actions`` are ``actions.models.Action`` rows with ``raised_in`` loaded;
    ``measured_in`` maps an action id to the later round to compare with (None:
    nothing to compare yet). The targets are the action's questions, or its
    whole category when it names none. The privacy rules of results apply: both
    rounds released and shown to this viewer (``Viewer.sees_results``: the viewer
    must know the rounds' members at close), each figure subject to k in its
    round, arrows only beyond the noise. Across questionnaire versions a targeted
    question is followed to the question(s) that replaced it (``question_lineage``).
    Two queries, however many actions, and one more per pair of questionnaire
    versions compared.
    """
    actions = list(actions)
    pairs = {
        a.pk: (a.raised_in, measured_in.get(a.pk))
        for a in actions
        if measured_in.get(a.pk) is not None
    }
    team_ids = {a.team_id for a in actions if a.pk in pairs}
    round_ids = {r.pk for pair in pairs.values() for r in pair}
    lineages: dict[tuple[int, int], Lineage | None] = {}
    for raised_in, later in pairs.values():
        versions_compared = (later.questionnaire_id, raised_in.questionnaire_id)
        if versions_compared not in lineages:
            lineages[versions_compared] = question_lineage(later, raised_in)

    def followed(key: str, raised_in: SurveyRound, later: SurveyRound) -> list[str]:
        """The key(s) that carry this question on in the later round's version."""
        lineage = lineages.get((later.questionnaire_id, raised_in.questionnaire_id))
        if lineage is None or key in lineage.ancestors:
            return [key]
        return [new for new, chain in lineage.ancestors.items() if key in chain[1:]] or [key]

    question_keys = {
        k
        for a in actions
        if a.pk in pairs
        for key in a.question_keys
        for k in (key, *followed(key, *pairs[a.pk]))
    }
    category_keys = {a.category_key for a in actions if a.pk in pairs and not a.question_keys}
    fields = ("team_id", "round_id", *SPREAD_COLUMNS)
    questions: dict[tuple, dict] = {}
    if question_keys:
        for row in TeamQuestionScore.objects.filter(
            team_id__in=team_ids, round_id__in=round_ids, question_key__in=question_keys
        ).values("question_key", "answered", *fields):
            questions[(row["team_id"], row["round_id"], row["question_key"])] = row
    categories: dict[tuple, dict] = {}
    if category_keys:
        for row in TeamCategoryScore.objects.filter(
            team_id__in=team_ids, round_id__in=round_ids, category_key__in=category_keys
        ).values("category_key", "respondents", *fields):
            categories[(row["team_id"], row["round_id"], row["category_key"])] = row

    outcomes = {}
    for action in actions:
        raised_in, later = action.raised_in, measured_in.get(action.pk)
        if later is None or not (privacy.is_released(raised_in) and privacy.is_released(later)):
            outcomes[action.pk] = ActionOutcome(action.pk, raised_in, None, [], NOT_MEASURED)
            continue
        team = Team(pk=action.team_id)
        if not (viewer.sees_results(team, raised_in) and viewer.sees_results(team, later)):
            outcomes[action.pk] = ActionOutcome(action.pk, raised_in, later, [], NOT_SHOWN)
            continue
        if action.question_keys:
            targets = [
                (key, now, False, questions, "answered")
                for key in action.question_keys
                for now in followed(key, raised_in, later)
            ]
        else:
            key = action.category_key
            targets = [(key, key, True, categories, "respondents")]
        changes = [
            _target_change(
                now,
                is_category,
                rows.get((action.team_id, raised_in.pk, key)),
                rows.get((action.team_id, later.pk, now)),
                n,
                (raised_in, later),
            )
            for key, now, is_category, rows, n in targets
        ]
        outcomes[action.pk] = ActionOutcome(
            action.pk, raised_in, later, changes, outcome_verdict(changes)
        )
    return outcomes


def measurement_rounds(actions: Iterable, *, upto: SurveyRound | None = None) -> dict:
    """Per action, the round that shows whether it worked (two queries: the
    teams' rounds by id, then those rounds).

    For a done action: the first released round of its team after the round it
    was raised in, and no earlier than the round it was done in. For an open
    action (or with ``upto``): ``upto`` itself, the round being looked at, when it
    is later than the round the action was raised in. None when there is none yet.
    """
    actions = list(actions)
    if upto is not None:
        return {a.pk: upto if upto.opens_at > a.raised_in.opens_at else None for a in actions}
    team_ids = {a.team_id for a in actions}
    by_team: dict[int, list[SurveyRound]] = {}
    # The rounds are few and the teams many: each round is read once (fresh, as
    # its close may have moved) and linked to the teams by id.
    through = SurveyRound.teams.through
    links = list(
        through.objects.filter(team_id__in=team_ids)
        .order_by("surveyround__opens_at")
        .values_list("team_id", "surveyround_id")
    )
    round_ids = {round_id for _, round_id in links}
    rounds_by_id = SurveyRound.objects.in_bulk(round_ids) if round_ids else {}
    released = {pk for pk, r in rounds_by_id.items() if privacy.is_released(r)}
    for team_id, round_id in links:
        by_team.setdefault(team_id, []).append(rounds_by_id[round_id])
    result = {}
    for a in actions:
        since = a.raised_in.opens_at
        if a.done_in_id is not None and a.done_in.opens_at > since:
            since_done = a.done_in.opens_at
        else:
            since_done = None
        result[a.pk] = next(
            (
                r
                for r in by_team.get(a.team_id, [])
                if r.opens_at > since
                and (since_done is None or r.opens_at >= since_done)
                and r.pk in released
            ),
            None,
        )
    return result


def action_counts(selected: SurveyRound, *, group: str = "") -> dict[str, dict[str, int]]:
    """Per category key: actions raised in (``planned``) and done in (``done``) the round.

    One query. Cheap enough to run on every view of the organisation page, so
    that planning or editing an action never makes the page recompute what
    worked (``action_results``), which depends on done actions only.
    """
    actions = _in_group(Action.objects.all(), group, "team__group")
    return {
        row["category_key"]: {"planned": row["planned"], "done": row["done"]}
        for row in actions.filter(Q(raised_in=selected) | Q(done_in=selected))
        .values("category_key")
        .order_by()
        .annotate(
            planned=Count("pk", filter=Q(raised_in=selected)),
            done=Count("pk", filter=Q(done_in=selected)),
        )
    }


def action_results(
    viewer: privacy.Viewer, selected: SurveyRound, in_range: list[SurveyRound], *, group: str = ""
) -> list[dict[str, Any]]:
    """Per practice category of ``selected``: which done actions worked.

    ``measured``: done actions whose measurement round (``measurement_rounds``)
    is one of ``in_range``, with a change that can be shown; ``improved`` and
    ``declined``: of those, followed by a change beyond the noise up or down
    (``action_outcomes``: k and the noise rule apply); ``share`` = improved /
    measured. Reads done actions only: what happens to planned ones changes
    nothing here. Four queries, however many actions and teams.
    """
    categories = practice_categories(selected)
    actions = _in_group(
        Action.objects.filter(category_key__in=list(categories)), group, "team__group"
    )
    done = list(actions.done())
    # Rounds built once each, not once per action (select_related would).
    referenced = {a.raised_in_id for a in done} | {a.done_in_id for a in done}
    rounds = SurveyRound.objects.in_bulk(referenced) if referenced else {}
    for action in done:
        action.raised_in, action.done_in = rounds[action.raised_in_id], rounds[action.done_in_id]
    in_range_ids = {r.pk for r in in_range}
    measured_in = {
        pk: r
        for pk, r in measurement_rounds(done).items()
        if r is not None and r.pk in in_range_ids
    }
    outcomes = action_outcomes(done, measured_in, viewer)
    rows = []
    for key, name in categories.items():
        judged = [
            outcomes[a.pk]
            for a in done
            if a.category_key == key
            and outcomes[a.pk].verdict not in (NOT_MEASURED, NOT_SHOWN, WITHHELD)
        ]
        improved = sum(o.verdict == IMPROVED for o in judged)
        rows.append(
            {
                "category_key": key,
                "category_name": name,
                "measured": len(judged),
                "improved": improved,
                "declined": sum(o.verdict == DECLINED for o in judged),
                "share": improved / len(judged) if judged else None,
            }
        )
    return rows


def with_action_counts(
    results: list[dict[str, Any]], counts: Mapping[str, Mapping[str, int]]
) -> list[dict[str, Any]]:
    """``action_results`` rows with each category's ``planned`` and ``done`` counts."""
    none = {"planned": 0, "done": 0}
    return [{**row, **counts.get(row["category_key"], none)} for row in results]


def action_effects(
    viewer: privacy.Viewer, selected: SurveyRound, in_range: list[SurveyRound], *, group: str = ""
) -> list[dict[str, Any]]:
    """Per practice category of ``selected``: actions planned and done in it, and what worked.

    ``planned`` and ``done``: actions raised in, and done in, the selected round
    (``action_counts``); the rest is ``action_results``. Five queries, however
    many actions and teams.
    """
    return with_action_counts(
        action_results(viewer, selected, in_range, group=group),
        action_counts(selected, group=group),
    )


@dataclass(frozen=True)
class ActionReport:
    """One action as exports carry it: what it is, where it stands, and whether it worked.

    ``section`` is "open" (planned or in progress, raised by the exported round)
    or "done" (done since the team's previous round). No owner, no names.
    """

    section: str
    action: Action
    outcome: ActionOutcome


def round_actions(
    teams: Iterable[Team],
    survey_round: SurveyRound,
    previous: Mapping[int, SurveyRound | None],
    viewer: privacy.Viewer,
) -> dict[int, list[ActionReport]]:
    """Per team: its open actions and those done since its previous round, as of a round.

    Open: planned or in progress, raised in this round or before. Done: done in
    a round after the team's previous round (``previous``, by team id) and no
    later than this one. Each with the change of its targets from the round it
    was raised in to this one (``action_outcomes``, the viewer's rights to both
    rounds checked). Only actions this viewer may read
    (``Viewer.sees_action``). A fixed number of queries.
    """
    teams = list(teams)
    candidates = (
        Action.objects.filter(team__in=teams, raised_in__opens_at__lte=survey_round.opens_at)
        .filter(
            Q(status__in=Action.OPEN_STATUSES)
            | Q(status=Action.Status.DONE, done_in__opens_at__lte=survey_round.opens_at)
        )
        .select_related("team", "raised_in", "target_round", "done_in")
        .order_by("team__name", "raised_in__opens_at", "created_at", "id")
    )
    reports: list[tuple[str, Action]] = []
    for action in candidates:
        if not viewer.sees_action(action.team, visible_to_managers=action.visible_to_managers):
            continue
        if action.is_open:
            reports.append(("open", action))
            continue
        before = previous.get(action.team_id)
        if before is None or action.done_in.opens_at > before.opens_at:
            reports.append(("done", action))
    actions = [action for _, action in reports]
    viewer = viewer.with_members_at_close({a.raised_in for a in actions} | {survey_round})
    outcomes = action_outcomes(actions, measurement_rounds(actions, upto=survey_round), viewer)
    result: dict[int, list[ActionReport]] = {team.pk: [] for team in teams}
    for section, action in reports:
        result[action.team_id].append(ActionReport(section, action, outcomes[action.pk]))
    return result
