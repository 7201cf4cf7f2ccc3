"""Writes for the materialised score tables (reports.models).

``team_round_scores_refresh`` keeps one team's rows in step with its submitted
answers; surveys.services calls it in the same transaction as every change to
a submitted response. ``round_scores_recompute`` rebuilds a round from the raw
answers and says what it had to fix, which is how drift is detected and repaired.

Both read the answers with one query, compute with the pure functions of
``assessment.scoring`` and ``assessment.dora``, and replace the team's rows, so
the number of queries does not depend on the size of the questionnaire or team.
"""

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from assessment import dora
from assessment.kinds import DELIVERY, KINDS, MATURITY
from assessment.maturity import level_name
from assessment.models import Category, Questionnaire
from assessment.scoring import (
    ScoredAnswer,
    Spread,
    overall_maturity,
    summarise_question,
    team_category_summaries,
)
from assessment.structure import questionnaire_pages
from reports.cache import bump_round_version
from reports.models import TeamCategoryScore, TeamQuestionScore, TeamRoundSummary
from surveys.models import Response, SurveyRound, Team

# Stored floats are compared with this tolerance: a value that went through
# the database (or was computed with the same numbers in another order) is
# the same value.
FLOAT_TOLERANCE = 1e-9

_SPREAD_FIELDS = ("mean", "sd", "minimum", "maximum", "median", "q1", "q3", "agreement")


@dataclass(frozen=True)
class _Table:
    model: type[models.Model]
    label: str
    key_field: str | None  # the natural key within a team and round; None: one row per team
    fields: tuple[str, ...]


CATEGORY_TABLE = _Table(
    TeamCategoryScore,
    "category score",
    "category_key",
    ("category_name", "weight", "order", "respondents", *_SPREAD_FIELDS, "level"),
)
QUESTION_TABLE = _Table(
    TeamQuestionScore,
    "question score",
    "question_key",
    (
        "category_key",
        "order",
        "answered",
        "abstained",
        "dont_know_rate",
        *_SPREAD_FIELDS,
        "discuss",
    ),
)
SUMMARY_TABLE = _Table(
    TeamRoundSummary,
    "round summary",
    None,
    (
        "respondents",
        "overall",
        "level",
        "dora_year",
        *dora.METRICS,
        *(f"{metric}_score" for metric in dora.METRICS),
        *(f"{metric}_respondents" for metric in dora.METRICS),
        "throughput",
        "stability",
        "cluster",
    ),
)
TABLES = (CATEGORY_TABLE, QUESTION_TABLE, SUMMARY_TABLE)

# A team's computed rows: table -> natural key ("" for the summary) -> field values.
TeamRows = dict[_Table, dict[str, dict[str, Any]]]


# --- reading what to score --------------------------------------------------------


@dataclass(frozen=True)
class _Structure:
    """The round's practice categories and scored questions, in questionnaire order."""

    categories: tuple[tuple[str, str, float], ...]  # key, name, weight
    questions: tuple[tuple[str, str], ...]  # key, category key
    # Question key -> its choices that score (a checklist's practices).
    scored_choices: Mapping[str, int] = field(default_factory=dict)


class _AnswerRow(NamedTuple):
    team_id: int
    response_id: int
    # The rest is None for a submitted response without (scorable) answers.
    question_key: str | None
    question_kind: str | None
    metric: str | None
    question_weight: Decimal | None
    category_key: str | None
    category_kind: str | None
    choice_score: int | None
    abstain: str | None
    number: int | None


def _structure(questionnaire: Questionnaire) -> _Structure:
    # From the questionnaire's structure in memory (assessment.structure): no query.
    categories: list[tuple[str, str, float]] = []
    questions: list[tuple[str, str]] = []
    scored_choices: dict[str, int] = {}
    for category in questionnaire_pages(questionnaire):
        if category.kind != Category.Kind.PRACTICE:
            continue
        categories.append((category.key, category.name, float(category.weight)))
        for question in category.questions.all():
            if KINDS[question.kind].scoring == MATURITY:
                questions.append((question.key, category.key))
                scored_choices[question.key] = sum(
                    1 for choice in question.choices.all() if choice.score is not None
                )
    return _Structure(tuple(categories), tuple(questions), scored_choices)


def _load_answers(round_id: int, team_ids: Collection[int]) -> list[_AnswerRow]:
    """Every submitted response of these teams with its answers, as tuples.

    The left join keeps a submitted response without answers, so it still
    counts as a respondent. Drafts never count. Text answers come along as
    rows too (their text is not read) and are skipped when scoring.
    """
    rows = (
        Response.objects.submitted()
        .filter(round_id=round_id, team_id__in=team_ids)
        # No default ordering: it would join rounds and teams only to sort.
        .order_by()
        .values_list(
            "team_id",
            "id",
            "answers__question__key",
            "answers__question__kind",
            "answers__question__metric",
            "answers__question__weight",
            "answers__question__category__key",
            "answers__question__category__kind",
            "answers__choice__score",
            "answers__choice__abstain",
            "answers__number",
        )
    )
    return [_AnswerRow(*row) for row in rows]


# --- computing (pure) ------------------------------------------------------------


def _spread_values(spread: Spread | None) -> dict[str, float | None]:
    return {name: None if spread is None else getattr(spread, name) for name in _SPREAD_FIELDS}


def _compute_team_rows(
    *, structure: _Structure, answers: Iterable[_AnswerRow], dora_year: int
) -> TeamRows:
    """The rows of one team and round from its answer tuples; no database access.

    No submitted response means no rows at all: the team did not take part.
    """
    respondents: set[int] = set()
    scored: list[ScoredAnswer] = []
    question_scores: dict[str, list[int | None]] = defaultdict(list)
    dora_answers: dict[str, list[float]] = defaultdict(list)
    for row in answers:
        respondents.add(row.response_id)
        if row.question_key is None:
            continue
        kind = KINDS[row.question_kind]
        scoring = kind.scoring
        if row.category_kind == Category.Kind.PRACTICE and scoring == MATURITY:
            # An abstention (Don't know / Not applicable) has no score: it is
            # counted in the don't-know rate and left out of every mean.
            score = kind.maturity_score(
                row.choice_score,
                row.abstain,
                row.number,
                structure.scored_choices.get(row.question_key, 0),
            )
            scored.append(
                ScoredAnswer(
                    respondent=row.response_id,
                    question_key=row.question_key,
                    category_key=row.category_key,
                    score=score,
                    weight=row.question_weight,
                )
            )
            question_scores[row.question_key].append(score)
        elif row.category_kind == Category.Kind.DELIVERY and row.metric and scoring == DELIVERY:
            # A DORA answer is a bucket (a choice's score) or a percentage (a number).
            value = row.number if row.number is not None else row.choice_score
            if value is not None and not row.abstain:
                dora_answers[row.metric].append(value)

    tables: TeamRows = {table: {} for table in TABLES}
    if not respondents:
        return tables

    summaries = team_category_summaries(scored)
    for order, (key, name, weight) in enumerate(structure.categories):
        summary = summaries.get(key)
        spread = summary.spread if summary else None
        tables[CATEGORY_TABLE][key] = {
            "category_name": name,
            "weight": weight,
            "order": order,
            "respondents": spread.n if spread else 0,
            **_spread_values(spread),
            "level": summary.level_name if summary else "",
        }

    for order, (key, category_key) in enumerate(structure.questions):
        question = summarise_question(question_scores.get(key, []))
        tables[QUESTION_TABLE][key] = {
            "category_key": category_key,
            "order": order,
            "answered": question.answered,
            "abstained": question.abstained,
            "dont_know_rate": question.dont_know_rate,
            **_spread_values(question.spread),
            "discuss": question.discuss,
        }

    category_means = {key: values["mean"] for key, values in tables[CATEGORY_TABLE].items()}
    weights = {key: weight for key, _, weight in structure.categories}
    overall = overall_maturity(category_means, weights)
    delivery = dora.summarise(dora_answers, year=dora_year)
    tables[SUMMARY_TABLE][""] = {
        "respondents": len(respondents),
        "overall": overall,
        "level": level_name(overall),
        "dora_year": delivery.year,
        **delivery.medians,
        **{f"{metric}_score": score for metric, score in delivery.scores.items()},
        **{f"{metric}_respondents": n for metric, n in delivery.respondents.items()},
        "throughput": delivery.throughput,
        "stability": delivery.stability,
        "cluster": delivery.cluster or "",
    }
    return tables


def _rows_by_team(
    structure: _Structure, answers: Iterable[_AnswerRow], team_ids: Iterable[int], dora_year: int
) -> dict[int, TeamRows]:
    grouped: dict[int, list[_AnswerRow]] = {team_id: [] for team_id in team_ids}
    for row in answers:
        grouped[row.team_id].append(row)
    return {
        team_id: _compute_team_rows(structure=structure, answers=rows, dora_year=dora_year)
        for team_id, rows in grouped.items()
    }


# --- writing ---------------------------------------------------------------------


def _lock_teams(team_ids: Collection[int]) -> dict[int, str]:
    """Lock the teams' rows until commit and return their names.

    Two refreshes of one team at once would otherwise each compute without the
    other's uncommitted answers: one would leave stale numbers or fail on the
    unique constraints. Waiting on the team row makes the second refresh read
    after the first commits. Locks are taken in pk order, so no deadlock.
    """
    return dict(
        Team.objects.select_for_update()
        .filter(pk__in=team_ids)
        .order_by("pk")
        .values_list("pk", "name")
    )


def _row_objects(table: _Table, round_id: int, rows_by_team: Mapping[int, TeamRows], now):
    objects = []
    for team_id, tables in rows_by_team.items():
        for key, values in tables[table].items():
            extra = {table.key_field: key} if table.key_field else {"computed_at": now}
            objects.append(table.model(round_id=round_id, team_id=team_id, **extra, **values))
    return objects


def _insert_objects(model: type[models.Model], objects: list[models.Model]) -> None:
    """bulk_create, streamed with COPY on PostgreSQL.

    A whole round of a large organisation is about 50 rows a team (50,000 for
    1,000 teams): building one INSERT of that size costs Django several times
    what PostgreSQL needs to read the same rows from COPY. The score tables
    hold only numbers, text, booleans and aware datetimes, which psycopg
    adapts as they are.
    """
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    attnames = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in model._meta.concrete_fields if not f.primary_key)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objects:
            values = obj.__dict__
            copy.write_row([values[name] for name in attnames])


def _replace_rows(round_id: int, rows_by_team: Mapping[int, TeamRows]) -> None:
    # Delete and re-insert: a constant number of statements, and a category or
    # question that left the computation cannot linger.
    now = timezone.now()
    team_ids = list(rows_by_team)
    for table in TABLES:
        table.model.objects.filter(round_id=round_id, team_id__in=team_ids).delete()
        objects = _row_objects(table, round_id, rows_by_team, now)
        if objects:
            _insert_objects(table.model, objects)


def _upsert_rows(round_id: int, rows_by_team: Mapping[int, TeamRows]) -> None:
    # One INSERT ... ON CONFLICT DO UPDATE per table, on its unique constraint.
    now = timezone.now()
    for table in TABLES:
        objects = _row_objects(table, round_id, rows_by_team, now)
        if objects:
            table.model.objects.bulk_create(
                objects,
                update_conflicts=True,
                unique_fields=["round", "team", *([table.key_field] if table.key_field else [])],
                update_fields=[*table.fields, *([] if table.key_field else ["computed_at"])],
            )


def team_round_scores_refresh(
    *, round_id: int, team_id: int, questionnaire: Questionnaire | None = None
) -> None:
    """Recompute one team's score rows for one round from its submitted answers.

    Runs in the caller's transaction when there is one. ``questionnaire`` is
    the round's, when the caller has it at hand (else one query reads it).
    Queries: lock the team, read the answers, then one upsert per table,
    whatever the size of the questionnaire; its structure comes from memory.

    Upsert rather than delete + insert (half the statements): a team with a
    submitted response has one row per practice category and scale question
    of the questionnaire, and a questionnaire cannot change once it has
    answers, so no row is left over. A team without submitted responses has
    its rows deleted; ``round_scores_recompute`` still replaces rows wholesale.
    """
    with transaction.atomic(savepoint=False):
        _lock_teams([team_id])
        if questionnaire is None:
            questionnaire = Questionnaire.objects.get(rounds__id=round_id)
        structure = _structure(questionnaire)
        answers = _load_answers(round_id, [team_id])
        rows = _rows_by_team(structure, answers, [team_id], settings.SHIPSHAPE_DORA_YEAR)
        if rows[team_id][SUMMARY_TABLE]:
            _upsert_rows(round_id, rows)
        else:
            _replace_rows(round_id, rows)
        bump_round_version(round_id)


# --- recompute and compare -----------------------------------------------------------


@dataclass(frozen=True)
class RowChange:
    """One stored row that differed from the recomputation."""

    table: str
    team: str
    key: str = ""
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.team} / {self.key}" if self.key else self.team
        detail = f": {', '.join(self.fields)}" if self.fields else ""
        return f"{self.table} {where}{detail}"


@dataclass(frozen=True)
class RecomputeReport:
    survey_round: SurveyRound
    changed: list[RowChange] = field(default_factory=list)
    added: list[RowChange] = field(default_factory=list)
    removed: list[RowChange] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.changed) + len(self.added) + len(self.removed)


def values_equal(stored: Any, computed: Any) -> bool:
    """Equal by value: floats within FLOAT_TOLERANCE, None only equals None."""
    if stored is None or computed is None:
        return stored is None and computed is None
    if isinstance(stored, bool) or isinstance(computed, bool):
        return stored == computed
    if isinstance(stored, int | float | Decimal) and isinstance(computed, int | float | Decimal):
        return math.isclose(
            float(stored), float(computed), rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE
        )
    return stored == computed


def _stored_rows(round_id: int, team: Team | None) -> dict[int, TeamRows]:
    stored: dict[int, TeamRows] = defaultdict(lambda: {table: {} for table in TABLES})
    for table in TABLES:
        queryset = table.model.objects.filter(round_id=round_id)
        if team is not None:
            queryset = queryset.filter(team=team)
        key_fields = [table.key_field] if table.key_field else []
        for row in queryset.values("team_id", *key_fields, *table.fields):
            team_id = row.pop("team_id")
            key = row.pop(table.key_field) if table.key_field else ""
            stored[team_id][table][key] = row
    return stored


def _compare(
    table: _Table, team_name: str, stored: Mapping[str, dict], computed: Mapping[str, dict]
) -> tuple[list[RowChange], list[RowChange], list[RowChange]]:
    changed, added = [], []
    for key, values in computed.items():
        if key not in stored:
            added.append(RowChange(table.label, team_name, key))
            continue
        differing = tuple(
            name for name in table.fields if not values_equal(stored[key][name], values[name])
        )
        if differing:
            changed.append(RowChange(table.label, team_name, key, differing))
    removed = [RowChange(table.label, team_name, key) for key in stored if key not in computed]
    return changed, added, removed


@transaction.atomic
def round_scores_recompute(
    *, survey_round: SurveyRound, team: Team | None = None
) -> RecomputeReport:
    """Rebuild a round's score rows (or one team's) from the raw answers.

    Compares the result with what is stored, rewrites the teams whose rows
    differ and reports every row that was changed, added or removed. Running it
    again straight away reports nothing.
    """
    # Teams with submitted answers, and teams with rows that may need removing.
    sources = [
        Response.objects.submitted().filter(round=survey_round),
        *(table.model.objects.filter(round=survey_round) for table in TABLES),
    ]
    if team is not None:
        sources = [queryset.filter(team=team) for queryset in sources]
    first, *rest = (queryset.order_by().values_list("team_id") for queryset in sources)
    # order_by() again: a union would otherwise sort by Response's default ordering.
    team_ids = {team_id for (team_id,) in first.union(*rest).order_by()}
    names = _lock_teams(team_ids)
    # Read what is stored only once the teams are locked, so a refresh cannot
    # slip in between the comparison and the rewrite.
    stored = _stored_rows(survey_round.pk, team)

    structure = _structure(survey_round.questionnaire)
    answers = _load_answers(survey_round.pk, team_ids)
    computed = _rows_by_team(structure, answers, team_ids, settings.SHIPSHAPE_DORA_YEAR)

    report = RecomputeReport(survey_round)
    to_write: dict[int, TeamRows] = {}
    for team_id in sorted(team_ids, key=lambda pk: (names.get(pk, ""), pk)):
        empty = {table: {} for table in TABLES}
        for table in TABLES:
            changed, added, removed = _compare(
                table,
                names.get(team_id, str(team_id)),
                stored.get(team_id, empty)[table],
                computed[team_id][table],
            )
            report.changed.extend(changed)
            report.added.extend(added)
            report.removed.extend(removed)
            if changed or added or removed:
                to_write[team_id] = computed[team_id]
    if to_write:
        _replace_rows(survey_round.pk, to_write)
        bump_round_version(survey_round.pk)
    return report
