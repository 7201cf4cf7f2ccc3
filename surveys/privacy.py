"""The privacy policy: the one place that decides who may see which figure.

Every view, chart, export, management command (and later the API) asks this
module; none of them decides on its own. The rules, and why each exists, are in
docs/privacy.md. In short:

1. **Results are released when a round closes.** While a round is open every
   viewer, the team included, sees participation only (counts; leads also see
   who has not submitted). Nothing computed from answers leaves the database.
2. **k applies to every viewer.** A figure of fewer than k submitted answers is
   withheld from everyone, marked as withheld, never shown as zero. k is the
   round's own, never below ``settings.SHIPSHAPE_MIN_K`` (at least 3).
3. **No figure is computed from a withheld group**: organisation and group
   figures leave withheld teams out (``reports.selectors`` does this).
4. **Distribution details** (minimum, quartiles, median, maximum, standard
   deviation) only where n >= 2k; below that mean, n and agreement only.
5. **Row-level answers** go to facilitators only, after close, only for teams
   with n >= k, never with free text, with aliases fresh for every download.
   Reflections (free text) appear only on the team's dashboard and in its retro
   pack, after close, n >= k, in random order.
6. **Team-level rights over a closed round follow membership at its close**
   (``surveys.models.RoundMember``), not today's memberships.
7. **Improvement actions belong to the team**: its members and leads of today
   and facilitators create, change and read them; managers see how many were
   planned and done, and the title and outcome only of actions the team made
   visible to managers. An action's outcome is a change of results, so it is
   shown only where both rounds' results are (rules 1, 2, 6).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F
from django.db.models.functions import Greatest
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format

from surveys.access import is_facilitator, is_manager
from surveys.models import Membership, RoundMember, SurveyRound, Team
from surveys.services import round_members_record

# --- the numbers -------------------------------------------------------------------


def min_group_size(survey_round: SurveyRound) -> int:
    """k for this round: the round's own, never below the server's floor."""
    return max(survey_round.min_respondents, settings.SHIPSHAPE_MIN_K)


def min_group_size_sql(round_path: str = "round"):
    """min_group_size as a database expression over a row's round, for filters
    that keep whole aggregates in SQL (same rule, same k)."""
    return Greatest(F(f"{round_path}__min_respondents"), settings.SHIPSHAPE_MIN_K)


def is_released(survey_round: SurveyRound, now: datetime | None = None) -> bool:
    """Results of a round exist for viewers only once it has closed."""
    return survey_round.is_closed(now)


def released(rounds: Iterable[SurveyRound], now: datetime | None = None) -> list[SurveyRound]:
    return [r for r in rounds if is_released(r, now)]


def release_message(survey_round: SurveyRound) -> str:
    closes = date_format(timezone.localtime(survey_round.closes_at), "j F Y, H:i")
    return (
        f"Results of {survey_round.name} appear when the round closes on {closes}. "
        "Until then only participation is shown, so that nobody can work out one "
        "person's answers from the results as they arrive."
    )


def is_withheld(n: int | None, survey_round: SurveyRound) -> bool:
    """True when a figure rests on fewer than k answers: nobody sees it."""
    return (n or 0) < min_group_size(survey_round)


def shows_distribution(n: int | None, survey_round: SurveyRound) -> bool:
    """Minimum, quartiles, maximum and spread only from 2k answers up.

    With n close to k, the five-number summary of n answers gives back every
    answer (n = 3, 4, 5); mean, n and agreement alone do not.
    """
    return (n or 0) >= 2 * min_group_size(survey_round)


def withheld_text(survey_round: SurveyRound) -> str:
    return f"withheld: fewer than {min_group_size(survey_round)} responses"


# --- who is asking -----------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """A person's standing, read once per request."""

    user_id: int | None
    is_manager: bool = False
    is_facilitator: bool = False
    team_ids: frozenset[int] = frozenset()  # today's memberships
    lead_team_ids: frozenset[int] = frozenset()
    # (round id, team id) pairs the person was a member of at the round's close,
    # filled in by ``with_members_at_close`` for the rounds a request reads.
    at_close: frozenset[tuple[int, int]] = field(default=frozenset())

    @classmethod
    def of(cls, user: User | AnonymousUser) -> "Viewer":
        if not user.is_authenticated:
            return cls(user_id=None)
        memberships = list(Membership.objects.filter(user=user).values_list("team_id", "role"))
        return cls(
            user_id=user.pk,
            is_manager=is_manager(user),
            is_facilitator=is_facilitator(user),
            team_ids=frozenset(team_id for team_id, _ in memberships),
            lead_team_ids=frozenset(
                team_id for team_id, role in memberships if role == Membership.Role.LEAD
            ),
        )

    @classmethod
    def administrator(cls) -> "Viewer":
        """Whoever runs management commands on the server: a facilitator's rights."""
        return cls(user_id=None, is_facilitator=True)

    @property
    def sees_every_team(self) -> bool:
        """Managers and facilitators see every team's released aggregates."""
        return self.is_manager or self.is_facilitator

    def with_members_at_close(self, rounds: Iterable[SurveyRound]) -> "Viewer":
        """This viewer, knowing which teams they belonged to when these rounds closed.

        Records the members of rounds that closed since anyone last looked
        (``record_members_at_close``), then reads the viewer's own records.
        """
        closed = record_members_at_close(rounds)
        if self.user_id is None or not closed:
            return self
        pairs = RoundMember.objects.filter(user_id=self.user_id, round__in=closed).values_list(
            "round_id", "team_id"
        )
        return Viewer(
            user_id=self.user_id,
            is_manager=self.is_manager,
            is_facilitator=self.is_facilitator,
            team_ids=self.team_ids,
            lead_team_ids=self.lead_team_ids,
            at_close=self.at_close | frozenset(pairs),
        )

    def was_member(self, team: Team, survey_round: SurveyRound) -> bool:
        return (survey_round.pk, team.pk) in self.at_close

    # -- the questions every page and export asks --

    def can_open_team(self, team: Team) -> bool:
        """The team's page: its members today, managers and facilitators."""
        return team.pk in self.team_ids or self.sees_every_team

    def sees_results(self, team: Team, survey_round: SurveyRound) -> bool:
        """Aggregates of this team in this round (each still subject to k)."""
        if not is_released(survey_round):
            return False
        return self.sees_every_team or self.was_member(team, survey_round)

    def sees_participation(self, team: Team, survey_round: SurveyRound) -> bool:
        """Counts of a team in a round: its members while the round has not closed, then
        those who were members at the close; managers and facilitators always."""
        if self.sees_every_team:
            return True
        if survey_round.is_closed():
            return self.was_member(team, survey_round)
        return team.pk in self.team_ids

    def sees_reflections(self, team: Team, survey_round: SurveyRound, submitted: int) -> bool:
        """Free text: the team as it was at close and facilitators, after close, n >= k."""
        return (
            is_released(survey_round)
            and not is_withheld(submitted, survey_round)
            and (self.is_facilitator or self.was_member(team, survey_round))
        )

    def sees_answer_rows(self) -> bool:
        """Row-level (pseudonymous) answers: facilitators only; the round and k decide the rest."""
        return self.is_facilitator

    def manages_actions(self, team: Team) -> bool:
        """Create, change and read the team's improvement actions: members today, facilitators."""
        return team.pk in self.team_ids or self.is_facilitator

    def sees_action(self, team: Team, *, visible_to_managers: bool) -> bool:
        """One action's title, description and outcome (everyone on the team page sees counts)."""
        return self.manages_actions(team) or (self.is_manager and visible_to_managers)

    def sees_non_submitters(self, team: Team, survey_round: SurveyRound) -> bool:
        """Names of who has not submitted: the team's leads, while the round is open."""
        return team.pk in self.lead_team_ids and survey_round.is_open()


def record_members_at_close(rounds: Iterable[SurveyRound]) -> list[SurveyRound]:
    """Make sure every closed one of these rounds has its members at close recorded.

    Returns the closed rounds. One query to find rounds that closed on their own
    since anyone last looked, plus a few per such round (once in its life).
    """
    closed = released(rounds)
    if closed:
        missing = set(
            SurveyRound.objects.filter(
                pk__in=[r.pk for r in closed], close_record__isnull=True
            ).values_list("pk", flat=True)
        )
        for survey_round in closed:
            if survey_round.pk in missing:
                round_members_record(survey_round=survey_round)
    return closed


def team_for(viewer: Viewer, team_slug: str) -> Team:
    """The team, if the viewer may open its page; otherwise 404 (existence not revealed)."""
    team = get_object_or_404(Team, slug=team_slug)
    if not viewer.can_open_team(team):
        raise Http404("No such team.")
    return team


def require_org_viewer(viewer: Viewer) -> None:
    """The organisation dashboard is for managers and facilitators."""
    if not viewer.sees_every_team:
        raise Http404("No such page.")
