"""The login page with and without single sign-on, password login switched off and the
break-glass superuser, and the SSO views' guards that need no provider."""

import pytest
from django.contrib.auth.models import User

from assessment.models import AuditEvent
from tests.factories import MembershipFactory, UserFactory, make_facilitator, make_manager

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
# Nothing listens on port 9 (discard): the provider is down.
DOWN = "http://127.0.0.1:9/realms/acme"
PASSWORD = "correct horse"


@pytest.fixture
def sso(settings):
    settings.SHIPSHAPE_OIDC_ENABLED = True
    settings.SHIPSHAPE_OIDC_DISCOVERY_URL = DOWN
    settings.SHIPSHAPE_OIDC_PROVIDER_NAME = "Acme ID"
    settings.OIDC_RP_CLIENT_ID = "shipshape"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    return settings


@pytest.fixture
def password_off(sso):
    sso.SHIPSHAPE_PASSWORD_LOGIN = False
    return sso


def log_in(client, user, url="/accounts/login/"):
    return client.post(url, {"username": user.username, "password": PASSWORD})


def test_without_sso_the_login_page_is_as_before(client):
    page = client.get("/accounts/login/").text

    assert "Log in with" not in page
    assert 'name="password"' in page
    assert "Forgotten your password?" in page


@pytest.mark.parametrize("url", ["/sso/login/", "/sso/callback/?code=x&state=y"])
def test_without_sso_its_urls_do_not_exist(client, url):
    assert client.get(url).status_code == 404


def test_with_sso_the_login_page_offers_the_provider_and_the_password(client, sso):
    page = client.get("/accounts/login/?next=/reports/").text

    assert 'href="/sso/login/?next=/reports/"' in page
    assert "Log in with Acme ID" in page
    assert 'name="password"' in page


def test_with_password_login_off_only_the_provider_is_offered(client, password_off):
    page = client.get("/accounts/login/").text

    assert "Log in with Acme ID" in page
    assert 'name="password"' not in page
    assert "Forgotten your password?" not in page


def test_break_glass_shows_the_password_form_with_a_warning(client, password_off):
    page = client.get("/accounts/login/?break-glass").text

    assert 'name="password"' in page
    assert "Break-glass login" in page


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: MembershipFactory(user=UserFactory(username="alice", password=PASSWORD)).user,
        lambda: UserFactory(username="stan", password=PASSWORD, is_staff=True),
    ],
    ids=["member", "staff"],
)
def test_with_password_login_off_a_correct_password_is_refused_except_for_a_superuser(
    client, password_off, make_user
):
    user = make_user()

    response = log_in(client, user, "/accounts/login/?break-glass")

    assert response.status_code == 200
    assert "Password login is switched off. Log in with Acme ID instead." in response.text
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert (event.target, event.details["reason"]) == (user.username, "password_login_off")


def test_with_password_login_off_the_admin_login_refuses_staff_too(client, password_off):
    UserFactory(username="stan", password=PASSWORD, is_staff=True)

    response = client.post("/admin/login/", {"username": "stan", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_break_glass_superuser_logs_in_with_a_password(client, password_off):
    root = UserFactory(username="root", password=PASSWORD, is_staff=True, is_superuser=True)

    response = log_in(client, root, "/accounts/login/?break-glass")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(root.pk)


def test_password_login_stays_for_everyone_while_it_is_on(client, sso):
    user = UserFactory(username="alice", password=PASSWORD)

    assert log_in(client, user).status_code == 302


def test_a_provider_that_cannot_be_reached_gets_a_page_and_an_audit_event(client, sso):
    response = client.get("/sso/login/")

    assert response.status_code == 503
    assert "Acme ID cannot be reached" in response.text
    assert "Back to the login page" in response.text
    event = AuditEvent.objects.get()
    assert event.action == Action.SSO_PROVIDER_UNREACHABLE
    assert "127.0.0.1:9" in event.details["error"]


def test_a_callback_without_a_login_started_here_is_refused(client, sso):
    response = client.get("/sso/callback/?code=stolen&state=guessed")

    assert response.status_code == 400
    assert "This login has expired" in response.text
    assert not User.objects.exists()
    assert AuditEvent.objects.get().details["reason"] == "state_mismatch"


def test_an_error_from_the_provider_gets_a_page_and_an_audit_event(client, sso):
    response = client.get("/sso/callback/?error=access_denied&state=abc")

    assert response.status_code == 403
    assert "Acme ID did not log you in" in response.text
    event = AuditEvent.objects.get()
    assert (event.action, event.details["error"]) == (Action.SSO_LOGIN_FAILED, "access_denied")


def test_failed_callbacks_from_one_address_are_paused(client, sso, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert client.get("/sso/callback/?code=x&state=y").status_code == 400

    response = client.get("/sso/callback/?code=x&state=y")

    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    assert AuditEvent.objects.count() == 3  # the pause itself is not written down again


SSO_ROLES = {
    "anonymous": lambda: None,
    "member": lambda: MembershipFactory(user=UserFactory(username="alice")).user,
    "lead": lambda: MembershipFactory(user=UserFactory(username="lee"), role="lead").user,
    "manager": lambda: make_manager("maggie"),
    "facilitator": lambda: make_facilitator("fran"),
}


@pytest.mark.parametrize("role", SSO_ROLES)
def test_every_role_gets_the_same_sso_pages(client, sso, role):
    # The SSO views are the way in: open to all, and no role changes what they do.
    user = SSO_ROLES[role]()
    if user is not None:
        client.force_login(user)

    assert client.get("/sso/login/").status_code == 503
    assert client.get("/sso/callback/?code=x&state=y").status_code == 400
