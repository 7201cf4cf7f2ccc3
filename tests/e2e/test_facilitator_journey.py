"""A facilitator runs a round and takes the results into a retrospective."""

import io
import re

import openpyxl
import pandas as pd
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from surveys.models import SurveyRound
from tests.factories import DEFAULT_QUESTIONNAIRE, load_questionnaire

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo():
    load_questionnaire(DEFAULT_QUESTIONNAIRE)
    call_command("seed_demo", "--force", verbosity=0)


def download(page, action) -> tuple[str, bytes]:
    with page.expect_download() as info:
        action()
    value = info.value
    return value.suggested_filename, open(value.path(), "rb").read()


def test_facilitator_creates_a_round_and_downloads_exports(page, live_server, login, watch, demo):
    login("facilitator", "demo")
    page.get_by_role("link", name="Rounds").click()
    page.get_by_role("link", name=re.compile("New round|Create", re.I)).first.click()
    page.get_by_label("Name", exact=False).first.fill("2030 Q1")
    page.get_by_label("Opens at").fill("2030-01-06T09:00")
    page.get_by_label("Closes at").fill("2030-01-27T17:00")
    page.get_by_label("Payments").check()
    page.get_by_label("Platform").check()
    page.get_by_role("button", name=re.compile("Create", re.I)).click()
    expect(page.get_by_role("heading", name=re.compile("2030 Q1"))).to_be_visible()
    assert set(SurveyRound.objects.get(name="2030 Q1").teams.values_list("slug", flat=True)) == {
        "payments",
        "platform",
    }

    # Export a past round for the retrospective.
    past = SurveyRound.objects.closed().order_by("-opens_at").first()
    page.goto(f"{live_server.url}/reports/exports/rounds/{past.slug}/")
    assert [
        v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")
    ] == []

    page.get_by_role("radio", name=re.compile("Scores CSV")).check()
    name, content = download(
        page, lambda: page.get_by_role("button", name=re.compile("Download", re.I)).click()
    )
    assert name.endswith(".csv")
    frame = pd.read_csv(io.BytesIO(content))
    assert {"round", "team", "question_key"} <= set(frame.columns)
    assert len(frame) > 0

    page.get_by_role("radio", name=re.compile("XLSX")).check()
    name, content = download(
        page, lambda: page.get_by_role("button", name=re.compile("Download", re.I)).click()
    )
    assert name.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    # Reflections never go into a spreadsheet (docs/privacy.md).
    assert workbook.sheetnames == ["Summary", "Questions", "DORA", "Participation", "Actions"]

    # The retro pack for one team, from the team dashboard's download buttons.
    page.goto(f"{live_server.url}/reports/teams/payments/?round={past.slug}")
    name, content = download(
        page, lambda: page.get_by_role("link", name=re.compile("retro pack", re.I)).click()
    )
    assert name.endswith(".md")
    text = content.decode()
    assert text.startswith("# ") and "Payments" in text
    assert "<script" not in text
    watch.assert_clean()
