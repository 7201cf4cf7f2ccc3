"""Single sign-on against a real OpenID Connect provider (django-oauth-toolkit, a subprocess).

Each failure gets a plain page, an audit event and no account; roles follow the
provider's groups at every login.
"""

import pytest
from django.contrib.auth.models import User

from assessment.models import AuditEvent
from surveys.access import FACILITATORS_GROUP, MANAGERS_GROUP, role_group
from surveys.models import Membership
from tests.factories import TeamFactory, UserFactory
from tests.oidc_provider.runner import FACILITATORS, MANAGERS

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


def groups_of(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_first_login_creates_a_manager_from_the_groups_claim(client, sso_login):
    response = sso_login(client, "ada")

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="ada@example.com")
    assert (user.username, user.first_name, user.last_name) == ("ada", "Ada", "Lovelace")
    assert not user.has_usable_password()
    assert groups_of(user) == {MANAGERS_GROUP}
    page = client.get("/surveys/", follow=True)
    assert page.context["user"] == user
    assert b"Organisation" in page.content
    success = AuditEvent.objects.get(action=Action.SSO_LOGIN_SUCCEEDED)
    assert success.target == "ada"
    assert success.details["created"] is True
    assert success.details["roles"] == [MANAGERS_GROUP]


def test_an_existing_account_is_matched_by_verified_email(client, sso_login):
    existing = UserFactory(username="max.m", email="MAX@example.com")

    response = sso_login(client, "max")

    assert response.status_code == 302
    assert User.objects.filter(email__iexact="max@example.com").count() == 1
    assert client.get("/surveys/").context["user"] == existing
    assert groups_of(existing) == set()


def test_roles_follow_the_claim_at_the_next_login(client, sso_login, sso_settings):
    sso_login(client, "max")
    max_user = User.objects.get(email="max@example.com")
    assert groups_of(max_user) == set()

    sso_settings.set_claims("max", groups=[FACILITATORS, MANAGERS])
    client.post("/accounts/logout/")
    sso_login(client, "max")
    assert groups_of(max_user) == {MANAGERS_GROUP, FACILITATORS_GROUP}

    sso_settings.set_claims("max", groups=["everyone"])
    client.post("/accounts/logout/")
    sso_login(client, "max")
    assert groups_of(max_user) == set()
    changes = AuditEvent.objects.filter(action=Action.USER_GROUPS_CHANGED, target="max")
    assert changes.count() == 4  # two groups added, two removed


def test_team_memberships_follow_a_configured_claim(client, sso_login, sso_settings, settings):
    settings.SHIPSHAPE_OIDC_TEAMS_CLAIM = "teams"
    payments, platform = TeamFactory(slug="payments"), TeamFactory(slug="platform")
    sso_login(client, "max")
    max_user = User.objects.get(email="max@example.com")
    assert list(Membership.objects.filter(user=max_user).values_list("team", "role")) == [
        (payments.pk, "member")
    ]

    sso_settings.set_claims("max", teams=["platform", "no-such-team"])
    client.post("/accounts/logout/")
    sso_login(client, "max")
    assert list(Membership.objects.filter(user=max_user).values_list("team", flat=True)) == [
        platform.pk
    ]


def test_memberships_are_left_alone_without_a_teams_claim(client, sso_login):
    member = UserFactory(username="max", email="max@example.com")
    team = TeamFactory(slug="platform")
    Membership.objects.create(user=member, team=team, role="lead")

    sso_login(client, "max")

    assert list(Membership.objects.filter(user=member).values_list("role", flat=True)) == ["lead"]


@pytest.mark.parametrize(
    ("username", "action", "status", "text"),
    [
        ("una", Action.SSO_EMAIL_UNVERIFIED, 403, "Your e-mail address is not verified"),
        ("otto", Action.SSO_DOMAIN_REFUSED, 403, "This account cannot use Shipshape"),
    ],
)
def test_a_refused_address_gets_a_page_an_audit_event_and_no_account(
    client, sso_login, username, action, status, text
):
    users_before = User.objects.count()

    response = sso_login(client, username)

    assert response.status_code == status
    assert text in response.content.decode()
    assert User.objects.count() == users_before
    assert "_auth_user_id" not in client.session
    assert actions() == [action]


def test_an_unverified_address_does_not_log_in_to_an_existing_account(client, sso_login):
    UserFactory(username="una", email="una@example.com")

    response = sso_login(client, "una")

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_wrong_client_secret_is_refused_by_the_provider(client, sso_login, settings):
    settings.OIDC_RP_CLIENT_SECRET = "not-the-secret"

    response = sso_login(client, "ada")

    assert response.status_code == 502
    assert "Test IdP refused the login" in response.content.decode()
    assert not User.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.details["status"]) == (Action.SSO_TOKEN_REFUSED, 401)


def test_a_provider_that_goes_down_during_the_login(client, sso_redirect, settings):
    callback = sso_redirect(client, "ada")
    # The discovery document is cached per URL: a new URL must be fetched, and fails.
    settings.SHIPSHAPE_OIDC_DISCOVERY_URL = "http://127.0.0.1:9/o"

    response = client.get(callback)

    assert response.status_code == 503
    assert "Test IdP cannot be reached" in response.content.decode()
    assert not User.objects.exists()
    assert actions() == [Action.SSO_PROVIDER_UNREACHABLE]


def test_a_callback_is_good_for_one_login_only(client, sso_redirect):
    callback = sso_redirect(client, "max")
    assert client.get(callback).status_code == 302
    client.post("/accounts/logout/")

    replay = client.get(callback)

    assert replay.status_code == 400
    assert "This login has expired" in replay.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_callback_in_another_browser_is_refused(client, sso_redirect):
    from django.test import Client

    callback = sso_redirect(client, "ada")

    response = Client().get(callback)

    assert response.status_code == 400
    assert not User.objects.exists()
    assert actions() == [Action.SSO_LOGIN_FAILED]


def test_logout_ends_the_provider_session_too(client, sso_login, sso_settings):
    sso_login(client, "ada")

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{sso_settings.issuer}/logout/?id_token_hint=")
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2F" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_the_login_asks_for_a_code_with_pkce_state_and_nonce(client, sso_settings):
    from urllib.parse import parse_qs, urlsplit

    location = client.get("/sso/login/?next=/reports/")["Location"]

    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{sso_settings.issuer}/authorize/")
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == ["http://testserver/sso/callback/"]
    assert query["scope"] == ["openid email profile"]


def test_the_next_page_is_kept_through_the_provider(client, sso_redirect):
    response = client.get(sso_redirect(client, "ada", "/sso/login/?next=/reports/"))

    assert response["Location"] == "/reports/"


def test_roles_are_left_alone_without_a_groups_claim(client, sso_login, settings):
    settings.SHIPSHAPE_OIDC_GROUPS_CLAIM = ""
    manager = UserFactory(username="max", email="max@example.com")
    manager.groups.add(role_group(MANAGERS_GROUP))

    sso_login(client, "max")

    assert groups_of(manager) == {MANAGERS_GROUP}


def test_a_next_page_on_another_site_is_not_followed(client, sso_redirect):
    response = client.get(sso_redirect(client, "ada", "/sso/login/?next=https://evil.example/"))

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("accounts", "title"),
    [
        ([{"username": "max", "is_active": False}], "Your account is deactivated"),
        ([{"username": "max"}, {"username": "max2"}], "Your account needs an administrator"),
    ],
    ids=["deactivated", "two accounts"],
)
def test_an_account_that_cannot_be_matched_safely_is_refused(client, sso_login, accounts, title):
    for account in accounts:
        UserFactory(email="max@example.com", **account)

    response = sso_login(client, "max")

    assert response.status_code == 403
    assert title in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert User.objects.count() == len(accounts)
    assert actions() == [Action.SSO_LOGIN_FAILED]
