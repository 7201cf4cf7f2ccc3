"""A team member answering a round, as they would in the browser (without JavaScript)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import Answer, Response

pytestmark = pytest.mark.django_db


def start(client, survey, **data):
    return client.post(survey.url("start"), data)


def test_my_surveys_lists_the_open_round_with_my_status(member_client, survey):
    page = member_client.get(reverse("surveys:my_surveys")).content.decode()
    assert "2026 Q4" in page and "Payments" in page and "Not started" in page

    start(member_client, survey)
    member_client.post(survey.url("page", 1), {**survey.complete_post(1), "action": "next"})

    page = member_client.get(reverse("surveys:my_surveys")).content.decode()
    assert "Draft, 3 of 10 answered" in page


def test_starting_creates_one_draft_and_shows_the_first_category(member_client, survey):
    response = start(member_client, survey)
    assert response.status_code == 302
    assert response["Location"] == survey.url("page", 1)

    page = member_client.get(survey.url("page", 1)).content.decode()
    assert "Continuous integration &amp; delivery" in page
    assert "Section 1 of 3" in page
    # Level descriptors are shown, not bare numbers, and abstaining is always possible.
    assert "Tests gate every merge and stay fast." in page
    assert "Don&#x27;t know" in page and "Not applicable" in page
    assert Response.objects.get().status == Response.Status.DRAFT


def test_next_saves_the_page_as_a_draft_and_moves_on(member_client, survey):
    start(member_client, survey)
    response = member_client.post(
        survey.url("page", 1), {**survey.complete_post(1), "action": "next"}
    )

    assert response["Location"] == survey.url("page", 2)
    stored = Response.objects.get()
    assert stored.last_page == 2
    assert stored.answers.get(question=survey.question("cicd-tests")).choice.score == 3
    assert stored.answers.get(question=survey.question("cicd-reflection")).text == (
        "Flaky tests slowed us down."
    )


def test_a_draft_survives_logging_out_and_resumes_where_i_was(client, survey):
    client.force_login(survey.member)
    start(client, survey)
    client.post(survey.url("page", 1), {**survey.complete_post(1), "action": "next"})
    client.post(reverse("logout"))

    fresh = Client()
    fresh.force_login(survey.member)
    resumed = fresh.get(survey.url("start"))
    assert resumed["Location"] == survey.url("page", 2)
    page_one = fresh.get(survey.url("page", 1)).content.decode()
    chosen = survey.choice("cicd-tests", 3).pk
    assert f'value="{chosen}" checked' in page_one or f'value="{chosen}"' in page_one
    assert "checked" in page_one
    assert "Flaky tests slowed us down." in page_one


def test_previous_keeps_answers_and_goes_back(member_client, survey):
    start(member_client, survey)
    response = member_client.post(
        survey.url("page", 2), {**survey.complete_post(2), "action": "prev"}
    )
    assert response["Location"] == survey.url("page", 1)
    assert Answer.objects.filter(question=survey.question("ir-reviews")).exists()


def test_clearing_an_answer_removes_it(member_client, survey):
    start(member_client, survey)
    member_client.post(survey.url("page", 2), {**survey.complete_post(2), "action": "save"})
    member_client.post(survey.url("page", 2), {"page": "2", "action": "save"})
    assert not Answer.objects.filter(question=survey.question("ir-reviews")).exists()


def test_review_lists_unanswered_required_questions_and_refuses_to_submit(member_client, survey):
    start(member_client, survey)
    member_client.post(survey.url("page", 1), {**survey.complete_post(1), "action": "next"})

    review = member_client.get(survey.url("review")).content.decode()
    assert "How do you learn from incidents?" in review
    assert "How often do you deploy?" in review
    assert "What did the last incident teach you?" not in review  # optional reflection

    refused = member_client.post(survey.url("review"))
    assert refused.status_code == 400
    assert Response.objects.get().status == Response.Status.DRAFT


def answer_everything(client, survey):
    start(client, survey)
    for page in (1, 2, 3):
        client.post(survey.url("page", page), {**survey.complete_post(page), "action": "next"})


def test_submitting_a_complete_response_confirms_it(member_client, survey):
    answer_everything(member_client, survey)
    response = member_client.post(survey.url("review"), follow=True)

    assert response.redirect_chain[-1][0] == survey.url("done")
    assert "your answers are submitted" in response.content.decode()
    stored = Response.objects.get()
    assert stored.status == Response.Status.SUBMITTED
    assert stored.submitted_at is not None
    assert stored.answers.count() == 8


def test_submitting_twice_creates_nothing_twice(member_client, survey):
    answer_everything(member_client, survey)
    member_client.post(survey.url("review"))
    first = Response.objects.get()

    member_client.post(survey.url("review"))  # double click or resent POST
    start(member_client, survey)  # back button to the start page

    assert Response.objects.count() == 1
    assert Answer.objects.count() == 8
    assert Response.objects.get().submitted_at == first.submitted_at


def test_after_submitting_i_can_change_an_answer_until_the_round_closes(member_client, survey):
    answer_everything(member_client, survey)
    member_client.post(survey.url("review"))

    page = member_client.get(survey.url("page", 2)).content.decode()
    assert "Changes you save now update your submitted answers" in page
    changed = {"page": "2", survey.field("ir-reviews"): str(survey.choice("ir-reviews", 4).pk)}
    member_client.post(survey.url("page", 2), {**changed, "action": "save"})

    stored = Response.objects.get()
    assert stored.status == Response.Status.SUBMITTED
    assert stored.answers.get(question=survey.question("ir-reviews")).choice.score == 4


def test_a_closed_round_is_read_only_and_rejects_posts(member_client, survey):
    answer_everything(member_client, survey)
    before = list(Answer.objects.order_by("pk").values_list("pk", "choice_id", "number", "text"))

    # Just after closing time (the session is still valid).
    survey.round.closes_at = timezone.now() + timedelta(minutes=5)
    survey.round.save()
    with time_machine.travel(survey.round.closes_at + timedelta(minutes=1)):
        page = member_client.get(survey.url("page", 2))
        assert "is closed" in page.content.decode()
        assert "disabled" in page.content.decode()

        changed = {"page": "2", survey.field("ir-reviews"): str(survey.choice("ir-reviews", 4).pk)}
        rejected = member_client.post(survey.url("page", 2), {**changed, "action": "save"})
        assert rejected.status_code == 409
        assert "Nothing was saved" in rejected.content.decode()

        autosave = member_client.post(survey.url("autosave"), changed)
        assert autosave.status_code == 409
        submit = member_client.post(survey.url("review"))
        assert submit.status_code == 409

    after = list(Answer.objects.order_by("pk").values_list("pk", "choice_id", "number", "text"))
    assert after == before
    assert Response.objects.get().status == Response.Status.DRAFT


def test_a_round_that_has_not_opened_cannot_be_started(member_client, survey):
    survey.round.opens_at = timezone.now() + timedelta(days=2)
    survey.round.closes_at = timezone.now() + timedelta(days=20)
    survey.round.save()

    page = member_client.get(survey.url("start")).content.decode()
    assert "opens on" in page
    member_client.post(survey.url("start"))
    assert not Response.objects.exists()


def test_autosave_stores_answers_and_says_when(member_client, survey):
    start(member_client, survey)
    response = member_client.post(survey.url("autosave"), survey.complete_post(2))

    assert response.status_code == 200
    assert response.json()["message"].startswith("Saved at ")
    assert Answer.objects.filter(question=survey.question("ir-reviews")).count() == 1


def test_start_from_last_quarter_prefills_choices_but_not_reflections(member_client, survey):
    from tests.factories import SurveyRoundFactory

    answer_everything(member_client, survey)
    member_client.post(survey.url("review"))
    earlier = survey.round
    earlier.opens_at = timezone.now() - timedelta(days=100)
    earlier.closes_at = timezone.now() - timedelta(days=80)
    earlier.save()
    survey.round = SurveyRoundFactory(
        name="2027 Q1", slug="2027-q1", questionnaire=earlier.questionnaire, teams=[survey.team]
    )

    page = member_client.get(survey.url("start")).content.decode()
    assert "Start from my answers of 2026 Q4" in page
    member_client.post(survey.url("start"), {"prefill": "1"})

    draft = Response.objects.get(round=survey.round)
    assert draft.prefilled_from_previous
    assert draft.status == Response.Status.DRAFT
    assert draft.answers.get(question=survey.question("ir-reviews")).choice.score == 1
    assert draft.answers.get(question=survey.question("dora-change-failure-rate")).number == 12
    assert not draft.answers.filter(question=survey.question("cicd-reflection")).exists()
    assert (
        "started from your answers of last time"
        in member_client.get(survey.url("page", 1)).content.decode()
    )
