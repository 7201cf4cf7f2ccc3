"""The privacy attacks' organisation: two teams, every role, one open round.

Payments (team A) has a lead, Lee, and members; Checkout (team B) has Bob.
Each test submits what it needs, then plays the attack through the test client.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.urls import reverse

from surveys.models import Membership, SurveyRound, Team
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    make_facilitator,
    make_manager,
    submit,
)

# Distinct answers per person, so a leaked value points at one person.
PEOPLE = {
    "ana": {"cicd-tests": 4, "cicd-rollout": 4, "ir-reviews": 4, "cicd-reflection": "Ana wrote"},
    "ben": {"cicd-tests": 1, "cicd-rollout": 2, "ir-reviews": 0, "cicd-reflection": "Ben wrote"},
    "cai": {"cicd-tests": 2, "cicd-rollout": 0, "ir-reviews": 3, "cicd-reflection": "Cai wrote"},
    "dan": {"cicd-tests": 0, "cicd-rollout": 3, "ir-reviews": 1, "cicd-reflection": "Dan wrote"},
}
DORA = {
    "dora-deployment-frequency": 4,
    "dora-lead-time": 4,
    "dora-recovery-time": 4,
    "dora-change-failure-rate": 20,
}


@dataclass
class Org:
    survey_round: SurveyRound
    payments: Team
    checkout: Team
    lead: User
    members: dict[str, User] = field(default_factory=dict)
    bob: User | None = None
    manager: User | None = None
    facilitator: User | None = None

    def answer(self, name: str, **changes) -> None:
        """Person `name` of Payments submits (or changes) their answers."""
        submit(self.survey_round, self.payments, name, {**PEOPLE[name], **DORA, **changes})

    def export_url(self, fmt: str, team: Team | None = None) -> str:
        team = team or self.payments
        return reverse("reports:export_team", args=[self.survey_round.slug, team.slug, fmt])

    @property
    def dashboard_url(self) -> str:
        return reverse("reports:team_dashboard", args=[self.payments.slug])


def build_org() -> Org:
    """Payments with Lee and Ana, Ben, Cai, Dan; Checkout with Bob; one open round, k = 3."""
    payments = TeamFactory(name="Payments", slug="payments")
    checkout = TeamFactory(name="Checkout", slug="checkout")
    survey_round = SurveyRoundFactory(
        name="2026 Q3", slug="2026-q3", teams=[payments, checkout], min_respondents=3
    )
    lead = MembershipFactory(
        team=payments, user=UserFactory(username="lee"), role=Membership.Role.LEAD
    ).user
    members = {}
    for name in PEOPLE:
        user, _ = User.objects.get_or_create(username=name)
        MembershipFactory(team=payments, user=user)
        members[name] = user
    bob = MembershipFactory(team=checkout, user=UserFactory(username="bob")).user
    return Org(
        survey_round=survey_round,
        payments=payments,
        checkout=checkout,
        lead=lead,
        members=members,
        bob=bob,
        manager=make_manager(),
        facilitator=make_facilitator(),
    )
