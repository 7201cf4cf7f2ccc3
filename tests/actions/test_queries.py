"""Pages that list actions cost the same number of queries for 2 actions as for 12."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import services
from tests.actions.loop import Loop
from tests.factories import uniform

pytestmark = pytest.mark.django_db

# A member of the team on its actions page.
LIST_QUERIES = [
    "session",
    "user",
    "privacy.Viewer: the viewer's memberships",
    "user permissions (manager?)",
    "group permissions (facilitator?)",
    "team by slug",
    "the team's rounds",
    "the team's actions with their rounds and owners",
    "prefetch: their status history",
    "prefetch: who changed each status",
    "question and category texts of the rounds' questionnaires",
    "counts: planned per round and category",
    "counts: done per round and category",
    "navigation: the viewer's teams",
]
# A member of the team on its dashboard, for a released round after the actions' round.
DASHBOARD_QUERIES = [
    "session",
    "user",
    "privacy.Viewer: the viewer's memberships",
    "user permissions (manager?)",
    "group permissions (facilitator?)",
    "team by slug",
    "the team's rounds that have opened, with questionnaires",
    "privacy: closed rounds whose members at close are not recorded yet",
    "privacy: the viewer's memberships at the close of those rounds",
    "team_actions: the team's actions up to the round",
    "action_outcomes: question scores of the targets in both rounds",
    "action_outcomes: category scores of the targets in both rounds",
    "team_actions: question texts of the team's rounds",
    "cached body: team_round_scores: summaries",
    "cached body: team_round_scores: category scores",
    "cached body: org_category_stats",
    "cached body: previous_round_for",
    "cached body: question_scores",
    "cached body: question_texts",
    "cached body: participation: the rounds' teams",
    "cached body: participation: members at close",
    "cached body: participation: today's members",
    "cached body: participation: responses",
    "cached body: reflections",
    "navigation: the viewer's teams",
]


def build(count: int) -> Loop:
    loop = Loop(a_answers=uniform(3, 1, 1, 2))
    loop.open_b()
    for number in range(count):
        questions = (
            [] if number % 3 == 0 else ["cicd-tests"] if number % 3 == 1 else ["cicd-rollout"]
        )
        action = loop.plan(f"Action {number}", questions=questions, owner=loop.member)
        services.action_set_status(action=action, status="in_progress", by=loop.member)
        if number % 2:
            services.action_set_status(action=action, status="done", by=loop.lead)
    loop.answer_b(uniform(3, 3, 3, 2))
    return loop


@pytest.mark.parametrize("count", [2, 12])
def test_the_actions_page_costs_the_same_however_many_actions(
    client, count, django_assert_max_num_queries
):
    loop = build(count)
    client.force_login(loop.member)
    url = reverse("actions:list", args=["payments"])
    client.get(url)

    with django_assert_max_num_queries(len(LIST_QUERIES)):
        page = client.get(url).text

    assert page.count('data-action="Action ') == count


@pytest.mark.parametrize("count", [2, 12])
def test_the_team_dashboard_costs_the_same_however_many_actions(
    client, count, django_assert_max_num_queries
):
    loop = build(count)
    client.force_login(loop.member)
    url = reverse("reports:team_dashboard", args=["payments"])
    client.get(url)
    cache.clear()

    with django_assert_max_num_queries(len(DASHBOARD_QUERIES)):
        page = client.get(url).text

    section = page[page.index('id="actions-h"') :]
    assert section.count('data-action="Action ') == count
    assert "<strong data-verdict>improved</strong>" in section


def test_the_org_dashboard_costs_the_same_however_many_actions(client):
    loop = build(2)
    client.force_login(loop.manager)
    url = reverse("reports:org_dashboard")
    client.get(url)

    def measured():
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).text
        return len(queries), page

    small, _ = measured()
    for number in range(2, 12):
        action = loop.plan(f"Action {number}", questions=["cicd-tests"])
        services.action_set_status(action=action, status="done", by=loop.lead)
    large, page_after = measured()

    assert large == small
    row = page_after[page_after.index('id="org-actions-h"') :]
    # CI/CD: 1 of build(2)'s actions and the 10 new ones done, all improved 1 -> 3.
    assert "<td>11</td><td>11</td><td>0</td><td>100%</td>" in row
