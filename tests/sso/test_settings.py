"""Single sign-on is configured by environment variables only, checked at start-up."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SHIPSHAPE_OIDC_ENABLED, settings.SHIPSHAPE_PASSWORD_LOGIN, "
    "settings.SECURE_CSP['form-action'][-1], settings.OIDC_RP_SCOPES)"
)


def start(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SHIPSHAPE_"))}
    return subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "assessment.settings"},
        capture_output=True,
        text=True,
        check=False,
    )


SSO = {
    "SHIPSHAPE_OIDC_DISCOVERY_URL": "https://id.example.com/realms/acme",
    "SHIPSHAPE_OIDC_CLIENT_ID": "shipshape",
    "SHIPSHAPE_OIDC_CLIENT_SECRET": "secret",
}


def test_without_sso_settings_password_login_is_as_before():
    result = start()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "'self'", "openid", "email", "profile"]


def test_sso_settings_turn_it_on_and_allow_the_provider_as_a_form_target():
    result = start(**SSO, SHIPSHAPE_PASSWORD_LOGIN="false", SHIPSHAPE_OIDC_SCOPES="openid email")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "https://id.example.com", "openid", "email"]


def test_sso_without_a_client_secret_refuses_to_start():
    result = start(**{**SSO, "SHIPSHAPE_OIDC_CLIENT_SECRET": ""})
    assert result.returncode != 0
    assert "SHIPSHAPE_OIDC_CLIENT_SECRET must be set" in result.stderr


def test_password_login_cannot_be_switched_off_without_sso():
    result = start(SHIPSHAPE_PASSWORD_LOGIN="false")
    assert result.returncode != 0
    assert "SHIPSHAPE_PASSWORD_LOGIN=false needs single sign-on" in result.stderr


def test_a_discovery_url_that_is_not_a_url_refuses_to_start():
    result = start(**{**SSO, "SHIPSHAPE_OIDC_DISCOVERY_URL": "id.example.com"})
    assert result.returncode != 0
    assert "is not an absolute URL" in result.stderr
