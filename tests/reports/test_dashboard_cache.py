"""Dashboards are cached per round version; results appear at the close.

The version of a round is bumped when its scores change, after the transaction
commits (reports.cache.bump_round_version); pytest-django keeps each test in a
transaction, so the writes below run their on-commit callbacks explicitly.
Only released (closed) rounds feed a dashboard's results, so submits in an open
round never invalidate them; a recompute after a data repair does.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import TeamCategoryScore
from reports.services import round_scores_recompute
from surveys.models import Answer
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    make_facilitator,
    make_manager,
    submit,
    submit_team,
)
from tests.pages import figures, traces

pytestmark = pytest.mark.django_db

OPEN = datetime(2026, 2, 1, tzinfo=UTC)  # while 2026 Q1 is open

CICD = "Continuous integration & delivery"
EVERYONE_AT_2 = {"cicd-tests": 2, "cicd-rollout": 2, "ir-reviews": 2}
DORA = {
    "dora-deployment-frequency": 4,
    "dora-lead-time": 4,
    "dora-recovery-time": 4,
    "dora-change-failure-rate": 20,
}


@pytest.fixture
def payments():
    """Three Payments members answered 2 everywhere (ci-cd 2.00) in 2026 Q1, now closed."""
    with time_machine.travel(OPEN, tick=False):
        team = TeamFactory(name="Payments", slug="payments")
        member = MembershipFactory(team=team).user
        survey_round = SurveyRoundFactory(
            name="2026 Q1",
            slug="2026-q1",
            opens_at=datetime(2026, 1, 5, tzinfo=UTC),
            closes_at=datetime(2026, 3, 1, tzinfo=UTC),
            teams=[team],
        )
        submit_team(survey_round, team, {p: {**EVERYONE_AT_2, **DORA} for p in "abc"})
    return team, survey_round, member


def team_url(team) -> str:
    return reverse("reports:team_dashboard", args=[team.slug])


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


def cicd_line(response) -> list[float]:
    return traces(figures(response)["trend"])[CICD]["y"]


def reads_scores(sql: list[str]) -> bool:
    return any('"reports_team' in query for query in sql)


@pytest.mark.parametrize("dashboard", ["team", "org"])
def test_second_request_is_served_from_the_cache(client, payments, dashboard):
    team, _, member = payments
    if dashboard == "team":
        client.force_login(member)
        url = team_url(team)
    else:
        client.force_login(make_manager())
        url = reverse("reports:org_dashboard")

    first, first_sql = get(client, url)
    second, second_sql = get(client, url)

    assert reads_scores(first_sql)
    assert not reads_scores(second_sql)
    assert len(second_sql) < len(first_sql)
    assert figures(second) == figures(first)


def test_viewers_with_different_rights_do_not_share_a_cache_entry(client, payments):
    team, survey_round, member = payments
    with time_machine.travel(OPEN, tick=False):
        submit(survey_round, team, "d", {**EVERYONE_AT_2, **DORA, "cicd-reflection": "Too slow."})

    client.force_login(member)
    assert "Too slow." in client.get(team_url(team)).text
    client.force_login(make_manager())
    assert "Too slow." not in client.get(team_url(team)).text
    client.force_login(make_facilitator())
    assert "Too slow." in client.get(team_url(team)).text


def test_results_appear_when_the_round_closes(client, payments):
    team, survey_round, member = payments
    client.force_login(member)
    with time_machine.travel(OPEN, tick=False):
        assert "appear when the round closes" in client.get(team_url(team)).text
        submit(
            survey_round, team, "d", {"cicd-tests": 4, "cicd-rollout": 4, "ir-reviews": 2, **DORA}
        )
        assert "appear when the round closes" in client.get(team_url(team)).text

    response = client.get(team_url(team))
    assert cicd_line(response) == [2.5]  # mean(2, 2, 2, 4)
    assert "<td>2.50</td>" in response.text


def fix_an_answer(survey_round) -> None:
    """What an administrator does after a data repair: change an answer, recompute."""
    answer = Answer.objects.get(
        response__round=survey_round,
        response__respondent__username="payments-a",
        question__key="ir-reviews",
    )
    answer.choice = answer.question.choices.get(score=4)
    answer.save(update_fields=["choice"])
    round_scores_recompute(survey_round=survey_round)


def test_a_recomputed_score_shows_on_the_next_org_dashboard(
    client, payments, django_capture_on_commit_callbacks
):
    team, survey_round, _ = payments
    client.force_login(make_manager())
    url = reverse("reports:org_dashboard")
    assert figures(client.get(url))["heatmap"]["data"][0]["z"] == [[2.0, 2.0]]

    with django_capture_on_commit_callbacks(execute=True):
        fix_an_answer(survey_round)

    page = client.get(url)
    incidents = TeamCategoryScore.objects.get(
        team=team, round=survey_round, category_key="incident-response"
    ).mean
    assert incidents == pytest.approx(8 / 3)
    assert figures(page)["heatmap"]["data"][0]["z"] == [[2.0, 2.67]]


def test_until_the_recompute_commits_the_cached_numbers_stay(
    client, payments, django_capture_on_commit_callbacks
):
    team, survey_round, member = payments
    client.force_login(member)
    url = team_url(team)
    assert "<td>2.00</td>" in client.get(url).text

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        fix_an_answer(survey_round)

    # The scores table has changed, but the page is still the cached one...
    assert "<td>2.67</td>" not in client.get(url).text
    for callback in callbacks:
        callback()
    # ...until the commit bumps the round's version.
    assert "<td>2.67</td>" in client.get(url).text


def test_submissions_in_an_open_round_never_recompute_released_results(
    client, payments, django_capture_on_commit_callbacks
):
    team, _, member = payments
    next_round = SurveyRoundFactory(
        name="2026 Q4", slug="2026-q4", teams=[team], opens_at=datetime(2026, 11, 30, tzinfo=UTC)
    )
    client.force_login(member)
    url = team_url(team) + "?round=2026-q1"
    client.get(url)
    _, cached_sql = get(client, url)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for person in "abcd":
            submit(next_round, team, person, {**EVERYONE_AT_2, **DORA})

    assert callbacks  # the open round's version was bumped...
    _, sql = get(client, url)
    assert not reads_scores(sql)  # ...and the released round's page did not notice
    assert len(sql) == len(cached_sql)


def test_a_submission_in_another_round_keeps_the_cache(
    client, payments, django_capture_on_commit_callbacks
):
    team, _, member = payments
    client.force_login(member)
    client.get(team_url(team))
    _, cached_sql = get(client, team_url(team))
    other_team = TeamFactory()
    other_round = SurveyRoundFactory(teams=[other_team])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submit(other_round, other_team, "zoe", {**EVERYONE_AT_2, **DORA})

    assert callbacks
    _, sql = get(client, team_url(team))
    assert not reads_scores(sql)
    assert len(sql) == len(cached_sql)
