import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_django_setup(**env: str) -> subprocess.CompletedProcess:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**clean_env, "DJANGO_SETTINGS_MODULE": "assessment.settings"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_django_setup(DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_starts_with_a_secret_key_when_debug_is_off():
    result = run_django_setup(DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_a_malformed_boolean_is_a_clear_error_not_a_silent_default():
    result = run_django_setup(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_privileged_idle_hours_must_be_positive():
    result = run_django_setup(SHIPSHAPE_PRIVILEGED_IDLE_HOURS="0")
    assert result.returncode != 0
    assert "SHIPSHAPE_PRIVILEGED_IDLE_HOURS must be at least 1" in result.stderr


@pytest.mark.parametrize(
    ("hosts", "named"),
    [
        ("shipshape.example.com", "shipshape.example.com"),
        ("localhost,10.0.0.5", "10.0.0.5"),
        ("*", "*"),
        ("0.0.0.0", "0.0.0.0"),
        ("localhost,.example.com", ".example.com"),
    ],
)
def test_debug_refuses_to_start_with_a_host_that_is_not_loopback(hosts, named):
    result = run_django_setup(DJANGO_DEBUG="true", DJANGO_ALLOWED_HOSTS=hosts)
    assert result.returncode != 0
    assert "DJANGO_DEBUG is on" in result.stderr
    assert (
        f"may only name loopback hosts (localhost, 127.0.0.1, [::1]); it also names {named}."
        in (result.stderr)
    )


@pytest.mark.parametrize("hosts", ["localhost,127.0.0.1,[::1]", "127.0.0.2,app.localhost", ""])
def test_debug_starts_on_loopback_hosts(hosts):
    result = run_django_setup(DJANGO_DEBUG="true", DJANGO_ALLOWED_HOSTS=hosts)
    assert result.returncode == 0, result.stderr


def test_production_may_name_any_host():
    result = run_django_setup(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="example.com"
    )
    assert result.returncode == 0, result.stderr


def test_a_trusted_proxy_that_is_not_an_address_is_a_clear_error():
    result = run_django_setup(DJANGO_TRUSTED_PROXIES="127.0.0.1,nginx.internal")
    assert result.returncode != 0
    assert "DJANGO_TRUSTED_PROXIES: 'nginx.internal' is not an IP address" in result.stderr
