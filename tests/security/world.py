"""The security tests' world: two teams, every role, two open rounds; answering; a fingerprint.

Team A (Payments) is the viewer's own team; team B (Checkout) is the other team
whose objects must stay out of reach. Both take part in the shared round; only
team B takes part in the B round. tests/security/conftest.py hands it to the
tests as the `world` fixture; the answering helpers also serve tests/system/.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from assessment.models import AuditEvent, Question, Questionnaire
from reports.models import TeamCategoryScore, TeamQuestionScore, TeamRoundSummary
from surveys.models import Answer, Membership, Response, SurveyRound, Team
from surveys.services import AnswerValue, response_start, response_submit
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    load_questionnaire,
    make_facilitator,
    make_manager,
)

# Valid answers to every question of the mini questionnaire (tests/fixtures/mini.yaml):
# a level or bucket score for choice questions, a percent, or a text.
COMPLETE_ANSWERS: dict[str, int | str] = {
    "cicd-tests": 3,
    "cicd-rollout": 2,
    "cicd-reflection": "Flaky tests slowed us down.",
    "ir-reviews": 1,
    "ir-reflection": "Write the timeline while it is fresh.",
    "dora-deployment-frequency": 5,
    "dora-lead-time": 4,
    "dora-recovery-time": 5,
    "dora-change-failure-rate": 12,
    "dora-rework-rate": 5,
}


def answers_for(
    questionnaire: Questionnaire, values: Mapping[str, int | str]
) -> dict[Question, AnswerValue]:
    """Question key -> score / percent / text, as the answering service takes them."""
    questions = Question.objects.filter(questionnaire=questionnaire).prefetch_related("choices")
    answers = {}
    for question in questions:
        if question.key not in values:
            continue
        value = values[question.key]
        if question.kind == Question.Kind.TEXT:
            answers[question] = AnswerValue(text=str(value))
        elif question.kind == Question.Kind.PERCENT:
            answers[question] = AnswerValue(number=int(value))
        else:
            answers[question] = AnswerValue(
                choice=next(c for c in question.choices.all() if c.score == value)
            )
    return answers


def page_post(questionnaire: Questionnaire, page: int, values: Mapping[str, int | str]) -> dict:
    """The form data a browser sends for one page of the answering form."""
    category = questionnaire.categories.order_by("order")[page - 1]
    data: dict[str, str] = {"page": str(page)}
    for question in category.questions.order_by("order").prefetch_related("choices"):
        if question.key not in values:
            continue
        value = values[question.key]
        if question.has_choices:
            choice = next(c for c in question.choices.all() if c.score == value)
            data[f"q-{question.key}"] = str(choice.pk)
        else:
            data[f"q-{question.key}"] = str(value)
    return data


def submit_as(user: User, survey_round: SurveyRound, team: Team, values=COMPLETE_ANSWERS):
    response = response_start(survey_round=survey_round, team=team, user=user)
    return response_submit(
        response=response, answers=answers_for(survey_round.questionnaire, values)
    )


def stored_answers(response: Response) -> dict[str, tuple]:
    """Question key -> (choice score, number, text) as the database holds them."""
    return {
        key: (score, number, text)
        for key, score, number, text in response.answers.values_list(
            "question__key", "choice__score", "number", "text"
        )
    }


ROLES = ("member", "lead", "manager", "facilitator")


@dataclass
class World:
    questionnaire: Questionnaire
    team_a: Team
    team_b: Team
    shared_round: SurveyRound
    b_round: SurveyRound
    people: dict[str, User] = field(default_factory=dict)

    def login(self, client, role: str) -> User:
        user = self.people[role]
        client.force_login(user)
        return user


def build_world() -> World:
    """Payments (A) and Checkout (B) with a member and a lead each; a manager; a facilitator.

    Both teams take part in the open round "2026 Q4"; only Checkout takes part
    in the open round "Checkout pilot". Nobody has answered yet.
    """
    now = timezone.now()
    questionnaire = load_questionnaire()
    team_a = TeamFactory(name="Payments", slug="payments", group="Money")
    team_b = TeamFactory(name="Checkout", slug="checkout", group="Money")
    people = {
        "member": MembershipFactory(team=team_a, user=UserFactory(username="alice")).user,
        "lead": MembershipFactory(
            team=team_a, user=UserFactory(username="lee"), role=Membership.Role.LEAD
        ).user,
        "manager": make_manager("maggie"),
        "facilitator": make_facilitator("fran"),
        "b_member": MembershipFactory(
            team=team_b, user=UserFactory(username="bob", email="bob@example.com")
        ).user,
        "b_lead": MembershipFactory(
            team=team_b, user=UserFactory(username="bea"), role=Membership.Role.LEAD
        ).user,
    }
    shared_round = SurveyRoundFactory(
        name="2026 Q4",
        slug="2026-q4",
        questionnaire=questionnaire,
        opens_at=now - timedelta(days=7),
        closes_at=now + timedelta(days=21),
        teams=[team_a, team_b],
    )
    b_round = SurveyRoundFactory(
        name="Checkout pilot",
        slug="checkout-pilot",
        questionnaire=questionnaire,
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=10),
        teams=[team_b],
    )
    return World(questionnaire, team_a, team_b, shared_round, b_round, people)


# --- database fingerprint ---------------------------------------------------------

FINGERPRINTED = (
    Response,
    Answer,
    SurveyRound,
    SurveyRound.teams.through,
    Team,
    Membership,
    User,
    User.groups.through,
    AuditEvent,
    TeamCategoryScore,
    TeamQuestionScore,
    TeamRoundSummary,
)


def db_fingerprint() -> dict[str, tuple[int, str]]:
    """Per table: the row count and a hash of every column of every row.

    Two equal fingerprints mean nothing was inserted, changed or deleted in the
    tables a request could write to.
    """
    state = {}
    for model in FINGERPRINTED:
        columns = [f.attname for f in model._meta.concrete_fields]
        rows = list(model.objects.order_by("pk").values_list(*columns))
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()
        state[model._meta.label] = (len(rows), digest)
    return state
