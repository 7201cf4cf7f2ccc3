"""Who may see which results. Views and exports call these before reading anything.

- Members and leads of a team: that team's dashboard, reflections and exports,
  with n shown even below k (they gave the answers).
- Managers: every team's aggregates and the organisation view; never reflections
  or answer-level rows; teams under k are withheld.
- Facilitators: everything managers see, plus reflections and answer-level
  exports of any team (anonymous), to run retrospectives.
Another team's pages answer 404, so their existence is not revealed either.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.http import Http404
from django.shortcuts import get_object_or_404

from surveys.access import is_facilitator, is_manager
from surveys.models import Membership, Team


@dataclass(frozen=True)
class TeamAccess:
    team: Team
    is_member: bool  # member or lead of this team
    is_manager: bool
    is_facilitator: bool

    @property
    def can_see_reflections(self) -> bool:
        return self.is_member or self.is_facilitator

    @property
    def can_export_answers(self) -> bool:
        """Answer-level (anonymous) rows: the team itself and facilitators."""
        return self.is_member or self.is_facilitator


def team_access(user: User, team_slug: str) -> TeamAccess:
    """The team and the viewer's rights on it, or 404 if the viewer has none."""
    team = get_object_or_404(Team, slug=team_slug)
    member = Membership.objects.filter(team=team, user=user).exists()
    manager, facilitator = is_manager(user), is_facilitator(user)
    if not (member or manager or facilitator):
        raise Http404("No such team.")
    return TeamAccess(team=team, is_member=member, is_manager=manager, is_facilitator=facilitator)


def require_org_viewer(user: User) -> None:
    """The organisation dashboard is for managers and facilitators."""
    if not (is_manager(user) or is_facilitator(user)):
        raise Http404("No such page.")


def member_team_ids(user: User) -> set[int]:
    return set(Membership.objects.filter(user=user).values_list("team_id", flat=True))
