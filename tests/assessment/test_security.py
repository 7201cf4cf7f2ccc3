"""Production posture: check --deploy, CSP, login throttling, error pages, audit trail."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from assessment.models import AuditEvent
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    make_facilitator,
    make_manager,
)

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x9" * 30 + "-a-long-random-production-secret",
    "DJANGO_ALLOWED_HOSTS": "shipshape.example.com",
    "DJANGO_BEHIND_PROXY": "true",
    "DJANGO_EMAIL_HOST": "smtp.example.com",
}


def test_check_deploy_is_clean_with_the_documented_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**env, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


EXPECTED_CSP = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "object-src 'none'",
}


@pytest.fixture
def pages(db):
    team = TeamFactory(name="Payments", slug="payments")
    member = MembershipFactory(team=team, user=UserFactory(username="alice")).user
    survey_round = SurveyRoundFactory(name="2026 Q4", slug="2026-q4", teams=[team])
    return {"team": team, "member": member, "round": survey_round}


@pytest.mark.parametrize(
    ("who", "url"),
    [
        (None, "/"),
        (None, "/accounts/login/"),
        (None, "/no-such-page/"),
        ("member", "/surveys/"),
        ("member", "/surveys/2026-q4/payments/"),
        ("member", "/reports/teams/payments/"),
        ("manager", "/reports/organisation/"),
        ("facilitator", "/surveys/manage/rounds/"),
        ("admin", "/admin/"),
    ],
)
def test_every_page_type_sends_a_strict_content_security_policy(client, pages, who, url):
    if who == "member":
        client.force_login(pages["member"])
    elif who == "manager":
        client.force_login(make_manager())
    elif who == "facilitator":
        client.force_login(make_facilitator())
    elif who == "admin":
        client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.get(url)
    policy = {part.strip() for part in response["Content-Security-Policy"].split(";")}
    assert policy >= EXPECTED_CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    if response.status_code == 200 and "text/html" in response["Content-Type"]:
        html = response.content.decode()
        # No inline script: every <script> either has a src or is a JSON data block.
        for tag in html.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, opening


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_with_a_clear_message(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    UserFactory(username="alice", password="right-password-123")
    client = Client()
    for _ in range(3):
        response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
        assert "enter a correct username and password" in response.content.decode()

    locked = client.post(reverse("login"), {"username": "alice", "password": "right-password-123"})
    assert "Too many failed attempts" in locked.content.decode()
    assert not locked.wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_a_successful_login_clears_earlier_failures(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    UserFactory(username="alice", password="right-password-123")
    client = Client()
    for _ in range(2):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    client.post(reverse("login"), {"username": "alice", "password": "right-password-123"})
    client.post(reverse("logout"))
    for _ in range(2):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    ok = client.post(
        reverse("login"), {"username": "alice", "password": "right-password-123"}, follow=True
    )
    assert ok.context["user"].is_authenticated


@pytest.mark.django_db
def test_not_found_page_is_friendly_and_leaks_nothing(client, settings):
    settings.DEBUG = False
    response = client.get("/surveys/no-round/no-team/")
    assert response.status_code in (302, 404)
    client.force_login(UserFactory())
    response = client.get("/reports/teams/secret-team/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "Traceback" not in html and "secret-team" not in html


@pytest.mark.django_db
def test_server_errors_show_a_plain_page_without_details(client, settings, monkeypatch):
    settings.DEBUG = False
    import assessment.views

    def boom(request):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(assessment.views, "home", boom)
    from django.urls import clear_url_caches

    clear_url_caches()
    client.raise_request_exception = False
    import importlib

    import assessment.urls

    importlib.reload(assessment.urls)
    try:
        response = client.get("/")
    finally:
        monkeypatch.undo()
        importlib.reload(assessment.urls)
        clear_url_caches()
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"hunter2" not in response.content and b"Traceback" not in response.content


@pytest.mark.django_db
def test_admin_is_only_for_staff(client):
    client.force_login(make_facilitator())
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_round_actions_membership_changes_and_imports_are_audited(client):
    facilitator = make_facilitator("fran")
    client.force_login(facilitator)
    team = TeamFactory(name="Payments", slug="payments")
    from tests.factories import load_questionnaire

    questionnaire = load_questionnaire()
    client.post(
        reverse("surveys:round_create"),
        {
            "name": "2027 Q1",
            "questionnaire": questionnaire.pk,
            "opens_at": "2027-01-04T09:00",
            "closes_at": "2027-01-25T17:00",
            "teams": [team.pk],
            "min_respondents": 3,
        },
    )
    bob = UserFactory(username="bob")
    client.post(
        reverse("surveys:team_detail", args=[team.slug]),
        {"user": "bob", "role": "lead"},
    )
    csv_file = b"email,name,team,role\ncarol@example.com,Carol C,Payments,member\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        reverse("surveys:members_import"),
        {"file": SimpleUploadedFile("members.csv", csv_file, content_type="text/csv")},
    )
    actions = list(
        AuditEvent.objects.order_by("id").values_list("action", "actor_username", "target")
    )
    assert ("round.created", "fran", "2027 Q1") in actions
    assert ("membership.changed", "fran", "Payments") in actions
    assert ("members.imported", "fran", "Payments") in actions
    assert bob.pk


@pytest.mark.django_db
def test_the_audit_log_is_append_only():
    event = AuditEvent.objects.create(action="round.created", target="x")
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_admins_can_export_the_audit_log_as_csv(admin_client):
    AuditEvent.objects.create(action="round.created", actor_username="=cmd()", target="2027 Q1")
    response = admin_client.post(
        reverse("admin:assessment_auditevent_changelist"),
        {
            "action": "export_csv",
            "_selected_action": list(AuditEvent.objects.values_list("pk", flat=True)),
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.splitlines()[0] == "created_at,actor,action,target,details"
    assert "'=cmd()" in body
