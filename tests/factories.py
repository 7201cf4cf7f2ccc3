"""Factories for tests: small, explicit objects with sensible defaults."""

from datetime import timedelta
from pathlib import Path

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from assessment.loader import read_questionnaire_file
from assessment.services import questionnaire_load
from surveys.access import FACILITATORS_GROUP, MANAGERS_GROUP, role_group
from surveys.models import Membership, SurveyRound, Team

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULT_QUESTIONNAIRE = (
    Path(__file__).parent.parent / "fixtures" / "questionnaires" / "devops-maturity-v1.yaml"
)


def load_questionnaire(path: Path = FIXTURES / "mini.yaml"):
    return questionnaire_load(spec=read_questionnaire_file(path)).questionnaire


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
