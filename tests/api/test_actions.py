"""Improvement actions through the API: the retro pack's list, under the actions' own rules."""

import pytest

from actions.services import action_create
from tests.factories import close_round

pytestmark = pytest.mark.django_db

URL = "/api/v1/rounds/2026-q3/actions/payments/"


@pytest.fixture
def actions(world):
    lead = world.users["lead of A"]
    shared = action_create(
        team=world.payments,
        raised_in=world.survey_round,
        title="Tests gate every merge",
        description="Make the slow suite run before merge.",
        category_key="ci-cd",
        question_keys=["cicd-tests"],
        owner=lead,
        visible_to_managers=True,
        by=lead,
    )
    private = action_create(
        team=world.payments,
        raised_in=world.survey_round,
        title="Blameless reviews",
        category_key="incident-response",
        by=lead,
    )
    close_round(world.survey_round)
    return shared, private


def test_the_team_reads_its_actions_with_their_targets_and_outcome(world, actions):
    rows = world.client_for("member of A").get(URL).json()

    assert [(r["title"], r["section"], r["status"]) for r in rows] == [
        ("Tests gate every merge", "open", "planned"),
        ("Blameless reviews", "open", "planned"),
    ]
    first = rows[0]
    assert (first["category_key"], first["question_keys"], first["raised_in"]) == (
        "ci-cd",
        ["cicd-tests"],
        "2026-q3",
    )
    # Raised in this round: nothing to compare with yet.
    assert first["outcome"] == {"verdict": "not measured yet", "measured_in": None, "changes": []}
    # No owner, no names, anywhere.
    assert "owner" not in first and "lee" not in str(rows)


def test_managers_read_only_the_actions_the_team_shared(world, actions):
    rows = world.client_for("manager").get(URL).json()

    assert [r["title"] for r in rows] == ["Tests gate every merge"]


def test_another_team_learns_nothing(world, actions):
    response = world.client_for("member of B").get(URL)

    assert response.status_code == 404
    assert "Blameless" not in response.content.decode()
