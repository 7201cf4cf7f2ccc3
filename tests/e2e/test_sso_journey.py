"""Single sign-on in Chromium through a real OpenID Connect provider, and logging out of both."""

import re
from pathlib import Path

import pytest
from django.utils.csp import CSP
from playwright.sync_api import expect

from tests.e2e.demo_site import MAX_HEIGHT, WIDTHS
from tests.e2e.layout import measure_layout
from tests.oidc_provider.runner import PASSWORD, running_provider

SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    with running_provider(
        tmp_path_factory.mktemp("idp-e2e"),
        redirect_uris=[f"{live_server.url}/sso/callback/"],
        post_logout_uris=[f"{live_server.url}/"],
    ) as running:
        yield running


@pytest.fixture
def sso_site(settings, provider):
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [CSP.SELF, f"http://127.0.0.1:{provider.port}"],
    }
    return provider


def sign_in_at_provider(page, username: str) -> None:
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_a_manager_logs_in_with_sso_and_logs_out_of_both(page, live_server, sso_site):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Log in with Test IdP").click()
    sign_in_at_provider(page, "ada")

    expect(page).to_have_url(f"{live_server.url}/surveys/")
    expect(page.get_by_role("heading", name="My surveys")).to_be_visible()
    expect(page.get_by_text("Signed in as ada")).to_be_visible()
    expect(page.get_by_role("link", name="Organisation")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    # Through the provider's logout and back to Shipshape's start page, signed out.
    expect(page).to_have_url(f"{live_server.url}/")
    navigation = page.get_by_role("navigation", name="Main navigation")
    expect(navigation.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_text("Signed in as")).to_have_count(0)

    # The provider's session ended too: SSO asks for the password again.
    page.goto(f"{live_server.url}/sso/login/")
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()


def test_a_plain_member_lands_on_my_surveys_without_the_organisation(page, live_server, sso_site):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Log in with Test IdP").click()
    sign_in_at_provider(page, "max")

    expect(page).to_have_url(f"{live_server.url}/surveys/")
    expect(page.get_by_text("Signed in as max")).to_be_visible()
    expect(page.get_by_role("link", name="Organisation")).to_have_count(0)


def test_an_address_outside_the_allowed_domains_sees_a_plain_message(page, live_server, sso_site):
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["phone"], strict=True)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Log in with Test IdP").click()
    sign_in_at_provider(page, "otto")

    expect(page.get_by_role("heading", name="This account cannot use Shipshape")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Back to the login page"))).to_be_visible()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "anonymous-sso-refused-phone.png"), full_page=True)
    assert measure_layout(page).problems(max_height=MAX_HEIGHT["login"]["phone"]) == []


LOGIN_VARIANTS = {
    "login-sso": ("/accounts/login/", True),
    "login-sso-only": ("/accounts/login/", False),
    "login-break-glass": ("/accounts/login/?break-glass", False),
}


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("variant", list(LOGIN_VARIANTS))
def test_the_sso_login_page_is_laid_out_for_a_person(
    page, live_server, settings, sso_site, variant, width
):
    path, password_login = LOGIN_VARIANTS[variant]
    settings.SHIPSHAPE_PASSWORD_LOGIN = password_login
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("link", name="Log in with Test IdP")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_count(1 if password_login or "?" in path else 0)

    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"anonymous-{variant}-{width}.png"), full_page=True)
    problems = measure_layout(page).problems(max_height=MAX_HEIGHT["login"][width])
    assert problems == [], problems
