"""Bad input gets a clear message or a 4xx, never a 500, never a partial write."""

import pytest
from django.test import Client

from surveys.models import Answer, Response

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(member_client, survey):
    member_client.post(survey.url("start"))
    member_client.post(survey.url("page", 1), {**survey.complete_post(1), "action": "save"})
    return member_client


def snapshot():
    return list(
        Answer.objects.order_by("pk").values_list(
            "pk", "question_id", "choice_id", "number", "text"
        )
    )


def test_a_choice_from_another_question_is_refused_and_nothing_on_the_page_is_saved(
    started, survey
):
    before = snapshot()
    data = {
        **survey.complete_post(1),
        survey.field("cicd-tests"): str(survey.choice("ir-reviews", 2).pk),
        survey.field("cicd-reflection"): "this must not be saved either",
        "action": "save",
    }
    response = started.post(survey.url("page", 1), data)
    assert response.status_code == 400
    assert "Choose one of the options shown for this question." in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("value", ["140", "-3", "12.5", "lots", "1e3"])
def test_a_percent_outside_0_to_100_or_not_a_whole_number_is_refused(started, survey, value):
    before = snapshot()
    data = {**survey.complete_post(3), survey.field("dora-change-failure-rate"): value}
    response = started.post(survey.url("page", 3), {**data, "action": "save"})
    assert response.status_code == 400
    assert "Enter a whole number from 0 to 100." in response.content.decode()
    assert snapshot() == before


def test_text_over_the_limit_is_refused(started, survey):
    before = snapshot()
    data = {**survey.complete_post(1), survey.field("cicd-reflection"): "x" * 4001}
    response = started.post(survey.url("page", 1), {**data, "action": "save"})
    assert response.status_code == 400
    assert "at most 4000 characters" in response.content.decode()
    assert snapshot() == before


def test_null_bytes_in_text_are_refused(started, survey):
    data = {**survey.complete_post(1), survey.field("cicd-reflection"): "bad\x00text"}
    response = started.post(survey.url("page", 1), {**data, "action": "save"})
    assert response.status_code == 400


def test_forged_question_fields_are_ignored(started, survey):
    before = snapshot()
    data = {"page": "2", "q-not-a-question": "1", "q-cicd-tests": "999999", "action": "save"}
    response = started.post(survey.url("page", 2), data)
    assert response.status_code == 302
    assert snapshot() == before


@pytest.mark.parametrize("page", ["0", "99", "abc", ""])
def test_autosave_with_a_forged_page_is_a_400(started, survey, page):
    response = started.post(survey.url("autosave"), {"page": page})
    assert response.status_code == 400
    assert "error" in response.json()


def test_autosave_with_bad_values_reports_the_field_and_saves_nothing(started, survey):
    before = snapshot()
    data = {**survey.complete_post(3), survey.field("dora-change-failure-rate"): "140"}
    response = started.post(survey.url("autosave"), data)
    assert response.status_code == 400
    assert survey.field("dora-change-failure-rate") in response.json()["fields"]
    assert snapshot() == before


def test_a_page_beyond_the_questionnaire_is_a_404(started, survey):
    assert started.get(survey.url("page", 9)).status_code == 404


def test_a_post_without_csrf_token_is_refused(survey):
    client = Client(enforce_csrf_checks=True)
    client.force_login(survey.member)
    response = client.post(survey.url("start"))
    assert response.status_code == 403
    assert not Response.objects.exists()


def test_get_on_autosave_is_not_allowed(started, survey):
    assert started.get(survey.url("autosave")).status_code == 405
