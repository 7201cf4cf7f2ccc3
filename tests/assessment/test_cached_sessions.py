"""With a shared cache (REDIS_URL) sessions are read from Redis first and kept in the database.

These tests use the Redis server the test machine runs (127.0.0.1:6379, as CI
does), database 14, under a key prefix of their own per test, so that test runs
side by side (make test, pytest -n) do not meet; the keys expire within a minute.
"""

import uuid

import pytest
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UserFactory
from tests.processes import setting_in_new_process

pytestmark = pytest.mark.django_db

REDIS = "redis://127.0.0.1:6379/14"
PASSWORD = "right-password-123"


@pytest.fixture
def redis_sessions(settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "assessment.cache.PooledClientRedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": f"shipshape-test-sessions-{uuid.uuid4().hex}",
            "TIMEOUT": 60,
        },
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_COOKIE_AGE = 60  # the cached copy expires with the session
    return caches["default"]


def log_in(client):
    user = UserFactory(username="ana")
    user.set_password(PASSWORD)
    user.save()
    response = client.post(reverse("login"), {"username": "ana", "password": PASSWORD})
    assert response.status_code == 302
    return user


def session_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("surveys:my_surveys"))
    assert response.wsgi_request.user.is_authenticated
    return [q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"]]


def test_a_signed_in_request_reads_its_session_from_redis_not_the_database(redis_sessions):
    client = Client()
    log_in(client)
    assert session_queries(client) == []
    assert Session.objects.count() == 1  # kept in the database as well


def test_a_session_survives_a_cache_flush_from_the_database(redis_sessions):
    client = Client()
    log_in(client)
    # Redis restarted or evicted the key.
    redis_sessions.delete(cached_db.KEY_PREFIX + client.cookies["sessionid"].value)
    assert len(session_queries(client)) == 1
    assert session_queries(client) == []  # and is cached again


def test_logging_out_ends_the_session_for_every_server(redis_sessions):
    client = Client()
    log_in(client)
    cookie = client.cookies["sessionid"].value
    other_server = Client()
    other_server.cookies["sessionid"] = cookie
    assert other_server.get(reverse("surveys:my_surveys")).status_code == 200

    client.post(reverse("logout"))

    assert not Session.objects.filter(session_key=cookie).exists()
    response = other_server.get(reverse("surveys:my_surveys"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def session_engine(**env: str) -> str:
    return setting_in_new_process("settings.SESSION_ENGINE", **env)


def test_the_session_engine_follows_redis_url():
    assert session_engine(REDIS_URL=REDIS) == "django.contrib.sessions.backends.cached_db"
    # Local-memory caches are per process: a session ended in one worker would
    # live on in the others, so without Redis sessions are read from the database.
    assert session_engine() == "django.contrib.sessions.backends.db"
