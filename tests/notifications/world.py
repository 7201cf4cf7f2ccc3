"""A small organisation with one round for the notification tests.

Payments: ana, ben, cat, dan (members) and lena (lead): five people, k = 3.
Search: sam and sue: two people, so its results are always withheld.
fran is a facilitator, maggie a manager; neither is in a team. The round is
created through surveys.services, so notifications schedules it as in real use.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.models import User

from surveys.models import Membership, SurveyRound, Team
from surveys.services import round_create
from tests.factories import (
    MembershipFactory,
    TeamFactory,
    UserFactory,
    load_questionnaire,
    make_facilitator,
    make_manager,
    submit,
    uniform,
)

CREATED = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
OPENS = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
CLOSES = datetime(2026, 4, 20, 17, 0, tzinfo=UTC)
ANSWERS = uniform(1, tests=3, rollout=2, reviews=4)["p0"]


@dataclass
class World:
    round: SurveyRound
    payments: Team
    search: Team
    people: dict[str, User]

    def submit(self, username: str) -> None:
        team = self.payments if username in ("ana", "ben", "cat", "dan", "lena") else self.search
        submit(self.round, team, username, ANSWERS)


def build_world() -> World:
    payments = TeamFactory(name="Payments", slug="payments")
    search = TeamFactory(name="Search", slug="search")
    people = {}
    for name in ("ana", "ben", "cat", "dan"):
        people[name] = MembershipFactory(
            team=payments, user=UserFactory(username=name, first_name=name.title())
        ).user
    people["lena"] = MembershipFactory(
        team=payments,
        user=UserFactory(username="lena", first_name="Lena"),
        role=Membership.Role.LEAD,
    ).user
    for name in ("sam", "sue"):
        people[name] = MembershipFactory(
            team=search, user=UserFactory(username=name, first_name=name.title())
        ).user
    people["fran"] = make_facilitator("fran")
    people["maggie"] = make_manager("maggie")
    Membership.objects.update(created_at=CREATED)
    survey_round = round_create(
        name="2026 Q2",
        questionnaire=load_questionnaire(),
        opens_at=OPENS,
        closes_at=CLOSES,
        teams=[payments, search],
        created_by=people["fran"],
    )
    return World(round=survey_round, payments=payments, search=search, people=people)
