"""Reads of the materialised scores, with the privacy threshold applied.

The tables in reports.models hold full values. Everything shown outside a team
goes through these functions, which hide any aggregate of fewer than k
respondents (the round's ``min_respondents``, ``scoring.is_withheld``). A
withheld value is NaN with a ``withheld`` mark beside it, never a zero, so
"hidden" and "scored 0" cannot be confused. The team's own members see their
team's values whatever n is (``viewer_is_member``), because nothing is hidden
from the people who gave the answers.

Organisation-wide figures (``org_category_summaries``, ``systemic_questions``)
always leave withheld teams out, for every viewer: an org median must be the
same number whoever looks at it.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q

from assessment import dora, scoring
from assessment.maturity import level_name
from assessment.models import Category
from reports.models import TeamCategoryScore, TeamQuestionScore, TeamRoundSummary
from surveys.models import SurveyRound, Team

SPREAD_COLUMNS = ("mean", "sd", "minimum", "maximum", "median", "q1", "q3", "agreement")
KEY_METRICS = dora.KEY_METRICS


def _hidden(n: int, k: int, viewer_is_member: bool) -> bool:
    return not viewer_is_member and scoring.is_withheld(n, k)


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
    summary: TeamRoundSummary, categories: list[dict], k: int, member: bool
) -> dict[str, Any]:
    """The summary's values a viewer may see.

    For outsiders, overall maturity is recomputed from the categories they may
    see, and throughput, stability and cluster from the metrics they may see:
    otherwise a hidden category or metric could be worked back out of the total.
    """
    row: dict[str, Any] = {"withheld": _hidden(summary.respondents, k, member)}
    visible_categories = {
        c["category_key"]: c["mean"]
        for c in categories
        if not _hidden(c["respondents"], k, member) and c["mean"] is not None
    }
    if member:
        row["overall"] = summary.overall
        row["overall_partial"] = False
    else:
        row["overall"] = scoring.overall_maturity(
            visible_categories, {c["category_key"]: c["weight"] for c in categories}
        )
        row["overall_partial"] = len(visible_categories) < sum(
            c["mean"] is not None for c in categories
        )
    row["level"] = level_name(row["overall"])

    shown: dict[str, bool] = {}
    for metric in dora.METRICS:
        n = getattr(summary, f"{metric}_respondents")
        hidden = _hidden(n, k, member)
        shown[metric] = not hidden and getattr(summary, metric) is not None
        row[metric] = None if hidden else getattr(summary, metric)
        row[f"{metric}_score"] = None if hidden else getattr(summary, f"{metric}_score")
        row[f"{metric}_respondents"] = n
        row[f"{metric}_withheld"] = hidden
    if member:
        row["throughput"], row["stability"] = summary.throughput, summary.stability
        row["cluster"] = summary.cluster or None
    else:
        row["throughput"] = _mean_shown(row, shown, dora.THROUGHPUT_METRICS)
        row["stability"] = _mean_shown(row, shown, dora.INSTABILITY_METRICS)
        complete = all(shown[metric] for metric in KEY_METRICS)
        row["cluster"] = (summary.cluster or None) if complete else None
    return row


def _mean_shown(row: dict, shown: dict[str, bool], metrics: Iterable[str]) -> float | None:
    scores = [row[f"{metric}_score"] for metric in metrics if shown[metric]]
    return sum(scores) / len(scores) if scores else None


def team_round_scores(
    team: Team, rounds: Iterable[SurveyRound], *, viewer_is_member: bool = False
) -> TeamRoundScores:
    """The team's summaries and category scores in these rounds (two queries)."""
    rounds = sorted(rounds, key=lambda r: r.opens_at)
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
        k = survey_round.min_respondents
        visible = _visible_summary(summary, category_rows[survey_round.pk], k, viewer_is_member)
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
            hidden = _hidden(row["respondents"], k, viewer_is_member)
            before = previous_category.get(row["category_key"])
            delta, meaningful = None, False
            if before is not None and not hidden and row["mean"] is not None:
                before_row, before_round = before
                delta, meaningful = _change(
                    row,
                    before_row,
                    n="respondents",
                    k=max(k, before_round.min_respondents),
                    visible=True,
                )
            category_records.append(
                {
                    "round": survey_round.slug,
                    "category_key": row["category_key"],
                    "category_name": row["category_name"],
                    "respondents": row["respondents"],
                    "withheld": hidden,
                    **{name: None if hidden else row[name] for name in SPREAD_COLUMNS},
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
    """The latest earlier round in which the team has numbers."""
    summary = (
        TeamRoundSummary.objects.filter(team=team, round__opens_at__lt=survey_round.opens_at)
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
)


def question_scores(
    team: Team, survey_round: SurveyRound, *, viewer_is_member: bool = False
) -> pd.DataFrame:
    """The team's scale questions in this round, with deltas against its previous round.

    The previous round is the team's latest earlier round with numbers; a
    question is compared only where the same question key was asked then (keys
    are stable across questionnaire versions). Two queries.

    Withheld for outsiders: the spread and the discuss flag when fewer than k
    gave a scored answer; the don't-know rate when fewer than k answered at all.
    """
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
    k = survey_round.min_respondents
    before: dict[str, dict] = {}
    if previous is not None:
        before = {
            row["question_key"]: row
            for row in rows[previous.pk]
            if not _hidden(row["answered"], previous.min_respondents, viewer_is_member)
            and row["mean"] is not None
        }

    records = []
    for row in rows[survey_round.pk]:
        hidden = _hidden(row["answered"], k, viewer_is_member)
        rate_hidden = _hidden(row["answered"] + row["abstained"], k, viewer_is_member)
        old = before.get(row["question_key"])
        delta, meaningful = _change(
            row,
            old,
            n="answered",
            k=max(k, previous.min_respondents) if previous else k,
            visible=not hidden and row["mean"] is not None,
        )
        records.append(
            {
                "question_key": row["question_key"],
                "category_key": row["category_key"],
                "answered": row["answered"],
                "abstained": row["abstained"],
                "dont_know_rate": None if rate_hidden else row["dont_know_rate"],
                **{name: None if hidden else row[name] for name in SPREAD_COLUMNS},
                "discuss": pd.NA if hidden else row["discuss"],
                "withheld": hidden,
                "previous_round": previous.slug if old is not None else None,
                "previous_mean": None if old is None else old["mean"],
                "delta": delta,
                "meaningful": meaningful,
            }
        )
    frame = _frame(
        records, QUESTION_COLUMNS, ["dont_know_rate", *SPREAD_COLUMNS, "previous_mean", "delta"]
    )
    frame["discuss"] = frame["discuss"].astype("boolean")
    return frame


# --- the organisation ---------------------------------------------------------------


@dataclass(frozen=True)
class OrgMatrix:
    """Teams x practice categories for one round.

    ``scores`` holds category means (NaN where withheld or where nobody gave a
    scored answer); ``withheld`` says which NaNs are privacy, not absence;
    ``respondents`` holds each cell's n. Index: team names; columns: category
    keys in questionnaire order, named in ``category_names``.
    """

    scores: pd.DataFrame
    withheld: pd.DataFrame
    respondents: pd.DataFrame
    category_names: dict[str, str]


def _practice_categories(survey_round: SurveyRound) -> dict[str, str]:
    return dict(
        Category.objects.filter(
            questionnaire_id=survey_round.questionnaire_id, kind=Category.Kind.PRACTICE
        ).values_list("key", "name")
    )


def org_round_matrix(
    survey_round: SurveyRound, *, viewer_team_ids: Collection[int] = ()
) -> OrgMatrix:
    """Every team of the round (taking part or not) against every practice category.

    ``viewer_team_ids`` are the teams the viewer belongs to: their cells are
    shown whatever n is. Three queries.
    """
    categories = _practice_categories(survey_round)
    teams = dict(survey_round.teams.values_list("pk", "name"))
    rows = list(
        TeamCategoryScore.objects.filter(round=survey_round).values_list(
            "team_id", "team__name", "category_key", "respondents", "mean"
        )
    )
    teams.update({team_id: name for team_id, name, *_ in rows})
    names = sorted(teams.values())
    columns = list(categories)
    k = survey_round.min_respondents
    viewer_team_ids = set(viewer_team_ids)
    long = pd.DataFrame(rows, columns=["team_id", "team", "category_key", "respondents", "mean"])
    long = long[long["category_key"].isin(columns)]
    hidden = long["respondents"].lt(k) & ~long["team_id"].isin(viewer_team_ids)
    long = long.assign(
        withheld=hidden, shown=long["mean"].where(~hidden & long["mean"].notna()).astype("float64")
    )

    def wide(values: str, fill, dtype) -> pd.DataFrame:
        frame = long.pivot(index="team", columns="category_key", values=values)
        frame = frame.reindex(index=names, columns=columns).astype(object)
        return frame.where(frame.notna(), fill).astype(dtype)

    scores = wide("shown", float("nan"), "float64")
    respondents = wide("respondents", 0, "int64")
    # A team without rows has no respondents: withheld, unless it is the viewer's.
    withheld = wide("withheld", True, bool)
    for team_id in viewer_team_ids:
        name = teams.get(team_id)
        if name is not None and respondents.loc[name].sum() == 0:
            withheld.loc[name] = False
    for frame in (scores, withheld, respondents):
        frame.index.name = "team"
        frame.columns.name = None
    return OrgMatrix(
        scores=scores,
        withheld=withheld,
        respondents=respondents,
        category_names=categories,
    )


def org_category_summaries(
    survey_round: SurveyRound,
) -> dict[str, scoring.OrgCategorySummary | None]:
    """Per practice category: median, IQR and level counts over the teams not withheld."""
    categories = _practice_categories(survey_round)
    means: dict[str, list[float]] = {key: [] for key in categories}
    rows = TeamCategoryScore.objects.filter(round=survey_round, mean__isnull=False).values_list(
        "category_key", "respondents", "mean"
    )
    for key, n, mean in rows:
        if key in means and not scoring.is_withheld(n, survey_round.min_respondents):
            means[key].append(mean)
    return {key: scoring.org_category_summary(values) for key, values in means.items()}


def systemic_questions(survey_round: SurveyRound, **thresholds: Any) -> list[str]:
    """Question keys weak across most teams (scoring.systemic_questions), withheld teams left out.

    ``thresholds`` pass through to scoring.systemic_questions (low_below, share,
    min_teams). The database counts, per question, the teams below the line and
    the teams with a score; only those counts reach Python.
    """
    low_below = thresholds.pop("low_below", 2.0)
    counts = (
        TeamQuestionScore.objects.filter(
            round=survey_round,
            mean__isnull=False,
            answered__gte=survey_round.min_respondents,
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


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, fraction: float, expression: str, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


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


def team_groups() -> list[str]:
    return list(
        Team.objects.exclude(group="").order_by("group").values_list("group", flat=True).distinct()
    )


def org_category_stats(rounds: list[SurveyRound], *, group: str = "") -> pd.DataFrame:
    """Median and interquartile range across teams, per round and practice category.

    Teams under the round's k are left out, as in org_category_summaries. One
    query over the materialised category scores (teams x categories x rounds).
    """
    # Only teams with at least k respondents count, k being each round's own.
    rows = TeamCategoryScore.objects.filter(
        round__in=rounds, mean__isnull=False, respondents__gte=F("round__min_respondents")
    )
    if group:
        rows = rows.filter(team__group=group)
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
    keys = ("round_id", "category_key", "category_name")
    if connection.vendor == "postgresql":
        # PostgreSQL computes the quartiles itself (percentile_cont interpolates
        # linearly, as pandas does): only the aggregates leave the database.
        stats = pd.DataFrame(
            rows.values(*keys)
            .order_by()
            .annotate(
                teams=Count("pk"),
                median=PercentileCont(0.5, "mean"),
                q1=PercentileCont(0.25, "mean"),
                q3=PercentileCont(0.75, "mean"),
            )
            .values_list(*keys, "teams", "median", "q1", "q3"),
            columns=[*keys, "teams", "median", "q1", "q3"],
        )
    else:
        frame = pd.DataFrame(rows.values_list(*keys, "mean"), columns=[*keys, "mean"])
        if frame.empty:  # no team has k respondents yet
            return pd.DataFrame(columns=columns)
        grouped = frame.astype({"mean": "float64"}).groupby(list(keys), sort=False)["mean"]
        stats = pd.DataFrame(
            {
                "teams": grouped.count(),
                "median": grouped.median(),
                "q1": grouped.quantile(0.25),
                "q3": grouped.quantile(0.75),
            }
        ).reset_index()
    if stats.empty:
        return pd.DataFrame(columns=columns)
    by_id = {r.pk: r for r in rounds}
    stats["round"] = stats["round_id"].map(lambda pk: by_id[pk].slug)
    stats["round_name"] = stats["round_id"].map(lambda pk: by_id[pk].name)
    stats["order"] = stats["round_id"].map(lambda pk: by_id[pk].opens_at)
    return stats.sort_values(["order", "category_key"])[columns].reset_index(drop=True)


def team_participation(team: Team, rounds: list[SurveyRound]) -> pd.DataFrame:
    """Submitted responses against team size at each round's close (two queries).

    Team size counts memberships that existed when the round closed; people
    who left since are no longer known, so older rates may be slightly high.
    """
    submitted = dict(
        TeamRoundSummary.objects.filter(team=team, round__in=rounds).values_list(
            "round_id", "respondents"
        )
    )
    joined = list(team.memberships.values_list("created_at", flat=True))
    records = []
    for survey_round in rounds:
        invited = sum(1 for created in joined if created <= survey_round.closes_at)
        n = submitted.get(survey_round.pk, 0)
        records.append(
            {
                "round": survey_round.slug,
                "round_name": survey_round.name,
                "submitted": n,
                "invited": invited,
                "rate": n / invited if invited else None,
            }
        )
    return _frame(records, ["round", "round_name", "submitted", "invited", "rate"], ["rate"])


def round_participation(survey_round: SurveyRound, *, group: str = "") -> pd.DataFrame:
    """Per team of the round: members, drafts and submitted responses (one query)."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from surveys.models import Membership, Response

    teams = survey_round.teams.all()
    if group:
        teams = teams.filter(group=group)
    # Subqueries rather than joins: joining members and responses would count
    # teams x members x responses rows before the DISTINCT.
    members = (
        Membership.objects.filter(team=OuterRef("pk"))
        .order_by()
        .values("team")
        .annotate(n=Count("pk"))
        .values("n")
    )

    def responses(status: str):
        return (
            Response.objects.filter(team=OuterRef("pk"), round=survey_round, status=status)
            .order_by()
            .values("team")
            .annotate(n=Count("pk"))
            .values("n")
        )

    rows = (
        teams.annotate(
            invited=Coalesce(Subquery(members), 0),
            drafts=Coalesce(Subquery(responses("draft")), 0),
            submitted=Coalesce(Subquery(responses("submitted")), 0),
        )
        .order_by("name")
        .values_list("name", "slug", "group", "invited", "drafts", "submitted")
    )
    records = [
        {
            "team": name,
            "team_slug": slug,
            "group": group_name,
            "invited": invited,
            "drafts": drafts,
            "submitted": submitted,
            "rate": submitted / invited if invited else None,
        }
        for name, slug, group_name, invited, drafts, submitted in rows
    ]
    return _frame(
        records,
        ["team", "team_slug", "group", "invited", "drafts", "submitted", "rate"],
        ["rate"],
    )


def cluster_counts(rounds: list[SurveyRound], *, group: str = "") -> pd.DataFrame:
    """Teams per DORA cluster and round, counting only teams whose four key
    metrics each have at least k answers (one query)."""
    k_by_round = {r.pk: r.min_respondents for r in rounds}
    rows = TeamRoundSummary.objects.filter(round__in=rounds).exclude(cluster="")
    if group:
        rows = rows.filter(team__group=group)
    counts: dict[tuple[int, str, int], int] = {}
    for round_id, cluster, year, *ns in rows.values_list(
        "round_id", "cluster", "dora_year", *(f"{m}_respondents" for m in KEY_METRICS)
    ):
        if min(ns) >= k_by_round[round_id]:
            counts[(round_id, cluster, year)] = counts.get((round_id, cluster, year), 0) + 1
    by_id = {r.pk: r for r in rounds}
    records = [
        {
            "round": by_id[round_id].slug,
            "round_name": by_id[round_id].name,
            "cluster": cluster,
            "dora_year": year,
            "teams": n,
        }
        for (round_id, cluster, year), n in sorted(
            counts.items(), key=lambda item: (by_id[item[0][0]].opens_at, item[0][1])
        )
    ]
    return pd.DataFrame(records, columns=["round", "round_name", "cluster", "dora_year", "teams"])


def level_distribution(matrix: OrgMatrix) -> pd.DataFrame:
    """Teams per maturity level per category, from a round's org matrix (no query)."""
    from assessment.maturity import LEVELS

    records = []
    for key in matrix.scores.columns:
        values = matrix.scores[key].dropna()
        summary = scoring.org_category_summary(list(values))
        for level in LEVELS:
            records.append(
                {
                    "category_key": key,
                    "category_name": matrix.category_names[key],
                    "level": level.name,
                    "teams": summary.level_counts[level.name] if summary else 0,
                }
            )
    return pd.DataFrame(records, columns=["category_key", "category_name", "level", "teams"])


def question_texts(survey_round: SurveyRound) -> dict[str, dict[str, str]]:
    """Key -> question text, category name and kind for a round's questions (one query)."""
    from assessment.models import Question

    rows = (
        Question.objects.filter(questionnaire_id=survey_round.questionnaire_id)
        .order_by("category__order", "order")
        .values_list("key", "text", "category__name", "kind")
    )
    return {
        key: {"text": text, "category": category, "kind": kind}
        for key, text, category, kind in rows
    }


def reflections(team: Team, survey_round: SurveyRound) -> list[tuple[str, list[str]]]:
    """The team's free-text answers in submitted responses, grouped by prompt.

    Anonymous: no names, no times, and sorted by text within a prompt so the
    order says nothing about who wrote what. One query.
    """
    from surveys.models import Answer

    grouped: dict[str, list[str]] = {}
    for prompt, text in (
        Answer.objects.filter(
            response__team=team,
            response__round=survey_round,
            response__status="submitted",
            question__kind="text",
        )
        .exclude(text="")
        .order_by("question__category__order", "question__order", "text")
        .values_list("question__text", "text")
    ):
        grouped.setdefault(prompt, []).append(text)
    return list(grouped.items())
