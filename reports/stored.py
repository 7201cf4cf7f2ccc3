"""Organisation figures of released rounds, computed once and kept (RoundAggregate).

A selector that reads a figure over every team of a round (quartiles per
category, teams per DORA cluster, systemic questions) asks ``per_round`` for
it: rows still valid for their round are read back, in one query, and only
the rounds without one are computed, by the selector's own function, and
stored. So privacy stays where it is: ``compute`` is the selector's code, under
the round's k, and a stored value is only ever what the selector returned.

A stored row is valid while its round has the same k, the same team
summaries as when it was computed (how many: a team's scores removed; when the
newest was computed: an answer changed, scores recomputed) and the same number
of teams taking part. These are read in the same query as the rows, so no
write path has to know about this table. Only released rounds are stored: open
rounds have no figures to show.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Count, IntegerField, Max, OuterRef, Subquery
from django.utils import timezone

from reports.models import RoundAggregate, TeamRoundSummary
from surveys import privacy
from surveys.models import SurveyRound


def _stamps(round_ids: Iterable[int]) -> dict[int, tuple[int, Any, int]]:
    """Round id -> (team summaries, when the newest was computed, teams): two queries."""
    round_ids = list(round_ids)
    teams = dict(
        SurveyRound.teams.through.objects.filter(surveyround_id__in=round_ids)
        .order_by()
        .values_list("surveyround_id")
        .annotate(n=Count("team"))
    )
    summaries = {
        round_id: (n, at)
        for round_id, n, at in TeamRoundSummary.objects.filter(round_id__in=round_ids)
        .order_by()
        .values("round_id")
        .annotate(n=Count("pk"), at=Max("computed_at"))
        .values_list("round_id", "n", "at")
    }
    return {
        round_id: (*summaries.get(round_id, (0, None)), teams.get(round_id, 0))
        for round_id in round_ids
    }


def per_round(
    kind: str,
    rounds: Iterable[SurveyRound],
    compute: Callable[[list[SurveyRound]], dict[int, Any]],
    *,
    group: str = "",
) -> dict[int, Any]:
    """Round id -> the figure ``kind`` of each released round in ``rounds``.

    ``compute(rounds)`` returns round id -> a JSON-able value for the rounds it
    is given (a round left out counts as ``[]``). One query when every round's
    figure is stored and valid; four more (two for the stamps, compute,
    upsert) otherwise.
    """
    rounds = privacy.released(rounds)
    if not rounds:
        return {}
    by_id = {r.pk: r for r in rounds}
    found: dict[int, Any] = {}
    team_summaries = TeamRoundSummary.objects.filter(round=OuterRef("round")).order_by()
    links = SurveyRound.teams.through.objects.filter(surveyround=OuterRef("round")).order_by()
    stored = (
        RoundAggregate.objects.filter(round__in=rounds, kind=kind, group=group)
        .order_by()
        .annotate(
            now_summaries=Subquery(
                team_summaries.values("round").annotate(n=Count("computed_at")).values("n"),
                output_field=IntegerField(),
            ),
            now_summaries_at=Subquery(
                team_summaries.order_by("-computed_at").values("computed_at")[:1]
            ),
            now_teams=Subquery(
                links.values("surveyround").annotate(n=Count("team")).values("n"),
                output_field=IntegerField(),
            ),
        )
        .values_list(
            "round_id",
            "k",
            "summaries",
            "summaries_at",
            "value",
            "teams",
            "now_summaries",
            "now_summaries_at",
            "now_teams",
        )
    )
    for round_id, k, summaries, summaries_at, value, teams, *now in stored:
        now_summaries, now_at, now_teams = now
        if (
            k == privacy.min_group_size(by_id[round_id])
            and summaries == (now_summaries or 0)
            and summaries_at == now_at
            and teams == (now_teams or 0)
        ):
            found[round_id] = value
    missing = [r for r in rounds if r.pk not in found]
    if missing:
        # Stamps first: a change while computing leaves an older stamp, so the
        # next read computes again rather than keep a stale figure.
        stamps = _stamps(r.pk for r in missing)
        computed = compute(missing)
        now = timezone.now()
        RoundAggregate.objects.bulk_create(
            [
                RoundAggregate(
                    round=r,
                    kind=kind,
                    group=group,
                    k=privacy.min_group_size(r),
                    summaries=stamps[r.pk][0],
                    summaries_at=stamps[r.pk][1],
                    teams=stamps[r.pk][2],
                    value=computed.get(r.pk, []),
                    computed_at=now,
                )
                for r in missing
            ],
            update_conflicts=True,
            unique_fields=["round", "kind", "group"],
            update_fields=["k", "summaries", "summaries_at", "teams", "value", "computed_at"],
        )
        for r in missing:
            found[r.pk] = computed.get(r.pk, [])
    return found
