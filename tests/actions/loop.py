"""The improvement loop in miniature: two teams, people in every role, two rounds.

Payments answers round A; after A closes its lead plans actions; in round B the
team answers again. Built by the tests that need it (``Loop()``), on the mini
questionnaire of tests/fixtures/mini.yaml.
"""

from datetime import timedelta

from django.utils import timezone

from actions import services
from surveys.models import SurveyRound
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    close_round,
    make_facilitator,
    make_manager,
    submit_team,
    uniform,
)

ROLES = ("anonymous", "member of B", "member", "lead", "manager", "facilitator")


def spread(size: int, tests: list[int], rollout: int = 2, reviews: int = 2) -> dict[str, dict]:
    """People p0.. whose cicd-tests answers are ``tests`` (one each), the rest alike."""
    people = uniform(len(tests), 0, rollout, reviews)
    return {
        name: {**answers, "cicd-tests": tests[i]}
        for i, (name, answers) in enumerate(people.items())
    }


class Loop:
    def __init__(self, *, a_answers=None, close_a: bool = True):
        now = timezone.now()
        self.payments = TeamFactory(name="Payments", slug="payments")
        self.checkout = TeamFactory(name="Checkout", slug="checkout")
        self.member = MembershipFactory(
            team=self.payments, user=UserFactory(username="alice", first_name="Alice")
        ).user
        self.lead = MembershipFactory(
            team=self.payments, user=UserFactory(username="lee", first_name="Lee"), role="lead"
        ).user
        self.other = MembershipFactory(team=self.checkout, user=UserFactory(username="bob")).user
        self.manager = make_manager()
        self.facilitator = make_facilitator()
        self.round_a = SurveyRoundFactory(
            name="2026 Q1",
            slug="2026-q1",
            opens_at=now - timedelta(days=60),
            teams=[self.payments, self.checkout],
        )
        submit_team(self.round_a, self.payments, a_answers or uniform(3, 1, 2, 2))
        if close_a:
            close_round(self.round_a)
        self.round_b: SurveyRound | None = None

    def user(self, role: str):
        return {
            "anonymous": None,
            "member of B": self.other,
            "member": self.member,
            "lead": self.lead,
            "manager": self.manager,
            "facilitator": self.facilitator,
        }[role]

    def plan(self, title="Fix the flaky tests", *, questions=("cicd-tests",), **fields):
        fields.setdefault("category_key", "ci-cd")
        return services.action_create(
            team=self.payments,
            raised_in=self.round_a,
            title=title,
            question_keys=list(questions),
            by=self.lead,
            **fields,
        )

    def open_b(self) -> SurveyRound:
        self.round_b = SurveyRoundFactory(
            name="2026 Q2",
            slug="2026-q2",
            opens_at=timezone.now() - timedelta(days=1),
            teams=[self.payments, self.checkout],
        )
        return self.round_b

    def answer_b(self, people, *, close: bool = True) -> SurveyRound:
        survey_round = self.round_b or self.open_b()
        submit_team(survey_round, self.payments, people)
        if close:
            close_round(survey_round)
        return survey_round
