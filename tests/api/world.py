"""The API tests' organisation: two teams, every role, a token per role.

Payments (team A) has lead Lee and members Ana, Ben, Cai (the worked example's
answers, submitted); Checkout (team B) has Bob. One round, open until a test
closes it (results appear at the close), and a later one, not open yet, with
Payments only. Each person has a read-and-write token; ``client_for`` sends it.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.tokens import api_token_create
from surveys.models import Membership, SurveyRound, Team
from tests.factories import (
    WORKED_EXAMPLE,
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    make_facilitator,
    make_manager,
    submit,
)

ROLES = ["anonymous", "member of B", "member of A", "lead of A", "manager", "facilitator"]


@dataclass
class World:
    survey_round: SurveyRound
    next_round: SurveyRound
    payments: Team
    checkout: Team
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def token_for(self, role: str, *, scope: str = "write") -> str:
        if scope == "write":
            return self.tokens[role]
        _, raw = api_token_create(user=self.users[role], name="read", scope=scope, days=30)
        return raw

    def client_for(self, role: str, *, scope: str = "write") -> Client:
        if role == "anonymous":
            return Client()
        return Client(headers={"Authorization": f"Bearer {self.token_for(role, scope=scope)}"})

    def expired_client(self, role: str = "facilitator") -> Client:
        token, raw = api_token_create(user=self.users[role], name="old", scope="write", days=1)
        ApiToken.objects.filter(pk=token.pk).update(
            created_at=timezone.now() - timedelta(days=3),
            expires_at=timezone.now() - timedelta(days=2),
        )
        return Client(headers={"Authorization": f"Bearer {raw}"})


def build_world() -> World:
    payments = TeamFactory(name="Payments", slug="payments", group="Commerce")
    checkout = TeamFactory(name="Checkout", slug="checkout", group="Commerce")
    survey_round = SurveyRoundFactory(
        name="2026 Q3", slug="2026-q3", teams=[payments, checkout], min_respondents=3
    )
    users = {
        "member of A": MembershipFactory(team=payments, user=UserFactory(username="alice")).user,
        "lead of A": MembershipFactory(
            team=payments, user=UserFactory(username="lee"), role=Membership.Role.LEAD
        ).user,
        "member of B": MembershipFactory(team=checkout, user=UserFactory(username="bob")).user,
        "manager": make_manager(),
        "facilitator": make_facilitator(),
    }
    for name, values in WORKED_EXAMPLE.items():
        user = UserFactory(username=name)
        MembershipFactory(team=payments, user=user)
        submit(survey_round, payments, name, values)
    next_round = SurveyRoundFactory(
        name="2026 Q4",
        slug="2026-q4",
        teams=[payments],
        opens_at=timezone.now() + timedelta(days=60),
        closes_at=timezone.now() + timedelta(days=80),
    )
    tokens = {
        role: api_token_create(user=user, name=f"{role} token", scope="write", days=30)[1]
        for role, user in users.items()
    }
    return World(survey_round, next_round, payments, checkout, users, tokens)
