"""Writing actions: history rows, owners in the team, double submits, done rounds."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from actions import services
from actions.models import Action, ActionStatusChange
from tests.actions.loop import Loop

pytestmark = pytest.mark.django_db


@pytest.fixture
def loop():
    return Loop()


def test_creating_an_action_records_who_created_it_as_the_first_history_row(loop):
    action = loop.plan(description="  Quarantine the three flakiest tests. ")

    assert action.status == Action.Status.PLANNED
    assert action.description == "Quarantine the three flakiest tests."
    assert action.question_keys == ["cicd-tests"]
    [change] = action.history.all()
    assert (change.from_status, change.to_status, change.changed_by) == ("", "planned", loop.lead)


def test_submitting_the_same_action_twice_creates_one(loop):
    first = loop.plan()
    second = loop.plan()

    assert first.pk == second.pk
    assert Action.objects.count() == 1
    assert ActionStatusChange.objects.count() == 1


def test_another_action_with_a_title_already_used_in_the_round_is_refused(loop):
    loop.plan()

    with pytest.raises(ValidationError) as error:
        loop.plan(description="Something else entirely")

    assert "already has an action called" in str(error.value)
    assert Action.objects.count() == 1


def test_the_owner_must_be_a_member_of_the_team(loop):
    with pytest.raises(ValidationError) as error:
        loop.plan(owner=loop.other)

    assert error.value.message_dict["owner"] == [
        "The owner must be a member of Payments; bob is not."
    ]
    assert not Action.objects.exists()
    assert loop.plan(owner=loop.member).owner == loop.member


def test_questions_must_belong_to_the_chosen_category(loop):
    with pytest.raises(ValidationError) as error:
        loop.plan(questions=["cicd-tests", "ir-reviews"])

    assert "Choose questions of the chosen category only." in str(error.value)
    assert not Action.objects.exists()


def test_a_category_must_be_a_practice_category_of_the_round(loop):
    with pytest.raises(ValidationError) as error:
        loop.plan(questions=[], category_key="delivery")

    assert "practice category" in str(error.value)


def test_the_target_round_must_be_later_than_the_round_it_was_raised_in(loop):
    with pytest.raises(ValidationError) as error:
        loop.plan(target_round=loop.round_a)

    assert "Choose a later round of Payments than 2026 Q1." in str(error.value)
    round_b = loop.open_b()
    assert loop.plan(target_round=round_b).target_round == round_b


def test_each_status_change_is_a_history_row_and_the_same_status_again_is_none(loop):
    action = loop.plan()

    services.action_set_status(action=action, status="in_progress", by=loop.member)
    services.action_set_status(action=action, status="in_progress", by=loop.member)
    services.action_set_status(action=action, status="dropped", by=loop.facilitator)

    changes = [(c.from_status, c.to_status, c.changed_by.username) for c in action.history.all()]
    assert changes == [
        ("", "planned", "lee"),
        ("planned", "in_progress", "alice"),
        ("in_progress", "dropped", "facilitator"),
    ]


def test_a_done_action_is_linked_to_the_next_round_whose_answers_can_show_it(loop):
    action = loop.plan()
    round_b = loop.open_b()

    done = services.action_set_status(action=action, status="done", by=loop.lead)
    assert done.done_in == round_b

    reopened = services.action_set_status(action=action, status="in_progress", by=loop.lead)
    assert reopened.done_in is None


def test_done_before_the_next_round_exists_links_the_latest_round(loop):
    action = loop.plan()

    assert services.action_set_status(action=action, status="done", by=loop.lead).done_in == (
        loop.round_a
    )


def test_the_database_refuses_a_done_action_without_its_round(loop):
    action = loop.plan()

    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=action.pk).update(status="done")


def test_an_unknown_status_is_refused_with_a_message(loop):
    action = loop.plan()

    with pytest.raises(ValidationError, match="Unknown status"):
        services.action_set_status(action=action, status="finished", by=loop.lead)
    assert action.history.count() == 1
