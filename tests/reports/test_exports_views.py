"""Export URLs: who may download what, and what a refusal looks like.

Nothing of a round before it closes. After the close, the team as it was at the
close may download aggregates and its retro pack; managers aggregates only;
facilitators everything, the Answers CSV included. k applies to every one of
them. Someone who joined a team after the close downloads nothing of that round.
"""

import copy
import io

import openpyxl
import pandas as pd
import pytest
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.urls import reverse

from surveys.models import Membership
from tests.factories import make_facilitator, make_manager
from tests.reports.export_org import NOW, WHILE_OPEN, ExportOrg, build_export_org

pytestmark = pytest.mark.django_db

FORMATS = ("csv", "answers-csv", "xlsx", "json", "md")
ALL = dict.fromkeys(FORMATS, 200)
# The team at the close: its aggregates and retro pack, never single answers.
TEAM = {"csv": 200, "answers-csv": 403, "xlsx": 200, "json": 200, "md": 200}
AGGREGATES_ONLY = {"csv": 200, "answers-csv": 403, "xlsx": 200, "json": 200, "md": 403}
REFUSED = dict.fromkeys(FORMATS, 403)
NOWHERE = dict.fromkeys(FORMATS, 404)


def build_org_with_every_role() -> ExportOrg:
    built = build_export_org()
    Membership.objects.filter(user__username="payments-ben").update(role=Membership.Role.LEAD)
    make_manager()
    make_facilitator()
    return built


@pytest.fixture(scope="module")
def built_org(module_rows) -> ExportOrg:
    # Built once for the module; each test gets its own copy.
    return module_rows(build_org_with_every_role)


@pytest.fixture
def org(built_org, time_machine) -> ExportOrg:
    time_machine.move_to(NOW, tick=False)
    return copy.deepcopy(built_org)


def login(client, role: str) -> None:
    usernames = {
        "member": "payments-ana",
        "lead": "payments-ben",
        "other_member": "identity-p0",
        "manager": "manager",
        "facilitator": "facilitator",
    }
    if role != "anonymous":
        client.force_login(User.objects.get(username=usernames[role]))


def team_url(fmt: str, team: str = "payments", round_slug: str = "2026-q2") -> str:
    return reverse(
        "reports:export_team", kwargs={"round_slug": round_slug, "team_slug": team, "fmt": fmt}
    )


def body(response) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)
    return response.content


# --- the permission matrix -------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("member", TEAM),
        ("lead", TEAM),
        ("other_member", NOWHERE),
        ("manager", AGGREGATES_ONLY),
        ("facilitator", ALL),
    ],
)
def test_team_export_urls_follow_the_dashboard_rules(client, org, role, expected):
    login(client, role)

    statuses = {fmt: client.get(team_url(fmt)).status_code for fmt in FORMATS}

    assert statuses == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("member", REFUSED),
        ("lead", REFUSED),
        ("other_member", NOWHERE),
        ("manager", REFUSED),
        ("facilitator", REFUSED),
    ],
)
def test_nothing_of_an_open_round_downloads_for_anyone(client, org, time_machine, role, expected):
    time_machine.move_to(WHILE_OPEN, tick=False)  # everyone has answered; Q2 is open
    login(client, role)

    responses = {fmt: client.get(team_url(fmt)) for fmt in FORMATS}

    assert {fmt: response.status_code for fmt, response in responses.items()} == expected
    for response in responses.values():
        assert "Content-Disposition" not in response
        if response.status_code == 403:
            assert "Results of 2026 Q2 appear when the round closes on 1 May 2026" in (
                response.content.decode()
            )


def test_someone_who_joined_after_the_close_downloads_nothing_of_that_round(client, org):
    late = User.objects.create(username="payments-late")
    Membership.objects.create(team=org.payments, user=late)  # on 4 May, after Q2 closed
    client.force_login(late)

    responses = {fmt: client.get(team_url(fmt)) for fmt in FORMATS}

    assert {fmt: response.status_code for fmt, response in responses.items()} == REFUSED
    for response in responses.values():
        assert "teams you belonged to when the round closed" in response.content.decode()


@pytest.mark.parametrize("fmt", FORMATS)
def test_anonymous_visitors_are_sent_to_log_in(client, org, fmt):
    response = client.get(team_url(fmt))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "status"),
    [("member", 404), ("lead", 404), ("other_member", 404), ("manager", 200), ("facilitator", 200)],
)
def test_round_export_page_is_for_facilitators_and_managers(client, org, role, status):
    login(client, role)

    assert client.get(reverse("reports:export_round", args=["2026-q2"])).status_code == status


def test_round_export_page_sends_anonymous_visitors_to_log_in(client, org):
    response = client.get(reverse("reports:export_round", args=["2026-q2"]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- downloads -------------------------------------------------------------------------------


def test_a_member_sees_their_own_team_under_k_as_withheld(client, org):
    login(client, "other_member")  # Identity has two respondents

    response = client.get(team_url("csv", team="identity"))

    assert response.status_code == 200
    frame = pd.read_csv(io.BytesIO(body(response)))
    assert frame["withheld"].all()
    assert frame["score"].isna().all()
    assert frame["n"].isna().all()


def test_a_manager_sees_a_team_below_k_as_withheld(client, org):
    login(client, "manager")

    frame = pd.read_csv(io.BytesIO(body(client.get(team_url("csv", team="identity")))))

    assert frame["withheld"].all()
    assert frame["score"].isna().all()


def test_csv_downloads_stream_as_named_attachments(client, org):
    login(client, "facilitator")

    for fmt, filename in (
        ("csv", "shipshape-2026-q2-team-payments-scores.csv"),
        ("answers-csv", "shipshape-2026-q2-team-payments-answers.csv"),
    ):
        response = client.get(team_url(fmt))
        assert isinstance(response, StreamingHttpResponse)
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert response["Cache-Control"] == "private, no-store"
        assert body(response).startswith("\ufeffround,".encode())


def test_other_formats_download_as_whole_attachments(client, org):
    login(client, "facilitator")

    for fmt, filename in (
        ("xlsx", "shipshape-2026-q2-team-payments.xlsx"),
        ("json", "shipshape-2026-q2-team-payments.json"),
        ("md", "shipshape-2026-q2-team-payments-retro-pack.md"),
    ):
        response = client.get(team_url(fmt))
        assert not isinstance(response, StreamingHttpResponse)
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
        assert len(response.content) > 100
    xlsx = client.get(team_url("xlsx"))
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "Summary"


def test_a_past_round_downloads_too(client, org):
    login(client, "member")

    response = client.get(team_url("md", round_slug="2026-q1"))

    assert response.status_code == 200
    assert b"# Retro pack: Payments, 2026 Q1" in response.content


# --- refusals and unknowns ---------------------------------------------------------------------


FACILITATORS_ONLY = "single anonymous answers, which only facilitators may download"


@pytest.mark.parametrize(
    ("role", "fmt", "reason"),
    [
        ("manager", "answers-csv", FACILITATORS_ONLY),
        ("member", "answers-csv", FACILITATORS_ONLY),
        ("lead", "answers-csv", FACILITATORS_ONLY),
        ("manager", "md", "the team&#x27;s reflections, which only the team and facilitators"),
    ],
)
def test_a_refused_export_says_why_and_sends_no_file(client, org, role, fmt, reason):
    login(client, role)

    response = client.get(team_url(fmt))

    assert response.status_code == 403
    assert "Content-Disposition" not in response
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert "Export refused" in content
    assert reason in content
    assert "No file was written." in content


def test_an_unknown_format_is_not_found(client, org):
    login(client, "facilitator")

    assert client.get(team_url("pdf")).status_code == 404


def test_a_team_outside_the_round_is_not_found(client, org):
    login(client, "facilitator")

    # Checkout takes part in Q2 only.
    assert client.get(team_url("csv", team="checkout", round_slug="2026-q1")).status_code == 404
    assert client.get(team_url("csv", team="nobody")).status_code == 404
    assert client.get(team_url("csv", round_slug="2099-q1")).status_code == 404


def test_team_downloads_answer_get_only(client, org):
    login(client, "facilitator")

    assert client.post(team_url("csv")).status_code == 405


# --- the round export page ---------------------------------------------------------------


def test_round_page_lists_every_team_checked_and_every_format_for_a_facilitator(client, org):
    login(client, "facilitator")

    response = client.get(reverse("reports:export_round", args=["2026-q2"]))

    content = response.content.decode()
    assert content.count('type="checkbox" name="teams"') == 5
    assert content.count(" checked") == 5 + 1  # every team, and the first format
    for fmt in FORMATS:
        assert f'value="{fmt}"' in content
    assert "Not available to you" not in content
    assert "<script>" not in content.split("<main", 1)[1].split("</main>", 1)[0]


def test_round_page_offers_a_manager_only_aggregate_formats(client, org):
    login(client, "manager")

    content = client.get(reverse("reports:export_round", args=["2026-q2"])).content.decode()

    assert 'value="csv"' in content and 'value="xlsx"' in content and 'value="json"' in content
    assert 'value="answers-csv"' not in content and 'value="md"' not in content
    assert "Not available to you: Answers CSV, Markdown retro pack." in content


def test_round_page_downloads_the_chosen_teams_in_the_chosen_format(client, org):
    login(client, "facilitator")

    response = client.post(
        reverse("reports:export_round", args=["2026-q2"]),
        {"teams": [org.payments.pk, org.identity.pk], "format": "answers-csv"},
    )

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == (
        'attachment; filename="shipshape-2026-q2-2-teams-answers.csv"'
    )
    frame = pd.read_csv(io.BytesIO(body(response)))
    assert set(frame["team"]) == {"payments", "identity"}
    assert frame[frame["team"] == "identity"]["withheld"].tolist() == [True]


def test_round_page_refuses_a_manager_the_retro_pack(client, org):
    login(client, "manager")

    response = client.post(
        reverse("reports:export_round", args=["2026-q2"]),
        {"teams": [org.payments.pk], "format": "md"},
    )

    assert response.status_code == 403
    assert "Content-Disposition" not in response
    assert "Markdown retro pack" in response.content.decode()


def test_round_page_asks_for_at_least_one_team(client, org):
    login(client, "facilitator")

    response = client.post(reverse("reports:export_round", args=["2026-q2"]), {"format": "csv"})

    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert "Choose at least one team." in response.content.decode()


def test_round_page_rejects_an_unknown_format(client, org):
    login(client, "facilitator")

    response = client.post(
        reverse("reports:export_round", args=["2026-q2"]),
        {"teams": [org.payments.pk], "format": "pdf"},
    )

    assert "Content-Disposition" not in response
    assert "Select a valid choice" in response.content.decode()


def test_downloads_are_recorded_in_the_audit_log_and_refusals_are_not(client, org):
    from assessment.models import AuditEvent

    login(client, "facilitator")
    client.post(
        reverse("reports:export_round", args=["2026-q2"]),
        {"teams": [org.payments.pk, org.identity.pk], "format": "xlsx"},
    )
    login(client, "manager")
    client.post(
        reverse("reports:export_round", args=["2026-q2"]),
        {"teams": [org.payments.pk], "format": "md"},
    )

    events = list(AuditEvent.objects.filter(action="export.downloaded"))
    assert len(events) == 1
    assert events[0].details["format"] == "xlsx"
    assert events[0].details["teams"] == ["identity", "payments"]
    assert events[0].target == "2026 Q2"
    assert events[0].actor_username


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("manager", {"csv", "xlsx", "json"}),
        ("member", {"csv", "xlsx", "json", "md"}),
        ("facilitator", set(FORMATS)),
    ],
)
def test_the_team_dashboard_offers_the_downloads_the_viewer_may_use(client, org, role, offered):
    login(client, role)
    page = client.get(reverse("reports:team_dashboard", args=["payments"]) + "?round=2026-q2")
    html = page.content.decode()
    assert {fmt for fmt in FORMATS if team_url(fmt) in html} == offered
