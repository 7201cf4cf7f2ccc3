"""Facilitators' writes through the API: the services do them, audited as the
facilitator, with the pages' rules; nothing is half written when input is refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessment.models import AuditEvent
from surveys.models import Membership, SurveyRound, Team
from tests.factories import close_round

pytestmark = pytest.mark.django_db


def actions_by(user) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(actor=user)
        .exclude(action__startswith="api_token")
        .order_by("pk")
        .values_list("action", "target")
    )


def test_a_facilitator_runs_a_quarter_through_the_api(world):
    facilitator = world.users["facilitator"]
    client = world.client_for("facilitator")

    team = client.post(
        "/api/v1/teams/", {"name": "Search", "group": "Product"}, content_type="application/json"
    )
    member = client.post(
        "/api/v1/teams/search/memberships/",
        {"user": "alice@example.com", "role": "lead"},
        content_type="application/json",
    )
    created = client.post(
        "/api/v1/rounds/",
        {
            "name": "2027 Q1",
            "questionnaire": world.survey_round.questionnaire_id,
            "opens_at": "2030-01-01T09:00:00Z",
            "closes_at": "2030-01-22T09:00:00+00:00",
            "teams": ["search", "payments"],
            "min_respondents": 4,
        },
        content_type="application/json",
    )
    extended = client.post(
        "/api/v1/rounds/2027-q1/extend/",
        {"closes_at": "2030-02-01T09:00:00Z"},
        content_type="application/json",
    )
    removed = client.delete(f"/api/v1/teams/search/memberships/{world.users['member of A'].pk}/")

    assert team.status_code == 201 and team.json()["slug"] == "search"
    assert member.json() == {
        "user_id": world.users["member of A"].pk,
        "username": "alice",
        "name": "",
        "email": "alice@example.com",
        "role": "lead",
    }
    assert created.status_code == 201
    assert created.json()["teams"] == ["payments", "search"] and created.json()["k"] == 4
    assert extended.json()["closes_at"] == "2030-02-01T09:00:00Z"
    assert removed.status_code == 204
    survey_round = SurveyRound.objects.get(slug="2027-q1")
    assert survey_round.created_by == facilitator
    assert not Membership.objects.filter(team__slug="search").exists()
    assert actions_by(facilitator) == [
        ("team.created", "Search"),
        ("membership.changed", "Search"),
        ("round.created", "2027 Q1"),
        ("round.extended", "2027 Q1"),
        ("membership.removed", "Search"),
    ]


def test_an_import_through_the_api_is_all_rows_or_none(world):
    client = world.client_for("facilitator")
    good = b"email,name,team,role\nnew@example.com,New Person,Search,member\n"
    bad = good + b"broken@example.com,Broken,,member\n"

    refused = client.post("/api/v1/members/import/", {"file": SimpleUploadedFile("m.csv", bad)})
    done = client.post("/api/v1/members/import/", {"file": SimpleUploadedFile("m.csv", good)})

    assert refused.status_code == 400
    assert refused.json()["errors"] == {"file": ["line 3: team is empty."]}
    assert done.status_code == 201
    assert done.json() == {
        "users_created": 1,
        "teams_created": 1,
        "memberships_created": 1,
        "memberships_updated": 0,
        "invited": ["new@example.com"],
    }
    assert Team.objects.filter(name="Search").count() == 1


def test_an_export_through_the_api_is_audited_as_its_reader(world):
    close_round(world.survey_round)
    manager = world.users["manager"]

    response = world.client_for("manager").get("/api/v1/rounds/2026-q3/exports/xlsx/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "private" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="export.downloaded")
    assert (event.actor, event.details["format"], event.details["teams"]) == (
        manager,
        "xlsx",
        ["checkout", "payments"],
    )
