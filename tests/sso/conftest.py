"""A real identity provider (tests/oidc_provider) and a login through it without a browser."""

from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.oidc_provider.runner import PASSWORD, RunningProvider, running_provider

# The Django test client's host: where the provider sends the browser back.
CALLBACK = "http://testserver/sso/callback/"


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> RunningProvider:
    with running_provider(
        tmp_path_factory.mktemp("idp"),
        redirect_uris=[CALLBACK],
        post_logout_uris=["http://testserver/"],
    ) as provider:
        yield provider


@pytest.fixture
def sso_settings(settings, oidc_provider) -> RunningProvider:
    """Shipshape configured for the test provider (each test may change settings further)."""
    for name, value in oidc_provider.settings().items():
        setattr(settings, name, value)
    return oidc_provider


def provider_redirect(client, username: str, start_url: str = "/sso/login/") -> str:
    """Start an SSO login in `client`, sign in at the provider; the callback URL it returns."""
    start = client.get(start_url)
    assert start.status_code == 302, start
    browser = requests.Session()
    authorize = browser.get(start["Location"], allow_redirects=False)
    assert authorize.status_code == 302, authorize.text
    login_url = urljoin(authorize.url, authorize.headers["Location"])
    assert browser.get(login_url).status_code == 200
    signed_in = browser.post(
        login_url,
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["idp_csrftoken"],
        },
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text
    back = browser.get(urljoin(login_url, signed_in.headers["Location"]), allow_redirects=False)
    assert back.status_code == 302, back.text
    assert back.headers["Location"].startswith(CALLBACK), back.headers["Location"]
    return back.headers["Location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def sso_redirect(sso_settings) -> Callable:
    """(client, username[, start URL]) -> the callback path and query the provider sends
    the browser back to."""
    return lambda client, username, *start: callback_path(
        provider_redirect(client, username, *start)
    )


@pytest.fixture
def sso_login(sso_redirect) -> Callable:
    """Log `username` in to Shipshape through the provider; the callback's response."""
    return lambda client, username: client.get(sso_redirect(client, username))
