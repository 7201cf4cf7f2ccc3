"""A facilitator brings in version 2 of the questionnaire; a member answers its checklist."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessment.models import Questionnaire
from surveys.models import Answer, SurveyRound
from tests.factories import (
    DEMO_QUESTIONNAIRES,
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    close_round,
    load_questionnaire,
    make_facilitator,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

V1, V2 = DEMO_QUESTIONNAIRES


@pytest.fixture
def organisation():
    v1 = load_questionnaire(V1)
    team = TeamFactory(name="Payments", slug="payments")
    MembershipFactory(team=team, user=UserFactory(username="alice"))
    make_facilitator("fran")
    close_round(SurveyRoundFactory(name="2026 Q3", questionnaire=v1, teams=[team]))
    return team


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_upload_preview_publish_open_a_round_and_answer_the_checklist(
    page, live_server, login, logout, watch, organisation
):
    login("fran")
    page.get_by_role("link", name="Questionnaires").click()
    page.get_by_role("link", name="Upload a version").click()
    page.get_by_label("Questionnaire file").set_input_files(str(V2))
    page.get_by_role("button", name="Upload as draft").click()

    expect(
        page.get_by_role("heading", name=re.compile("DevOps maturity self-assessment v2"))
    ).to_be_visible()
    expect(page.get_by_text("Not offered to rounds until you publish it.")).to_be_visible()
    changes = page.locator(".version-changes")
    expect(changes.get_by_text("Retired", exact=True)).to_be_visible()
    expect(
        changes.get_by_text("Was: How sustainable is your team's on-call arrangement?")
    ).to_be_visible()
    # The preview pages through the sections as members do.
    page.get_by_role("navigation", name="Preview sections").get_by_role(
        "link", name=re.compile("Monitoring & observability")
    ).click()
    expect(page.get_by_role("checkbox", name="Logs sent to a central place")).to_be_visible()

    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_text("new rounds can use it now")).to_be_visible()

    page.get_by_role("link", name="Rounds").click()
    page.get_by_role("link", name="New round").click()
    expect(page.get_by_role("heading", name="New since 2026 Q3")).to_be_visible()
    questionnaire = page.get_by_label("Questionnaire")
    expect(questionnaire.locator("option:checked")).to_have_text(re.compile(r"\(v2\)"))
    page.get_by_label("Name").fill("2026 Q4")
    page.get_by_label("Opens at").fill(_local(timezone.now() - timedelta(hours=1)))
    page.get_by_label("Closes at").fill(_local(timezone.now() + timedelta(days=14)))
    page.get_by_label("Payments").check()
    page.get_by_role("button", name="Create round").click()
    expect(page.get_by_role("heading", name=re.compile("2026 Q4"))).to_be_visible()
    assert SurveyRound.objects.get(name="2026 Q4").questionnaire.version == 2

    logout()
    login("alice")
    page.get_by_role("link", name=re.compile("2026 Q4")).click()
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_role("navigation", name="Sections").get_by_role(
        "link", name=re.compile("Monitoring & observability")
    ).click()
    signals = page.get_by_role("group", name=re.compile("Which of these signals"))
    signals.get_by_role("checkbox", name="Logs sent to a central place").check()
    signals.get_by_role("checkbox", name="Distributed traces across services").check()
    page.get_by_role("button", name="Save draft").click()
    expect(
        signals.get_by_role("checkbox", name="Distributed traces across services")
    ).to_be_checked()

    answer = Answer.objects.get(question__key="obs-telemetry-in-place")
    assert answer.number == 2
    assert sorted(answer.ticked.values_list("label", flat=True)) == [
        "Distributed traces across services",
        "Logs sent to a central place",
    ]
    assert Questionnaire.objects.get(version=2).is_published
    watch.assert_clean()
