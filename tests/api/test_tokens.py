"""Personal access tokens: created and revoked on the profile page, shown once,
stored hashed, expiring, scoped, last use recorded at most once a minute, audited."""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.tokens import api_token_create, api_token_find
from assessment.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"shp_[a-z0-9]{8}_[A-Za-z0-9_-]{43}")


def create_on_profile(client, **fields):
    data = {"name": "Notebook", "scope": "read", "days": 90, **fields}
    return client.post(reverse("api:token_create"), data, follow=True)


def test_the_profile_page_shows_the_user_and_links_from_the_menu(client):
    user = UserFactory(username="alice", first_name="Alice", last_name="Smith")
    client.force_login(user)

    page = client.get(reverse("profile"))

    assert page.status_code == 200
    assert "Alice Smith" in page.text and "alice@example.com" in page.text
    assert f'href="{reverse("profile")}"' in page.text
    assert "API tokens" in page.text and "You have no tokens yet." in page.text


def test_the_profile_page_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_new_token_is_shown_once_and_stored_only_as_a_digest(client):
    user = UserFactory(username="alice")
    client.force_login(user)

    page = create_on_profile(client)

    shown = TOKEN.findall(page.text)
    assert len(shown) == 1
    token = ApiToken.objects.get(user=user)
    raw = shown[0]
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    stored = " ".join(str(value) for value in ApiToken.objects.values_list().get())
    assert raw not in stored and raw.split("_")[-1] not in stored
    assert token.expires_at.date() == (timezone.now() + timedelta(days=90)).date()
    assert token.scope == "read"
    # Shown once: the next visit lists the token by its prefix only.
    again = client.get(reverse("profile")).text
    assert raw not in again and f"shp_{token.prefix}" in again


def test_tokens_work_until_revoked_and_each_change_is_audited(client):
    user = UserFactory(username="alice")
    client.force_login(user)
    raw = TOKEN.findall(create_on_profile(client, scope="write").text)[0]
    token = ApiToken.objects.get(user=user)
    api = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/teams/", **api).status_code == 200

    page = client.post(reverse("api:token_revoke", args=[token.pk]), follow=True)
    client.logout()

    assert "Revoked" in page.text
    assert client.get("/api/v1/teams/", **api).status_code == 401
    events = list(
        AuditEvent.objects.filter(action__startswith="api_token")
        .order_by("pk")
        .values_list("action", "target", "actor")
    )
    assert events == [
        ("api_token.created", "Notebook", user.pk),
        ("api_token.revoked", "Notebook", user.pk),
    ]


def test_someone_elses_token_cannot_be_revoked(client):
    token, _ = api_token_create(user=UserFactory(username="bob"), name="x", scope="read", days=5)
    client.force_login(UserFactory(username="mallory"))

    response = client.post(reverse("api:token_revoke", args=[token.pk]))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"name": " "}, "This field is required."),
        ({"days": 10_000}, "Select a valid choice."),
        ({"scope": "admin"}, "Select a valid choice."),
    ],
)
def test_bad_token_forms_are_refused_with_a_message(client, fields, message):
    client.force_login(UserFactory(username="alice"))

    page = create_on_profile(client, **fields)

    assert page.status_code == 200
    assert "The token was not created" in page.text and message in page.text
    assert not ApiToken.objects.exists()


def test_an_expired_token_is_refused_with_401(client):
    user = UserFactory(username="alice")
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        _, raw = api_token_create(user=user, name="old", scope="read", days=1)

    response = client.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_tampered_token_is_not_found():
    _, raw = api_token_create(user=UserFactory(), name="x", scope="read", days=1)
    assert api_token_find(raw) is not None
    assert api_token_find(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    assert api_token_find("shp_" + "x" * 8) is None
    assert api_token_find("Bearer") is None


def test_last_use_is_written_at_most_once_a_minute(client, django_assert_num_queries):
    token, raw = api_token_create(user=UserFactory(), name="x", scope="read", days=5)
    api = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.get("/api/v1/teams/", **api)
        token.refresh_from_db()
        first_use = token.last_used_at
        # Within the minute: the token and its user, memberships, two permission
        # reads (no teams: the empty page needs no query); no UPDATE.
        with django_assert_num_queries(4):
            client.get("/api/v1/teams/", **api)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get("/api/v1/teams/", **api)
    token.refresh_from_db()
    assert token.last_used_at == first_use == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get("/api/v1/teams/", **api)
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)


def test_a_disabled_account_cannot_use_its_tokens(client):
    user = UserFactory()
    _, raw = api_token_create(user=user, name="x", scope="read", days=5)
    user.is_active = False
    user.save()

    response = client.get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 401


def test_the_session_works_in_the_browser_and_writes_need_its_csrf_token(client):
    from django.test import Client

    from tests.factories import make_facilitator

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_facilitator())

    assert browser.get("/api/v1/teams/").status_code == 200
    refused = browser.post("/api/v1/teams/", {"name": "X"}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
