"""Factories for tests: small, explicit objects with sensible defaults."""

import functools
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from assessment.loader import read_questionnaire_file
from assessment.models import Choice, Question, Questionnaire
from assessment.services import questionnaire_load
from surveys.access import FACILITATORS_GROUP, MANAGERS_GROUP, role_group
from surveys.models import Membership, Response, SurveyRound, Team
from surveys.services import AnswerValue, response_start, response_submit, round_close

DK = "dont_know"
NA = "not_applicable"

# The three-person worked example of docs/scoring.md, on tests/fixtures/mini.yaml.
WORKED_EXAMPLE = {
    "ana": {
        "cicd-tests": 3,
        "cicd-rollout": 2,
        "ir-reviews": 1,
        "dora-deployment-frequency": 5,
        "dora-lead-time": 4,
        "dora-recovery-time": 5,
        "dora-change-failure-rate": 10,
        "dora-rework-rate": 5,
        "cicd-reflection": "Flaky tests.",
    },
    "ben": {
        "cicd-tests": 2,
        "cicd-rollout": DK,
        "ir-reviews": 2,
        "dora-deployment-frequency": 4,
        "dora-lead-time": 4,
        "dora-recovery-time": 4,
        "dora-change-failure-rate": 20,
        "dora-rework-rate": None,
    },
    "cai": {
        "cicd-tests": 4,
        "cicd-rollout": 1,
        "ir-reviews": 4,
        "dora-deployment-frequency": 5,
        "dora-lead-time": DK,
        "dora-recovery-time": 3,
        "dora-change-failure-rate": 15,
        "dora-rework-rate": 10,
    },
}

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_QUESTIONNAIRE = (
    Path(__file__).parent.parent / "fixtures" / "questionnaires" / "devops-maturity-v1.yaml"
)
# What make run loads: the demo's older rounds use v1, its latest two v2.
DEMO_QUESTIONNAIRES = (
    DEFAULT_QUESTIONNAIRE,
    DEFAULT_QUESTIONNAIRE.with_name("devops-maturity-v2.yaml"),
)


# Parsed once per file: most tests load the mini questionnaire, and parsing the
# YAML costs more than storing it. The parsed spec is frozen.
_read_questionnaire_file = functools.cache(read_questionnaire_file)


def load_questionnaire(path: Path = FIXTURES / "mini.yaml"):
    return questionnaire_load(spec=_read_questionnaire_file(path)).questionnaire


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    group = "Engineering"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER


class SurveyRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyRound
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"2026 Q{n % 4 + 1} #{n}")
    slug = factory.Sequence(lambda n: f"round-{n}")
    questionnaire = factory.LazyFunction(load_questionnaire)
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=21))
    min_respondents = 3

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.add(*extracted)


def make_manager(username: str = "manager") -> User:
    user = UserFactory(username=username)
    user.groups.add(role_group(MANAGERS_GROUP))
    return user


def make_facilitator(username: str = "facilitator") -> User:
    user = UserFactory(username=username)
    user.groups.add(role_group(FACILITATORS_GROUP))
    return user


def close_round(survey_round: SurveyRound) -> SurveyRound:
    """Close a round now, as a facilitator would: results are released, members recorded."""
    return round_close(survey_round=survey_round)


# --- answering, for tests that need submitted responses ----------------------------

# The same DORA answers from everyone: 4, 4, 4 (buckets) and 20 % of changes failing.
STEADY_DORA = {
    "dora-deployment-frequency": 4,
    "dora-lead-time": 4,
    "dora-recovery-time": 4,
    "dora-change-failure-rate": 20,
}


def uniform(size: int, tests: int, rollout: int, reviews: int) -> dict[str, dict]:
    """A team of `size` people (p0, p1, ...) who all give the same answers."""
    answers = {"cicd-tests": tests, "cicd-rollout": rollout, "ir-reviews": reviews, **STEADY_DORA}
    return {f"p{number}": answers for number in range(size)}


def answers_for(
    questionnaire: Questionnaire, values: Mapping[str, int | str | None]
) -> dict[Question, AnswerValue]:
    """Question key -> level/bucket score, percent, DK/NA, text or None (blank)."""
    questions = {
        q.key: q
        for q in Question.objects.filter(questionnaire=questionnaire).prefetch_related("choices")
    }
    answers = {}
    for key, value in values.items():
        question = questions[key]
        choices: list[Choice] = list(question.choices.all())
        if value is None:
            answers[question] = AnswerValue()
        elif question.kind == Question.Kind.TEXT:
            answers[question] = AnswerValue(text=value)
        elif question.kind == Question.Kind.PERCENT:
            answers[question] = AnswerValue(number=value)
        elif value in (DK, NA):
            answers[question] = AnswerValue(choice=next(c for c in choices if c.abstain == value))
        else:
            answers[question] = AnswerValue(choice=next(c for c in choices if c.score == value))
    return answers


def submit(
    survey_round: SurveyRound, team: Team, username: str, values: Mapping[str, int | str | None]
) -> Response:
    # No password: hashing one costs more than the rest of the test. The same
    # person answers again in a later round.
    user, _ = User.objects.get_or_create(username=username)
    response = response_start(survey_round=survey_round, team=team, user=user)
    return response_submit(
        response=response, answers=answers_for(survey_round.questionnaire, values)
    )


def submit_team(survey_round: SurveyRound, team: Team, people: Mapping[str, Mapping]) -> None:
    for username, values in people.items():
        submit(survey_round, team, f"{team.slug}-{username}", values)
