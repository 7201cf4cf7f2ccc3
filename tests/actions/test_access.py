"""Who may open and use the action pages: each role x each URL.

Members and leads of the team and facilitators plan and change its actions;
managers read counts (and titles the team shares) but change nothing; members
of another team get 404, exactly as for a team that does not exist.
"""

import pytest
from django.urls import reverse

from actions.models import Action
from tests.actions.loop import ROLES, Loop

pytestmark = pytest.mark.django_db

WRITERS = {"member", "lead", "facilitator"}


@pytest.fixture
def loop():
    loop = Loop()
    loop.action = loop.plan("Share the dashboards", visible_to_managers=False)
    return loop


def request(client, loop, page):
    slug, pk = "payments", loop.action.pk
    if page == "list":
        return client.get(reverse("actions:list", args=[slug])), "Share the dashboards"
    if page == "new":
        return client.get(reverse("actions:create", args=[slug])), "Plan this action"
    if page == "edit":
        return client.get(reverse("actions:edit", args=[slug, pk])), "Save changes"
    if page == "create":
        data = {
            "title": "Pair on the pipeline",
            "raised_in": loop.round_a.pk,
            "category_key": "ci-cd",
        }
        return client.post(reverse("actions:create", args=[slug]), data), None
    if page == "status":
        data = {"status": "in_progress"}
        return client.post(reverse("actions:status", args=[slug, pk]), data), None
    raise AssertionError(page)


PAGES = ("list", "new", "edit", "create", "status")


def expected(role, page):
    if role == "anonymous":
        return 302
    if role == "member of B":
        return 404
    if role == "manager":
        return 200 if page == "list" else 404
    return 302 if page in ("create", "status") else 200


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_action_pages_access_matrix(client, loop, role, page):
    user = loop.user(role)
    if user is not None:
        client.force_login(user)

    response, marker = request(client, loop, page)

    assert response.status_code == expected(role, page)
    changed = Action.objects.filter(title="Pair on the pipeline").exists() or (
        Action.objects.get(pk=loop.action.pk).status != "planned"
    )
    assert changed == (role in WRITERS and page in ("create", "status"))
    if response.status_code == 302 and role == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    elif response.status_code == 302:
        assert response["Location"] == reverse("actions:list", args=["payments"])
    elif response.status_code == 404:
        assert "Payments" not in response.text
    elif role == "manager":
        assert "Planned and done per round and category" in response.text
        assert "Share the dashboards" not in response.text  # not shared with managers
    else:
        assert marker in response.text


def test_a_manager_sees_the_titles_a_team_shares_and_counts_of_the_rest(client, loop):
    loop.plan(
        "Publish the on-call rota",
        questions=[],
        category_key="incident-response",
        visible_to_managers=True,
    )
    client.force_login(loop.manager)

    page = client.get(reverse("actions:list", args=["payments"])).text

    assert "Publish the on-call rota" in page
    assert "Share the dashboards" not in page
    assert "Plan an action" not in page
    assert "History" not in page  # who changed what stays with the team
    assert page.count("<td>2026 Q1</td>") == 2  # one counts row per category


def test_another_teams_action_is_not_found_through_this_team(client, loop):
    client.force_login(loop.other)

    response = client.get(reverse("actions:edit", args=["checkout", loop.action.pk]))

    assert response.status_code == 404
