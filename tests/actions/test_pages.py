"""The action pages: the form's suggestions and guidance, the list, carry-over."""

import re

import pytest
from django.urls import reverse

from actions import services
from actions.models import Action
from assessment.loader import parse_questionnaire
from assessment.models import Question
from assessment.services import questionnaire_load
from tests.actions.loop import Loop
from tests.factories import FIXTURES, close_round, uniform

pytestmark = pytest.mark.django_db

GUIDANCE = "Quarantine flaky tests the day they fail."
MINI = (FIXTURES / "mini.yaml").read_text()
WITH_GUIDANCE = MINI.replace(
    "        text: How automated are your tests?\n",
    f"        text: How automated are your tests?\n        guidance: {GUIDANCE}\n",
)


def test_guidance_is_no_part_of_what_was_answered_so_it_keeps_the_versions_hash():
    assert WITH_GUIDANCE != MINI
    assert parse_questionnaire(WITH_GUIDANCE).content_hash == parse_questionnaire(MINI).content_hash


def test_guidance_added_to_a_version_with_answers_is_updated_in_place():
    loop = Loop()  # mini v1 is published and answered: locked
    assert loop.round_a.questionnaire.is_locked()

    result = questionnaire_load(spec=parse_questionnaire(WITH_GUIDANCE))
    again = questionnaire_load(spec=parse_questionnaire(WITH_GUIDANCE))

    assert (result.action, again.action) == ("guidance updated", "unchanged")
    assert result.questionnaire == loop.round_a.questionnaire
    assert Question.objects.get(questionnaire=result.questionnaire, key="cicd-tests").guidance == (
        GUIDANCE
    )


def test_plan_an_action_from_a_question_row_suggests_the_next_level_and_the_guidance(client):
    loop = Loop(a_answers=uniform(3, 1, 2, 2))
    questionnaire_load(spec=parse_questionnaire(WITH_GUIDANCE))
    client.force_login(loop.lead)
    dashboard = client.get(reverse("reports:team_dashboard", args=["payments"])).text
    link = (
        reverse("actions:create", args=["payments"])
        + "?round=2026-q1&amp;question=cicd-tests&amp;aim=2"
    )
    assert link in dashboard  # the team is at level 1 (Developing): aim for 2

    page = client.get(link.replace("&amp;", "&")).text

    assert "Next level: Defined</span> Tests run on every merge." in page
    assert GUIDANCE in page
    assert re.search(
        r'<input type="checkbox"[^>]* name="question_keys" value="cicd-tests"[^>]* checked>', page
    )
    assert "How do you roll out changes?" in page  # the other questions of the category
    assert "How do you learn from incidents?" not in page


def test_the_form_explains_what_is_wrong_and_saves_nothing(client):
    loop = Loop()
    client.force_login(loop.member)

    response = client.post(
        reverse("actions:create", args=["payments"]),
        {
            "title": "Mixed bag",
            "raised_in": loop.round_a.pk,
            "question_keys": ["cicd-tests", "ir-reviews"],
            "owner": loop.other.pk,
        },
    )

    assert response.status_code == 200
    # The form offers the questions of one category (the first one's).
    assert "Select a valid choice. ir-reviews is not one of the available choices." in response.text
    assert "Select a valid choice. That choice is not one of the available choices." in (
        response.text  # bob is not a member of Payments
    )
    assert not Action.objects.exists()


def test_a_member_plans_an_action_with_an_owner_and_it_is_listed_as_open(client):
    loop = Loop()
    client.force_login(loop.member)

    response = client.post(
        reverse("actions:create", args=["payments"]),
        {
            "title": "Gate merges on the tests",
            "raised_in": loop.round_a.pk,
            "question_keys": ["cicd-tests"],
            "owner": loop.lead.pk,
        },
        follow=True,
    )

    action = Action.objects.get()
    assert (action.category_key, action.owner, action.created_by) == (
        "ci-cd",
        loop.lead,
        loop.member,
    )
    assert "Saved “Gate merges on the tests”." in response.text
    assert "Open (1)" in response.text and "owner: Lee" in response.text


def test_open_actions_of_earlier_rounds_appear_when_the_next_round_opens(client):
    loop = Loop()
    loop.plan()
    finished = loop.plan("Write a rollback runbook", questions=["cicd-rollout"])
    finished.status = "dropped"
    finished.save()
    loop.open_b()
    client.force_login(loop.member)

    url = reverse("reports:team_dashboard", args=["payments"])
    page = client.get(url, {"round": "2026-q2"}).text

    assert "Results of 2026 Q2 appear when the round closes" in page
    assert "Fix the flaky tests" in page
    assert "Shown when 2026 Q2 closes." in page
    assert "Write a rollback runbook" not in page  # dropped before this round


def test_without_a_question_the_form_asks_for_a_category_first(client):
    loop = Loop()
    client.force_login(loop.lead)
    url = reverse("actions:create", args=["payments"])

    page = client.get(url).text
    response = client.post(url, {"title": "Talk about it", "raised_in": loop.round_a.pk})
    picked = client.get(url, {"round": "2026-q1", "category": "incident-response"}).text

    assert "To target single questions, pick their category first" in page
    assert 'name="question_keys"' not in page
    assert "Choose a category, or one or more questions." in response.text
    assert 'value="ir-reviews"' in picked and 'value="cicd-tests"' not in picked


def test_the_list_shows_history_and_flags_an_open_action_past_its_target_round(client):
    loop = Loop()
    round_b = loop.open_b()
    action = loop.plan(target_round=round_b)
    services.action_set_status(action=action, status="in_progress", by=loop.member)
    close_round(round_b)
    client.force_login(loop.lead)

    page = client.get(reverse("actions:list", args=["payments"])).text

    assert "Past its target round" in page
    assert "created as Planned by Lee" in page
    assert "Planned → In progress by Alice" in page


def test_typed_text_is_escaped_on_every_page_that_shows_actions(client):
    loop = Loop()
    loop.plan('<script>alert("x")</script>', description="<img src=x onerror=alert(1)>")
    client.force_login(loop.lead)

    for url in (
        reverse("actions:list", args=["payments"]),
        reverse("reports:team_dashboard", args=["payments"]),
    ):
        page = client.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
