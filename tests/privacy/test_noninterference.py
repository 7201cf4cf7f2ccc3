"""Property: what a viewer receives does not depend on answers they may not learn.

For random teams, answers, k, round states and viewers, every page and export a
viewer (other than the respondent) receives is the same, byte for byte after
removing per-request tokens, whatever a withheld team or an open round's
answers are. If any figure were computed from fewer than k answers, or from an
open round's answers, changing those answers would change what the viewer sees.
"""

import io
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from reports.exporters import EXPORTERS
from reports.services import team_round_scores_refresh
from surveys.models import Answer, Choice, Membership
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    close_round,
    make_facilitator,
    make_manager,
    submit,
)
from tests.properties import examples

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
SCALE = ("cicd-tests", "cicd-rollout", "ir-reviews")
DORA = ("dora-deployment-frequency", "dora-lead-time", "dora-recovery-time")
TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]+|(nonce=")[^"]+')

person = st.fixed_dictionaries(
    {
        **{key: st.integers(0, 4) for key in SCALE},
        **{key: st.integers(1, 6) for key in DORA},
        "dora-change-failure-rate": st.integers(0, 100),
        "cicd-reflection": st.sampled_from(["Flaky builds", "Slow reviews", "On-call pain"]),
    }
)


def answers(people: int):
    return st.lists(person, min_size=people, max_size=people)


class Rollback(Exception):
    pass


def normalised(response) -> bytes:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return repr([list(sheet.values) for sheet in book.worksheets]).encode()
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return TOKEN.sub(rb"\1\2", body)


def everything(client, survey_round, team) -> dict[str, tuple[int, bytes]]:
    urls = {
        "team dashboard": reverse("reports:team_dashboard", args=[team.slug])
        + f"?round={survey_round.slug}",
        "org dashboard": reverse("reports:org_dashboard") + f"?round={survey_round.slug}",
        "my surveys": reverse("surveys:my_surveys"),
        **{
            f"export {fmt}": reverse(
                "reports:export_team", args=[survey_round.slug, team.slug, fmt]
            )
            for fmt in EXPORTERS
        },
    }
    seen = {}
    for name, url in urls.items():
        cache.clear()
        response = client.get(url)
        seen[name] = (response.status_code, normalised(response))
    return seen


def rewrite_answers(survey_round, team, people: list[dict]) -> None:
    """Give the team's submitted responses other answers, as if people had said otherwise."""
    responses = sorted(
        survey_round.responses.filter(team=team, status="submitted"), key=lambda r: r.pk
    )
    for response, values in zip(responses, people, strict=True):
        for answer in Answer.objects.filter(response=response).select_related("question"):
            value = values.get(answer.question.key)
            if answer.question.kind == "text":
                answer.text = value
            elif answer.question.kind == "percent":
                answer.number = value
            elif value is not None:
                answer.choice = Choice.objects.get(question=answer.question, score=value)
            answer.save()
    team_round_scores_refresh(round_id=survey_round.pk, team_id=team.pk)


@settings(
    max_examples=examples(15),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), people=st.integers(0, 5), k=st.integers(3, 4), closed=st.booleans())
def test_withheld_and_unreleased_answers_never_reach_a_viewer(client, data, people, k, closed):
    if closed and people >= k:
        people = k - 1  # released and at least k: that team's results are meant to show
    first = data.draw(answers(people), label="answers")
    second = data.draw(answers(people), label="other answers")
    try:
        with transaction.atomic(), time_machine.travel(NOW, tick=False):
            team = TeamFactory(name="Payments", slug="payments")
            other = TeamFactory(name="Checkout", slug="checkout")
            survey_round = SurveyRoundFactory(teams=[team, other], min_respondents=k)
            names = [f"p{i}" for i in range(people)]
            for name in [*names, "quiet"]:
                MembershipFactory(team=team, user=UserFactory(username=name))
            lead = MembershipFactory(
                team=team, user=UserFactory(username="lead"), role=Membership.Role.LEAD
            ).user
            for i in range(4):
                MembershipFactory(team=other, user=UserFactory(username=f"o{i}"))
                submit(
                    survey_round,
                    other,
                    f"o{i}",
                    {**first[0], "cicd-tests": i}
                    if first
                    else {
                        "cicd-tests": i,
                        "cicd-rollout": 2,
                        "ir-reviews": 2,
                        "dora-deployment-frequency": 3,
                        "dora-lead-time": 3,
                        "dora-recovery-time": 3,
                        "dora-change-failure-rate": 10,
                    },
                )
            for name, values in zip(names, first, strict=True):
                submit(survey_round, team, name, values)
            if closed:
                close_round(survey_round)
            viewers = {
                "member": team.memberships.get(user__username="quiet").user,
                "lead": lead,
                "other team": other.memberships.first().user,
                "manager": make_manager(),
                "facilitator": make_facilitator(),
            }
            before = {}
            for role, viewer in viewers.items():
                client.force_login(viewer)
                before[role] = everything(client, survey_round, team)
            rewrite_answers(survey_round, team, second)
            for role, viewer in viewers.items():
                client.force_login(viewer)
                after = everything(client, survey_round, team)
                for name, seen in before[role].items():
                    assert seen == after[name], (
                        f"{role} sees Payments' answers through {name} "
                        f"(n={people}, k={k}, closed={closed})"
                    )
            raise Rollback
    except Rollback:
        pass
