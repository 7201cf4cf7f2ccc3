"""Reads for the answering side: what a person sees of their own surveys."""

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.utils import timezone

from assessment import versions
from assessment.db import (
    Statement,
    fetch_rows,
    model_columns,
    model_instances,
    select_list,
)
from assessment.kinds import KINDS
from assessment.models import Question, Questionnaire
from surveys.models import Answer, Membership, Response, RoundMember, SurveyRound, Team


@dataclass(frozen=True)
class SurveyRow:
    survey_round: SurveyRound
    team: Team
    response: Response | None
    answered: int
    total: int

    @property
    def status_label(self) -> str:
        if self.response is None:
            return "Not started"
        if self.response.is_submitted:
            return "Submitted"
        return f"Draft, {self.answered} of {self.total} answered"


@dataclass(frozen=True)
class Participation:
    """How many of a team took part in a round. Counts only, never who answered what.

    ``invited`` is the team's members at the round's close once it has closed
    (``RoundMember``), and today's members while it is open or upcoming.
    """

    invited: int = 0
    submitted: int = 0
    drafts: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.submitted / self.invited if self.invited else None


def participation(
    rounds: Iterable[SurveyRound], team_ids: Iterable[int] | QuerySet | None = None, *, now=None
) -> dict[tuple[int, int], Participation]:
    """(round id, team id) -> Participation for the teams taking part in these rounds.

    The one read of participation: dashboards, the round page, exports and
    commands all use it, so they cannot disagree. At most four queries whatever
    the number of rounds and teams: round-team links, members at close, today's
    members (skipped when every round has closed), responses by status. Closed
    rounds must have their members at close recorded
    (``surveys.services.round_members_record``) before this.
    ``team_ids`` may be a queryset of ids; the teams reach the other three
    queries as a subquery, never as a list of a thousand parameters.
    """
    now = now or timezone.now()
    rounds = list(rounds)
    if not rounds:
        return {}
    links = SurveyRound.teams.through.objects.filter(surveyround__in=rounds)
    if team_ids is not None:
        links = links.filter(
            team_id__in=team_ids if isinstance(team_ids, QuerySet) else list(team_ids)
        )
    pairs = list(links.values_list("surveyround_id", "team_id"))
    teams = links.values("team_id")
    closed = {r.pk for r in rounds if r.is_closed(now)}
    at_close = {
        (round_id, team_id): n
        for round_id, team_id, n in RoundMember.objects.filter(
            round_id__in=closed, team_id__in=teams
        )
        .order_by()
        .values_list("round_id", "team_id")
        .annotate(n=Count("pk"))
    }
    today = (
        dict(
            Membership.objects.filter(team_id__in=teams)
            .order_by()
            .values_list("team_id")
            .annotate(n=Count("pk"))
        )
        if len(closed) < len(rounds)
        else {}  # every round closed: nobody is counted by today's membership
    )
    by_status = {
        (round_id, team_id, status): n
        for round_id, team_id, status, n in Response.objects.filter(
            round__in=rounds, team_id__in=teams
        )
        .order_by()
        .values_list("round_id", "team_id", "status")
        .annotate(n=Count("pk"))
    }
    return {
        (round_id, team_id): Participation(
            invited=(
                at_close.get((round_id, team_id), 0)
                if round_id in closed
                else today.get(team_id, 0)
            ),
            submitted=by_status.get((round_id, team_id, Response.Status.SUBMITTED), 0),
            drafts=by_status.get((round_id, team_id, Response.Status.DRAFT), 0),
        )
        for round_id, team_id in pairs
    }


def participation_by_group(
    survey_round: SurveyRound, *, now=None
) -> dict[str, tuple[int, Participation]]:
    """Team group ("" for none) -> (the round's teams in it, their Participation summed).

    The same counts as ``participation`` summed over each group's teams, with the
    same rule for who was invited, counted by the database: for the organisation
    page of a thousand teams, which shows a row per group, not per team. Three
    queries: teams, members (at the close, or today's while open), responses.
    """
    now = now or timezone.now()
    teams = SurveyRound.teams.through.objects.filter(surveyround=survey_round).values("team_id")
    per_group = dict(
        Team.objects.filter(pk__in=teams).order_by().values_list("group").annotate(n=Count("pk"))
    )
    if survey_round.is_closed(now):
        members = RoundMember.objects.filter(round=survey_round, team_id__in=teams)
    else:
        members = Membership.objects.filter(team_id__in=teams)
    invited = dict(members.order_by().values_list("team__group").annotate(n=Count("pk")))
    by_status = {
        (group, status): n
        for group, status, n in Response.objects.filter(round=survey_round, team_id__in=teams)
        .order_by()
        .values_list("team__group", "status")
        .annotate(n=Count("pk"))
    }
    return {
        group: (
            n,
            Participation(
                invited=invited.get(group, 0),
                submitted=by_status.get((group, Response.Status.SUBMITTED), 0),
                drafts=by_status.get((group, Response.Status.DRAFT), 0),
            ),
        )
        for group, n in per_group.items()
    }


@dataclass(frozen=True)
class TeamParticipation:
    survey_round: SurveyRound
    team: Team
    invited: int
    submitted: int
    not_submitted: list[str]


def my_surveys(user: User, now=None) -> dict:
    """Open rounds for each of the user's teams, and closed rounds they took part in.

    Queries: memberships, rounds for those teams, the user's responses with
    answer counts, question counts per questionnaire.
    """
    now = now or timezone.now()
    memberships = list(Membership.objects.filter(user=user).select_related("team"))
    teams = {m.team_id: m.team for m in memberships}
    round_teams = list(
        SurveyRound.teams.through.objects.filter(team_id__in=teams, surveyround__opens_at__lte=now)
        .select_related("surveyround__questionnaire")
        .order_by("-surveyround__opens_at", "team_id")
    )
    responses = {
        (r.round_id, r.team_id): r
        for r in Response.objects.filter(respondent=user).annotate(
            answered=Count("answers", distinct=True)
        )
    }
    questionnaire_ids = {rt.surveyround.questionnaire_id for rt in round_teams}
    totals = dict(
        Question.objects.filter(questionnaire_id__in=questionnaire_ids)
        .values_list("questionnaire_id")
        .annotate(n=Count("pk"))
    )
    open_rows, past_rows = [], []
    for rt in round_teams:
        survey_round = rt.surveyround
        response = responses.get((survey_round.pk, rt.team_id))
        row = SurveyRow(
            survey_round=survey_round,
            team=teams[rt.team_id],
            response=response,
            answered=getattr(response, "answered", 0),
            total=totals.get(survey_round.questionnaire_id, 0),
        )
        if survey_round.is_open(now):
            open_rows.append(row)
        elif response is not None and response.is_submitted:
            past_rows.append(row)
    return {"open": open_rows, "past": past_rows, "memberships": memberships}


def lead_participation(user: User, now=None) -> list[TeamParticipation]:
    """For teams the user leads: who has not submitted in each open round.

    Leads may see names of who has not answered (to nudge them); never what
    anyone answered. Counts come from ``participation`` and names from
    ``not_submitted``, the reads every other page uses: one query when the user
    leads no team, seven whatever the number of teams and rounds otherwise.
    """
    now = now or timezone.now()
    led = list(
        Team.objects.filter(memberships__user=user, memberships__role=Membership.Role.LEAD)
        .prefetch_related(
            Prefetch(
                "rounds",
                queryset=SurveyRound.objects.filter(opens_at__lte=now, closes_at__gt=now),
                to_attr="open_rounds",
            ),
        )
        .order_by("name")
    )
    rounds = {r.pk: r for team in led for r in team.open_rounds}
    if not rounds:
        return []
    team_ids = [team.pk for team in led]
    counts = participation(rounds.values(), team_ids, now=now)
    pending = not_submitted(rounds.values(), team_ids)
    return [
        TeamParticipation(
            survey_round=survey_round,
            team=team,
            invited=counts[survey_round.pk, team.pk].invited,
            submitted=counts[survey_round.pk, team.pk].submitted,
            not_submitted=[
                member.get_full_name() or member.username
                for member in pending[survey_round.pk, team.pk]
            ],
        )
        for team in led
        for survey_round in team.open_rounds
    ]


# The models member_survey() reads, with the alias each has in its statement.
_MEMBER_SURVEY_MODELS = ((SurveyRound, "r"), (Questionnaire, "q"), (Team, "t"), (Response, "resp"))


@functools.cache
def _member_survey_statement(alias: str, vendor: str) -> Statement:
    """member_survey()'s SQL, written once per process from the models' metadata.

    Every answering request runs this lookup. Built by the ORM (the link
    table filtered by both slugs and the membership, four select_related
    models and a FilteredRelation for the response) it cost about 6 ms of CPU
    a request on the benchmark machine, most of it compiling the same
    statement again; written out once it costs the execution alone
    (docs/performance.md, "Answering: issue 12"). Tables and columns come from
    the models, so a new field is selected without touching this.
    """
    qn = connection.ops.quote_name
    link = SurveyRound._meta.get_field("teams")

    def column(model, name):
        return qn(model._meta.get_field(name).column)

    def pk(model):
        return qn(model._meta.pk.column)

    columns = model_columns(_MEMBER_SURVEY_MODELS)
    sql = (
        f"SELECT {select_list(columns)} FROM {qn(link.m2m_db_table())} link"
        f" INNER JOIN {qn(SurveyRound._meta.db_table)} r"
        f" ON r.{pk(SurveyRound)} = link.{qn(link.m2m_column_name())}"
        f" INNER JOIN {qn(Questionnaire._meta.db_table)} q"
        f" ON q.{pk(Questionnaire)} = r.{column(SurveyRound, 'questionnaire')}"
        f" INNER JOIN {qn(Team._meta.db_table)} t"
        f" ON t.{pk(Team)} = link.{qn(link.m2m_reverse_name())}"
        f" INNER JOIN {qn(Membership._meta.db_table)} m"
        f" ON m.{column(Membership, 'team')} = t.{pk(Team)}"
        f" AND m.{column(Membership, 'user')} = %s"
        f" LEFT OUTER JOIN {qn(Response._meta.db_table)} resp"
        f" ON resp.{column(Response, 'round')} = r.{pk(SurveyRound)}"
        f" AND resp.{column(Response, 'team')} = t.{pk(Team)}"
        f" AND resp.{column(Response, 'respondent')} = %s"
        f" WHERE r.{column(SurveyRound, 'slug')} = %s AND t.{column(Team, 'slug')} = %s"
        # At most one row: unique slugs, memberships and responses.
        " LIMIT 1"
    )
    return Statement(sql=sql, columns=columns)


def member_survey(
    user: User, round_slug: str, team_slug: str
) -> tuple[SurveyRound, Team, Response | None] | None:
    """The round (with its questionnaire), the team and the user's response in it.

    None unless the user is a member of the team and the team takes part in
    the round. One query: the round's link to the team, joined to the round,
    its questionnaire, the team and the user's membership, and the user's
    response as a left join (None before they start). The values pass through
    the same converters as the ORM's (SQLite's dates and booleans, JSON).
    """
    if not user.is_authenticated:
        return None
    statement = _member_survey_statement(connection.alias, connection.vendor)
    rows = fetch_rows(statement, [user.pk, user.pk, round_slug, team_slug])
    if not rows:
        return None
    instances = model_instances(rows[0], _MEMBER_SURVEY_MODELS)
    survey_round, questionnaire, team, response = instances
    survey_round.questionnaire = questionnaire
    if response is not None:
        response.round, response.team, response.respondent = survey_round, team, user
    return survey_round, team, response


@functools.cache
def _page_answers_statement(alias: str, vendor: str) -> Statement:
    # The answer's columns, then its question's kind.
    columns = (
        *model_columns([(Answer, "a")]),
        Question._meta.get_field("kind").get_col("question"),
    )
    qn = connection.ops.quote_name
    sql = (
        f"SELECT {select_list(columns)} FROM {qn(Answer._meta.db_table)} a"
        f" INNER JOIN {qn(Question._meta.db_table)} question"
        f" ON question.{qn(Question._meta.pk.column)}"
        f" = a.{qn(Answer._meta.get_field('question').column)}"
        f" WHERE a.{qn(Answer._meta.get_field('response').column)} = %s"
        f" AND question.{qn(Question._meta.get_field('category').column)} = %s"
    )
    return Statement(sql=sql, columns=columns)


def page_answers(response: Response, category) -> dict[int, Answer]:
    """The response's answers to one category's questions (one page), by question id.

    One query on every answering page view; like member_survey() its statement
    is written once per process, a third of the cost of building the queryset
    each time. Each answer's ``response`` is the one given. The ticks of the
    page's checklist answers come with them (``answer.ticked.all()``), in one
    more query when the page has any, however many checklists it holds.
    """
    statement = _page_answers_statement(connection.alias, connection.vendor)
    answers, ticked = {}, []
    for row in fetch_rows(statement, [response.pk, category.pk]):
        (answer,) = model_instances(row, [(Answer, "a")])
        answer.response = response
        answers[answer.question_id] = answer
        if KINDS[row[-1]].multiple and answer.number and answer.choice_id is None:
            ticked.append(answer)
    prefetch_related_objects(ticked, "ticked")
    return answers


def answered_question_ids(response: Response) -> set[int]:
    # order_by(): Answer's default ordering would join four tables only to sort.
    return set(response.answers.order_by().values_list("question_id", flat=True))


def not_submitted(
    rounds: Iterable[SurveyRound], team_ids: Iterable[int]
) -> dict[tuple[int, int], list[User]]:
    """(round id, team id) -> members who have not submitted, by name, for every pair.

    Names: only for the teams a caller's policy allows (``Viewer.sees_non_submitters``).
    Two queries (the teams' members, the submitted responses) whatever the
    number of rounds and teams; none if there are no teams.
    """
    rounds, team_ids = list(rounds), list(team_ids)
    if not rounds or not team_ids:
        return {}
    members: dict[int, list[User]] = {team_id: [] for team_id in team_ids}
    for membership in (
        Membership.objects.filter(team_id__in=team_ids)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    ):
        members[membership.team_id].append(membership.user)
    submitted = set(
        Response.objects.submitted()
        .filter(round__in=rounds, team_id__in=team_ids)
        .order_by()
        .values_list("round_id", "team_id", "respondent_id")
    )
    return {
        (survey_round.pk, team_id): [
            user for user in users if (survey_round.pk, team_id, user.pk) not in submitted
        ]
        for survey_round in rounds
        for team_id, users in members.items()
    }


def team_members(team: Team):
    """A team's memberships with their users: leads first, then by name."""
    return team.memberships.select_related("user").order_by(
        "role", "user__first_name", "user__last_name", "user__username"
    )


@dataclass(frozen=True)
class QuestionnaireVersion:
    questionnaire: Questionnaire
    questions: int
    answered: bool  # a published version with answers can never change
    rounds: list[SurveyRound]

    @property
    def status(self) -> str:
        if not self.questionnaire.is_published:
            return "Draft"
        return "Published, answered" if self.answered else "Published"


def questionnaire_versions() -> list[QuestionnaireVersion]:
    """Every questionnaire version, newest first within each questionnaire (three queries)."""
    versions = (
        Questionnaire.objects.annotate(
            question_count=Count("questions", distinct=True),
            answered=Exists(Answer.objects.filter(question__questionnaire=OuterRef("pk"))),
        )
        .prefetch_related(Prefetch("rounds", queryset=SurveyRound.objects.order_by("-opens_at")))
        .order_by("slug", "-version")
    )
    return [
        QuestionnaireVersion(
            questionnaire=q,
            questions=q.question_count,
            answered=q.answered,
            rounds=list(q.rounds.all()),
        )
        for q in versions
    ]


def rounds_using(questionnaire: Questionnaire) -> list[SurveyRound]:
    return list(SurveyRound.objects.filter(questionnaire=questionnaire).order_by("-opens_at"))


@dataclass(frozen=True)
class VersionChanges:
    """What the newest published version changes against the last round's version."""

    last_round: SurveyRound
    newest: Questionnaire
    changes: list  # assessment.versions.QuestionChange


def changes_since_last_round() -> VersionChanges | None:
    """None when there is no round yet, or the last round already used the newest version."""
    last_round = SurveyRound.objects.select_related("questionnaire").order_by("-opens_at").first()
    if last_round is None:
        return None
    newest = (
        Questionnaire.objects.published()
        .filter(slug=last_round.questionnaire.slug)
        .order_by("-version")
        .first()
    )
    if newest is None or newest.version <= last_round.questionnaire.version:
        return None
    return VersionChanges(
        last_round=last_round,
        newest=newest,
        changes=versions.questionnaire_diff(last_round.questionnaire, newest),
    )


def teams_with_counts():
    """Teams with their number of members and of leads (one query), by name."""
    return Team.objects.annotate(
        member_count=Count("memberships"),
        lead_count=Count("memberships", filter=Q(memberships__role=Membership.Role.LEAD)),
    ).order_by("name")


def rounds_seen_by(user_id: int | None, team_ids: Iterable[int], *, every_team: bool):
    """Rounds a person may list: every round for managers and facilitators; otherwise
    the rounds of their teams today and of the teams they were in at a round's close."""
    rounds = SurveyRound.objects.select_related("questionnaire")
    if every_team:
        return rounds
    seen = Q(teams__in=list(team_ids))
    if user_id is not None:
        seen |= Q(members_at_close__user_id=user_id)
    return rounds.filter(pk__in=SurveyRound.objects.filter(seen).values("pk"))
