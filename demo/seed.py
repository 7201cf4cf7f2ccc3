"""The demo organisation behind `make run` (management command `seed_demo`)."""

import random
from datetime import datetime, timedelta
from functools import cache

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from actions.models import Action, ActionStatusChange
from actions.services import action_create
from assessment.models import Question, Questionnaire
from demo.synthetic import fill_round, question_plans, random_profile
from notifications.models import Delivery, Notice
from notifications.services import round_schedule
from reports.cache import bump_done_actions_version
from reports.models import TeamQuestionScore
from reports.services import round_scores_recompute
from surveys.access import FACILITATORS_GROUP, MANAGERS_GROUP, role_group
from surveys.models import Membership, SurveyRound, Team

DEMO_QUESTIONNAIRE = "devops-maturity"

DEMO_PASSWORD = "demo"
DEMO_LOGINS = (
    ("member", "team member of Payments"),
    ("lead", "lead of Payments"),
    ("manager", "manager: organisation dashboards"),
    ("facilitator", "facilitator: runs rounds, exports results"),
    ("admin", "staff admin: Django admin"),
)
# (name, group, team size including the named demo users)
DEMO_TEAMS = (
    ("Payments", "Commerce", 7),
    ("Checkout", "Commerce", 6),
    ("Platform", "Core", 8),
    ("Identity", "Core", 5),
    ("Mobile", "Product", 6),
    ("Data", "Product", 7),
)


@cache
def _demo_password_hash() -> str:
    # Hashing is slow on purpose; the demo's forty-odd users share one hash.
    return make_password(DEMO_PASSWORD)


def _user(username: str, *, first_name: str = "", **flags) -> User:
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "email": f"{username}@example.com",
            "password": _demo_password_hash(),
            **flags,
        },
    )
    return user


@transaction.atomic
def seed_demo_people() -> dict[str, Team]:
    """Users, teams and memberships; safe to run again."""
    teams = {}
    for name, group, size in DEMO_TEAMS:
        team, _ = Team.objects.get_or_create(
            slug=name.lower(), defaults={"name": name, "group": group}
        )
        teams[name] = team
        for number in range(1, size + 1):
            user = _user(f"{team.slug}-{number}", first_name=f"{name} {number}")
            Membership.objects.get_or_create(user=user, team=team)

    payments = teams["Payments"]
    member = _user("member", first_name="Morgan")
    lead = _user("lead", first_name="Lee")
    Membership.objects.get_or_create(user=member, team=payments)
    Membership.objects.update_or_create(
        user=lead, team=payments, defaults={"role": Membership.Role.LEAD}
    )
    for name, team in teams.items():
        if name != "Payments":
            first = User.objects.get(username=f"{team.slug}-1")
            Membership.objects.filter(user=first, team=team).update(role=Membership.Role.LEAD)

    _user("manager", first_name="Maya").groups.add(role_group(MANAGERS_GROUP))
    _user("facilitator", first_name="Fran").groups.add(role_group(FACILITATORS_GROUP))
    _user("admin", first_name="Ada", is_staff=True, is_superuser=True)
    return teams


# Each demo team tells a story on the dashboards:
# (typical level, change per quarter, disagreement, don't-know rate, participation)
DEMO_PROFILES = {
    "Payments": (1.3, 0.14, 0.5, 0.04, 0.9),  # improving steadily
    "Checkout": (1.6, 0.06, 0.4, 0.03, 0.85),
    "Platform": (2.6, 0.03, 0.35, 0.02, 0.95),  # mature and stable
    "Identity": (2.4, -0.09, 0.6, 0.05, 0.8),  # regressing
    "Mobile": (0.9, 0.17, 0.55, 0.10, 0.85),  # starting low, improving fast
    "Data": (1.9, 0.05, 1.2, 0.12, 0.9),  # wide disagreement, many don't-knows
}
PAST_ROUNDS = 8


def _quarter_start(moment: datetime) -> datetime:
    return moment.replace(
        month=3 * ((moment.month - 1) // 3) + 1, day=1, hour=9, minute=0, second=0, microsecond=0
    )


def _shift_quarters(start: datetime, quarters: int) -> datetime:
    month_index = start.year * 12 + start.month - 1 + 3 * quarters
    return start.replace(year=month_index // 12, month=month_index % 12 + 1)


def _quarter_name(start: datetime) -> str:
    return f"{start.year} Q{(start.month - 1) // 3 + 1}"


def _demo_questionnaires() -> list[Questionnaire]:
    """The published versions of the demo questionnaire, oldest first."""
    versions = list(
        Questionnaire.objects.published().filter(slug=DEMO_QUESTIONNAIRE).order_by("version")
    )
    if not versions:
        raise LookupError(
            f"Load the questionnaire first: python manage.py load_questionnaire "
            f"fixtures/questionnaires/{DEMO_QUESTIONNAIRE}-v1.yaml"
        )
    return versions


# The last closed round and the open one use the newest version, the rounds
# before the oldest: the dashboards show a questionnaire change.
NEWEST_VERSION_ROUNDS = 2


def _plans(questionnaire: Questionnaire):
    return question_plans(
        Question.objects.filter(questionnaire=questionnaire)
        .select_related("category")
        .prefetch_related("choices")
        .order_by("category__order", "order")
    )


def seed_demo_rounds(
    teams: dict[str, Team], questionnaires: list[Questionnaire]
) -> tuple[int, int]:
    """Eight closed quarterly rounds with submitted answers and one open round.

    With two published versions, the last two rounds use the newer one.
    """
    now = timezone.now()
    current = _quarter_start(now)
    oldest, newest = questionnaires[0], questionnaires[-1]
    plans_of = {q.pk: _plans(q) for q in (oldest, newest)}
    # One profile per team across versions: the keys of both, in a fixed order.
    all_plans = plans_of[oldest.pk] + plans_of[newest.pk]
    category_keys = sorted({p.category_key for p in all_plans})
    question_keys = list(dict.fromkeys(p.key for p in all_plans))
    member = User.objects.get(username="member")
    lead = User.objects.get(username="lead")
    created_rounds = created_answers = 0
    for index in range(PAST_ROUNDS + 1):
        start = _shift_quarters(current, index - PAST_ROUNDS)
        name = _quarter_name(start)
        if SurveyRound.objects.filter(name=name).exists():
            continue
        is_current = index == PAST_ROUNDS
        questionnaire = newest if index > PAST_ROUNDS - NEWEST_VERSION_ROUNDS else oldest
        plans = plans_of[questionnaire.pk]
        opens_at = min(start, now - timedelta(days=1)) if is_current else start + timedelta(days=45)
        closes_at = _shift_quarters(start, 1) if is_current else opens_at + timedelta(days=21)
        with transaction.atomic():
            survey_round = SurveyRound.objects.create(
                name=name,
                slug=slugify(name),
                questionnaire=questionnaire,
                opens_at=opens_at,
                closes_at=closes_at,
                min_respondents=3,
            )
            survey_round.teams.set(teams.values())
            for team_name, team in teams.items():
                rng = random.Random(f"{team_name}-{name}")
                profile_rng = random.Random(team_name)
                profile = random_profile(profile_rng, category_keys, question_keys)
                (
                    profile.base,
                    profile.trend,
                    profile.spread,
                    profile.dont_know,
                    profile.participation,
                ) = DEMO_PROFILES[team_name]
                members = [m.user for m in team.memberships.select_related("user")]
                if is_current:
                    # The open round is under way: a few have submitted, the
                    # demo member has a draft, the rest have not started.
                    profile.participation = 0.45
                    draft_users = (member,) if team_name == "Payments" else ()
                    members = [u for u in members if u != lead]
                else:
                    draft_users = ()
                _, rows = fill_round(
                    survey_round=survey_round,
                    team=team,
                    members=members,
                    plans=plans,
                    profile=profile,
                    round_index=index,
                    rng=rng,
                    submitted_at=min(opens_at + timedelta(days=rng.randint(1, 14)), now),
                    draft_users=draft_users,
                )
                created_answers += len(rows)
            round_scores_recompute(survey_round=survey_round)
            if is_current:
                seed_demo_notifications(survey_round)
        created_rounds += 1
    return created_rounds, created_answers


def seed_demo_notifications(survey_round: SurveyRound) -> None:
    """The open round's schedule, with its round-opened email recorded as sent.

    The demo round opened before the demo existed, so its announcement is
    recorded rather than sent: `make run`'s worker then sends only what falls
    due from now on (reminders, closing tomorrow, results ready), to the console.
    """
    round_schedule(survey_round=survey_round)
    opened = Notice.objects.get(round=survey_round, kind=Notice.Kind.ROUND_OPENED)
    opened.state, opened.fired_at = Notice.State.FIRED, survey_round.opens_at
    opened.note = "Recorded by the demo."
    opened.save(update_fields=["state", "fired_at", "note"])
    members = User.objects.filter(memberships__team__rounds=survey_round).distinct()
    Delivery.objects.bulk_create(
        Delivery(
            notice=opened,
            channel=Delivery.Channel.EMAIL,
            user=user,
            status=Delivery.Status.SENT,
            attempts=1,
            sent_at=survey_round.opens_at,
        )
        for user in members
    )


def seed_demo() -> str:
    questionnaires = _demo_questionnaires()
    first_seed = not Team.objects.filter(
        slug__in=[name.lower() for name, *_ in DEMO_TEAMS]
    ).exists()
    teams = seed_demo_people()
    if first_seed:
        # The demo's people have "been there" since before the first demo round,
        # so participation rates of past rounds count them.
        joined = _shift_quarters(_quarter_start(timezone.now()), -PAST_ROUNDS - 1)
        Membership.objects.filter(team__in=teams.values()).update(created_at=joined)
    rounds, answers = seed_demo_rounds(teams, questionnaires)
    actions = seed_demo_actions(teams)
    if rounds:
        return (
            f"Demo organisation ready: {len(teams)} teams, "
            f"{rounds} rounds created, {answers} answers, {actions} improvement actions."
        )
    return f"Demo organisation already in place: {len(teams)} teams."


def _question_deltas(team: Team, before: SurveyRound, after: SurveyRound) -> list[tuple]:
    """(delta, key, category key) of the team's questions answered by 3+ in both rounds."""
    scores = {
        (row.round_id, row.question_key): row
        for row in TeamQuestionScore.objects.filter(
            team=team, round__in=[before, after], answered__gte=3, mean__isnull=False
        )
    }
    return sorted(
        (scores[(after.pk, key)].mean - row.mean, key, row.category_key)
        for (round_id, key), row in scores.items()
        if round_id == before.pk and (after.pk, key) in scores
    )


def _demo_action(team, raised_in, key, category, title, status, *, by, done_in=None, **fields):
    action = action_create(
        team=team,
        raised_in=raised_in,
        title=title,
        category_key=category,
        question_keys=[key] if key else [],
        by=by,
        **fields,
    )
    planned_at = raised_in.closes_at + timedelta(days=3)
    Action.objects.filter(pk=action.pk).update(created_at=planned_at, updated_at=planned_at)
    ActionStatusChange.objects.filter(action=action).update(changed_at=planned_at)
    if status != Action.Status.PLANNED:
        changed_at = (done_in.opens_at if done_in else planned_at) + timedelta(days=2)
        Action.objects.filter(pk=action.pk).update(status=status, done_in=done_in)
        bump_done_actions_version()  # update() sends no post_save
        ActionStatusChange.objects.create(
            action=action,
            changed_by=by,
            changed_at=changed_at,
            from_status=Action.Status.PLANNED,
            to_status=status,
        )
    return action


@transaction.atomic
def seed_demo_actions(teams: dict[str, Team]) -> int:
    """A few improvement actions over the last closed rounds: some worked, some did not.

    Targets are picked from the demo's own scores, so that on the dashboards one
    done action shows a change beyond the noise and another shows none. Once only.
    """
    if Action.objects.filter(team__in=teams.values()).exists():
        return 0
    closed = list(SurveyRound.objects.closed().order_by("opens_at"))
    upcoming = SurveyRound.objects.filter(closes_at__gt=timezone.now()).order_by("opens_at").first()
    if len(closed) < 3:
        return 0
    older, previous, latest = closed[-3:]
    lead = User.objects.get(username="lead")
    member = User.objects.get(username="member")
    created = 0
    for name in ("Payments", "Checkout", "Mobile"):
        team = teams[name]
        by = lead if name == "Payments" else team.memberships.filter(role="lead").first().user
        deltas = _question_deltas(team, previous, latest)
        if len(deltas) < 2:
            continue
        _, best_key, best_category = deltas[-1]
        _, flat_key, flat_category = min(deltas, key=lambda d: abs(d[0]))
        _demo_action(
            team,
            previous,
            best_key,
            best_category,
            "Make it a team habit, not a hero's job",
            Action.Status.DONE,
            by=by,
            done_in=latest,
            visible_to_managers=True,
        )
        _demo_action(
            team,
            previous,
            flat_key,
            flat_category,
            "Write down how we do it today",
            Action.Status.DONE,
            by=by,
            done_in=latest,
        )
        created += 2
        if name != "Payments":
            continue
        _demo_action(
            team,
            older,
            None,
            "incident-response",
            "Practise an incident drill every quarter",
            Action.Status.IN_PROGRESS,
            by=lead,
            owner=lead,
            visible_to_managers=True,
        )
        _demo_action(
            team,
            older,
            None,
            "observability",
            "Replace the noisy alerts",
            Action.Status.DROPPED,
            by=lead,
        )
        _demo_action(
            team,
            latest,
            "cicd-automated-tests",
            "ci-cd",
            "Quarantine flaky tests the day they fail",
            Action.Status.PLANNED,
            by=member,
            owner=member,
            target_round=upcoming,
        )
        created += 3
    return created
