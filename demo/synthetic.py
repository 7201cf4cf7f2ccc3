"""Plausible answers for demos and benchmarks, written with bulk inserts.

Each team has a profile: a base level per category, a trend per round, how much
its members disagree and how often they say "Don't know". Answers are drawn
around that, so dashboards show trends, disagreement and don't-know hotspots.
The same generator feeds `seed_demo` (a handful of teams) and
`generate_synthetic` (hundreds of teams, ~10^6 answers), so it works on plain
tuples and writes with one multi-row INSERT per batch.
"""

import random
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from assessment.kinds import KINDS, SyntheticContext
from assessment.models import Question
from reports.services import TABLES, round_scores_recompute
from surveys.models import Answer, Response
from surveys.services import round_members_record

REFLECTIONS = {
    "continuous-improvement": [
        "Our retro actions keep slipping; we should pick fewer and finish them.",
        "The new feedback round after each release helped a lot.",
        "We want a fixed slot for learning time every sprint.",
    ],
    "ci-cd": [
        "Flaky end-to-end tests still block merges a few times a week.",
        "Preview environments per pull request changed how we review.",
        "We skipped the canary stage under deadline pressure twice this quarter.",
    ],
    "incident-response": [
        "On-call felt heavy this quarter; the rota needs more people.",
        "Post-incident reviews are good, but their actions rarely reach the roadmap.",
        "The incident commander role made the last outage much calmer.",
    ],
    "observability": [
        "We still find out about checkout errors from customers first.",
        "Tracing across the payment flow finally works end to end.",
        "Alert noise is high; half the pages are not actionable.",
    ],
    "silos": [
        "We rarely know what the platform team is planning until it lands.",
        "Pairing with the mobile team on the release bug was eye-opening.",
        "Nobody from our team attended another team's planning this quarter.",
    ],
    "delivery": [
        "Release trains slow us down more than the tests do.",
        "Deploying is easy; knowing whether a deploy is safe is the hard part.",
    ],
}


@dataclass
class TeamProfile:
    base: float  # typical level 0-4 at round 0
    trend: float  # change of level per round
    spread: float  # how much members disagree (standard deviation in levels)
    dont_know: float  # chance of "Don't know" on a scale question
    participation: float  # share of members who submit
    category_offsets: dict[str, float] = field(default_factory=dict)
    question_offsets: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class QuestionPlan:
    """What the generator needs of a question, without touching the ORM again."""

    pk: int
    key: str
    kind: str
    category_key: str
    category_id: int
    required: bool
    by_score: dict[int, int]  # score -> choice id
    dont_know: int | None
    not_applicable: int | None
    items: tuple[int, ...] = ()  # a checklist's practices (choice ids)


def question_plans(questions: Iterable[Question]) -> list[QuestionPlan]:
    """Plans for questions fetched with select_related("category") and prefetched choices."""
    plans = []
    for q in questions:
        choices = list(q.choices.all())
        plans.append(
            QuestionPlan(
                pk=q.pk,
                key=q.key,
                kind=q.kind,
                category_key=q.category.key,
                category_id=q.category_id,
                required=q.required,
                by_score={c.score: c.pk for c in choices if c.score is not None},
                dont_know=next((c.pk for c in choices if c.abstain == "dont_know"), None),
                not_applicable=next((c.pk for c in choices if c.abstain == "not_applicable"), None),
                items=tuple(c.pk for c in choices if KINDS[q.kind].multiple and not c.is_abstain),
            )
        )
    return plans


def random_profile(rng: random.Random, category_keys: Sequence[str], question_keys: Sequence[str]):
    return TeamProfile(
        base=rng.uniform(0.9, 2.6),
        trend=rng.choice([0.12, 0.08, 0.04, 0.0, -0.06]),
        spread=rng.choice([0.35, 0.5, 0.8, 1.1]),
        dont_know=rng.choice([0.02, 0.05, 0.12]),
        participation=rng.uniform(0.7, 1.0),
        category_offsets={key: rng.gauss(0, 0.45) for key in category_keys},
        question_offsets={key: rng.gauss(0, 0.35) for key in question_keys},
    )


# Question id, choice id, number, text and, for a checklist, the ticked choice ids.
AnswerRow = tuple[int, int | None, int | None, str] | tuple[int, int | None, int | None, str, tuple]


def answers_for_person(
    *, plans: Sequence[QuestionPlan], profile: TeamProfile, round_index: int, rng: random.Random
) -> list[AnswerRow]:
    person = rng.gauss(0, profile.spread * 0.5)
    maturity = profile.base + profile.trend * round_index + person
    noise = profile.spread * 0.6
    rows: list[AnswerRow] = []
    for plan in plans:
        # Each kind draws its own value (assessment.kinds), in a fixed order of
        # random draws, so a seed always gives the same organisation.
        value = KINDS[plan.kind].synthetic(
            rng,
            plan,
            SyntheticContext(
                maturity=maturity,
                centre=maturity
                + profile.category_offsets.get(plan.category_key, 0)
                + profile.question_offsets.get(plan.key, 0),
                noise=noise,
                dont_know=profile.dont_know,
                reflections=REFLECTIONS.get(plan.category_key) or REFLECTIONS["delivery"],
            ),
        )
        if value is not None:
            rows.append((plan.pk, *value))
    return rows


def insert_answers(rows: Sequence[tuple], *, updated_at: datetime) -> None:
    """Write (response id, question id, choice id, number, text[, ticked ids]) rows fast.

    Skips model instances entirely: PostgreSQL gets COPY, SQLite executemany of
    one prepared INSERT. That is the difference between minutes and seconds for
    the ~10^6 rows of a benchmark organisation. A checklist's ticks (the sixth
    element) are written after, with one read of their answers' ids.
    """
    columns = ("response_id", "question_id", "choice_id", "number", "text", "updated_at")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            copy_sql = f"COPY surveys_answer ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row((*row[:5], updated_at))
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO surveys_answer ({', '.join(columns)}) VALUES ({placeholders})",
                [(*row[:5], updated_at) for row in rows],
            )
    ticks = {(row[0], row[1]): row[5] for row in rows if len(row) > 5 and row[5]}
    if ticks:
        _insert_ticks(ticks)


def _insert_ticks(ticks: dict[tuple[int, int], tuple[int, ...]]) -> None:
    answer_ids = Answer.objects.filter(
        response_id__in={response for response, _ in ticks},
        question_id__in={question for _, question in ticks},
    ).values_list("response_id", "question_id", "pk")
    Ticked = Answer.ticked.through
    Ticked.objects.bulk_create(
        Ticked(answer_id=answer_id, choice_id=choice_id)
        for response_id, question_id, answer_id in answer_ids
        for choice_id in ticks.get((response_id, question_id), ())
    )


def fill_round(
    *,
    survey_round,
    team,
    members: list,
    plans: Sequence[QuestionPlan],
    profile: TeamProfile,
    round_index: int,
    rng: random.Random,
    submitted_at: datetime,
    draft_users: tuple = (),
    insert: bool = True,
) -> tuple[int, list[tuple]]:
    """Responses for one team and round, and their answer rows.

    Returns (responses created, answer rows); the rows are inserted unless
    `insert` is false, so callers can batch rows of many teams into fewer INSERTs.
    """
    respondents = [m for m in members if rng.random() < profile.participation or m in draft_users]
    responses = Response.objects.bulk_create(
        Response(
            round=survey_round,
            team=team,
            respondent=user,
            status=Response.Status.DRAFT if user in draft_users else Response.Status.SUBMITTED,
            started_at=submitted_at,
            updated_at=submitted_at,
            submitted_at=None if user in draft_users else submitted_at,
            last_page=1,
        )
        for user in respondents
    )
    first_categories = {p.category_id for p in plans[: len(plans) // 3]}
    rows: list[tuple] = []
    for response in responses:
        person = answers_for_person(plans=plans, profile=profile, round_index=round_index, rng=rng)
        if response.status == Response.Status.DRAFT:
            # A draft half-way through: only the first categories are answered.
            allowed = {p.pk for p in plans if p.category_id in first_categories}
            person = [row for row in person if row[0] in allowed]
        rows.extend((response.pk, *row) for row in person)
    if insert:
        insert_answers(rows, updated_at=submitted_at)
    return len(responses), rows


SYNTHETIC_PREFIX = "synthetic-"
SYNTHETIC_ROUND_PREFIX = "Synthetic "


@dataclass(frozen=True)
class GenerationReport:
    teams: int
    users: int
    rounds: int
    responses: int
    answers: int


def _quarter_starts(now: datetime, count: int) -> list[datetime]:
    start = now.replace(
        month=3 * ((now.month - 1) // 3) + 1, day=1, hour=9, minute=0, second=0, microsecond=0
    )
    starts = []
    for back in range(count, 0, -1):
        index = start.year * 12 + start.month - 1 - 3 * back
        starts.append(start.replace(year=index // 12, month=index % 12 + 1))
    return starts


def synthetic_delete() -> None:
    """Remove what generate_organisation made (teams, their users, its rounds)."""
    from django.contrib.auth.models import User

    from surveys.models import SurveyRound, Team

    SurveyRound.objects.filter(name__startswith=SYNTHETIC_ROUND_PREFIX).delete()
    Team.objects.filter(slug__startswith=SYNTHETIC_PREFIX).delete()
    User.objects.filter(username__startswith=SYNTHETIC_PREFIX).delete()


@contextmanager
def bulk_load(*tables: str) -> Iterator[None]:
    """On PostgreSQL, drop the tables' foreign keys and secondary indexes for a bulk load.

    The PostgreSQL manual's advice for populating a database: checking a
    foreign key row by row (Django's are deferred, so at commit) and keeping
    every index up to date while rows stream in costs far more than adding the
    constraint back, which checks every row in one join, and building each
    index once from sorted data. Both are put back, with their names and
    definitions unchanged, before the block ends; it must run inside the
    transaction that loads the rows, so an error rolls the drop back as well.
    Primary keys and unique constraints stay. Elsewhere it does nothing.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # Check the transaction's deferred foreign keys now: PostgreSQL refuses
        # to alter a table with trigger events still pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
            """,
            [list(tables)],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary AND NOT i.indisunique
            """,
            [list(tables)],
        )
        indexes = cursor.fetchall()
        qn = connection.ops.quote_name
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
        for table in tables:
            # Fresh statistics, so the score computation that follows plans
            # its reads for millions of rows rather than for an empty table.
            cursor.execute(f"ANALYZE {qn(table)}")


def _group_name(number: int, teams: int) -> str:
    """Ten groups up to 250 teams, then about 25 teams a group, as large companies have."""
    groups = max(10, teams // 25)
    index = number % groups
    return f"Group {chr(ord('A') + index)}" if groups <= 26 else f"Group {index + 1:02d}"


def generate_organisation(
    *, questionnaire, teams: int, rounds: int, respondents: int, seed: int = 1
) -> GenerationReport:
    """A synthetic organisation: teams x members, closed quarterly rounds, answers, scores.

    Bulk inserts throughout; scores are recomputed per round at the end.
    """
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from surveys.models import Membership, SurveyRound, Team

    rng = random.Random(seed)
    now = timezone.now()
    plans = question_plans(
        Question.objects.filter(questionnaire=questionnaire)
        .select_related("category")
        .prefetch_related("choices")
        .order_by("category__order", "order")
    )
    category_keys = sorted({p.category_key for p in plans})
    question_keys = [p.key for p in plans]
    starts = _quarter_starts(now, rounds)
    with transaction.atomic():
        team_objects = Team.objects.bulk_create(
            Team(
                name=f"Synthetic team {number:04d}",
                slug=f"{SYNTHETIC_PREFIX}{number:04d}",
                group=_group_name(number, teams),
            )
            for number in range(1, teams + 1)
        )
        users = User.objects.bulk_create(
            User(
                username=f"{team.slug}-{member:02d}",
                password="!",  # unusable: synthetic people never log in
                email=f"{team.slug}-{member:02d}@example.com",
            )
            for team in team_objects
            for member in range(1, respondents + 1)
        )
        members: dict[int, list] = {}
        for index, user in enumerate(users):
            members.setdefault(team_objects[index // respondents].pk, []).append(user)
        Membership.objects.bulk_create(
            Membership(user=user, team_id=team_id)
            for team_id, team_users in members.items()
            for user in team_users
        )
        # created_at is auto_now_add, which bulk_create fills with now: members
        # joined before the first round, or participation counts them in none.
        Membership.objects.filter(team__in=team_objects).update(created_at=starts[0])
        profiles = {
            team.pk: random_profile(rng, category_keys, question_keys) for team in team_objects
        }
        round_objects = []
        total_responses = total_answers = 0
        length = starts[1] - starts[0] if len(starts) > 1 else now - starts[0]
        with bulk_load("surveys_response", "surveys_answer", "surveys_answer_ticked"):
            for index, start in enumerate(starts):
                name = f"{SYNTHETIC_ROUND_PREFIX}{start.year} Q{(start.month - 1) // 3 + 1}"
                survey_round = SurveyRound.objects.create(
                    name=name,
                    slug=f"{SYNTHETIC_PREFIX}{start.year}-q{(start.month - 1) // 3 + 1}",
                    questionnaire=questionnaire,
                    opens_at=start,
                    closes_at=start + length / 3,
                    min_respondents=3,
                )
                survey_round.teams.set(team_objects)
                round_objects.append(survey_round)
                # All of the round's responses in one INSERT, then their answers.
                responses = Response.objects.bulk_create(
                    Response(
                        round=survey_round,
                        team=team,
                        respondent=user,
                        status=Response.Status.SUBMITTED,
                        started_at=start,
                        updated_at=start,
                        submitted_at=start,
                        last_page=1,
                    )
                    for team in team_objects
                    for user in members[team.pk]
                    if rng.random() < profiles[team.pk].participation
                )
                pending = [
                    (response.pk, *row)
                    for response in responses
                    for row in answers_for_person(
                        plans=plans, profile=profiles[response.team_id], round_index=index, rng=rng
                    )
                ]
                insert_answers(pending, updated_at=start)
                total_responses += len(responses)
                total_answers += len(pending)
    with transaction.atomic(), bulk_load(*(table.model._meta.db_table for table in TABLES)):
        for survey_round in round_objects:
            round_scores_recompute(survey_round=survey_round)
            # Who belonged at the close, as a facilitator's Close would record.
            round_members_record(survey_round=survey_round)
    return GenerationReport(
        teams=len(team_objects),
        users=len(users),
        rounds=len(round_objects),
        responses=total_responses,
        answers=total_answers,
    )
