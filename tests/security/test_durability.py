"""Durability: a submit that fails half-way leaves the previous state.

A server worker killed with SIGKILL during a burst of submits is the system test
tests/system/test_worker_kill.py.
"""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

import reports.services
from reports.models import TeamRoundSummary
from surveys.models import Answer, Membership, Response
from surveys.services import response_save_draft, response_start, response_submit
from tests.security.world import (
    COMPLETE_ANSWERS,
    answers_for,
    page_post,
    stored_answers,
    submit_as,
)

# Different from COMPLETE_ANSWERS in every question, so a half-written change shows.
CHANGED_ANSWERS = {
    "cicd-tests": 4,
    "cicd-rollout": 4,
    "cicd-reflection": "Changed: reviews took too long.",
    "ir-reviews": 3,
    "ir-reflection": "Changed: page the right person.",
    "dora-deployment-frequency": 6,
    "dora-lead-time": 6,
    "dora-recovery-time": 6,
    "dora-change-failure-rate": 3,
    "dora-rework-rate": 1,
}


class InjectedFault(Exception):
    """The failure these tests inject; nothing in the application raises it."""


class Faults:
    """Arms the injected failures; monkeypatch disarms them after the test."""

    def __init__(self, monkeypatch) -> None:
        self.monkeypatch = monkeypatch

    def answers_half_way(self) -> dict:
        """Answer.objects.bulk_create writes the first half of its rows, then fails.

        What the database held at the moment of the fault is kept in
        ``["during"]``, to prove the half really was written before the rollback.
        """
        manager = Answer.objects
        real_bulk_create = manager.bulk_create
        fault: dict = {}

        def bulk_create(objs, *args, **kwargs):
            objs = list(objs)
            half = objs[: max(1, len(objs) // 2)]
            real_bulk_create(half, *args, **kwargs)
            response = Response.objects.get(pk=half[0].response_id)
            fault.update(written=len(half), of=len(objs), during=stored_answers(response))
            raise InjectedFault(f"after {len(half)} of {len(objs)} answers")

        self.monkeypatch.setattr(manager, "bulk_create", bulk_create)
        return fault

    def score_refresh(self) -> dict:
        """The score refresh rewrites the team's score rows, then fails before returning."""
        fault: dict = {}

        def bump_round_version(round_id):
            fault["summaries_during"] = list(
                TeamRoundSummary.objects.values_list("team_id", "respondents")
            )
            raise InjectedFault("after the score rows were rewritten")

        self.monkeypatch.setattr(reports.services, "bump_round_version", bump_round_version)
        return fault

    def disarm(self) -> None:
        self.monkeypatch.undo()


@pytest.fixture
def faults(monkeypatch) -> Faults:
    return Faults(monkeypatch)


@pytest.fixture
def draft(world) -> Response:
    """Two Payments colleagues submitted (scores exist); Alice has a complete draft."""
    for name in ("carol", "dan"):
        colleague = Membership.objects.create(
            team=world.team_a, user=User.objects.create(username=name)
        ).user
        submit_as(colleague, world.shared_round, world.team_a)
    response = response_start(
        survey_round=world.shared_round, team=world.team_a, user=world.people["member"]
    )
    return response_save_draft(
        response=response, answers=answers_for(world.questionnaire, COMPLETE_ANSWERS), page=3
    )


# --- an exception injected half-way ------------------------------------------------------


@pytest.mark.django_db
def test_a_submit_that_fails_after_half_the_answers_keeps_the_previous_answers(
    world, draft, fingerprint, faults
):
    before_answers, before = stored_answers(draft), fingerprint()
    fault = faults.answers_half_way()

    with pytest.raises(InjectedFault):
        response_submit(response=draft, answers=answers_for(world.questionnaire, CHANGED_ANSWERS))

    assert fault["written"] == fault["of"] // 2 > 0
    assert fault["during"] != before_answers  # the half was in the database...
    assert stored_answers(draft) == before_answers  # ...and is gone again
    draft.refresh_from_db()
    assert draft.status == Response.Status.DRAFT and draft.submitted_at is None
    assert fingerprint() == before


@pytest.mark.django_db
def test_changing_a_submitted_response_half_way_keeps_its_answers_and_scores(
    world, draft, fingerprint, faults
):
    submitted = response_submit(response=draft)
    before_answers, before = stored_answers(submitted), fingerprint()
    fault = faults.answers_half_way()

    with pytest.raises(InjectedFault):
        response_save_draft(
            response=submitted, answers=answers_for(world.questionnaire, CHANGED_ANSWERS)
        )

    assert fault["during"] != before_answers
    assert stored_answers(submitted) == before_answers
    assert fingerprint() == before  # score tables included


@pytest.mark.django_db
def test_a_submit_whose_score_refresh_fails_stays_a_draft_and_leaves_the_scores(
    world, draft, fingerprint, faults
):
    before = fingerprint()
    fault = faults.score_refresh()

    with pytest.raises(InjectedFault):
        response_submit(response=draft)

    # The refresh had already counted Alice (3 respondents) when it failed...
    assert (world.team_a.pk, 3) in fault["summaries_during"]
    draft.refresh_from_db()
    assert draft.status == Response.Status.DRAFT and draft.submitted_at is None
    assert fingerprint() == before  # ...and the team's rows still count 2


@pytest.fixture
def alice(client, world, draft):
    world.login(client, "member")
    client.raise_request_exception = False  # a real browser gets the error page
    return client


@pytest.mark.django_db
def test_a_page_post_interrupted_half_way_saves_nothing_and_the_retry_saves_all(
    alice, world, draft, fingerprint, faults
):
    url = reverse("surveys:page", args=[world.shared_round.slug, world.team_a.slug, 3])
    data = {**page_post(world.questionnaire, 3, CHANGED_ANSWERS), "action": "save"}
    before_answers, before = stored_answers(draft), fingerprint()
    fault = faults.answers_half_way()

    failed = alice.post(url, data)

    assert failed.status_code == 500
    assert "Something went wrong" in failed.content.decode()
    assert fault["written"] > 0
    assert stored_answers(draft) == before_answers
    assert fingerprint() == before

    faults.disarm()
    retried = alice.post(url, data)

    assert retried.status_code == 302
    assert stored_answers(draft)["dora-change-failure-rate"] == (None, 3, "")
    assert stored_answers(draft)["dora-lead-time"][0] == 6


@pytest.mark.django_db
def test_a_submit_interrupted_by_the_score_refresh_is_not_acknowledged(
    alice, world, draft, fingerprint, faults
):
    url = reverse("surveys:review", args=[world.shared_round.slug, world.team_a.slug])
    before = fingerprint()
    faults.score_refresh()

    failed = alice.post(url)

    assert failed.status_code == 500  # no redirect to the "done" page
    assert fingerprint() == before

    faults.disarm()
    retried = alice.post(url)

    assert retried.status_code == 302 and retried["Location"].endswith("/done/")
    draft.refresh_from_db()
    assert draft.status == Response.Status.SUBMITTED
