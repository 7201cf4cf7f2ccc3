import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory, load_questionnaire

pytestmark = pytest.mark.django_db

EXTERNAL_ASSET = re.compile(r"""<(?:script|link|img)[^>]+(?:src|href)=["'](?:https?:)?//""", re.I)


def test_home_page_introduces_shipshape_and_offers_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Shipshape" in response.content
    assert reverse("login").encode() in response.content


def test_login_and_logout(client):
    UserFactory(username="alice", password="s3cret-pass-word")
    response = client.post(
        reverse("login"), {"username": "alice", "password": "s3cret-pass-word"}, follow=True
    )
    assert response.context["user"].username == "alice"
    assert b"Signed in as alice" in response.content

    response = client.post(reverse("logout"), follow=True)
    assert not response.context["user"].is_authenticated


def test_wrong_password_shows_a_clear_message(client):
    UserFactory(username="alice", password="s3cret-pass-word")
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content


def test_admin_lets_staff_browse_questionnaires(admin_client):
    load_questionnaire()
    response = admin_client.get(reverse("admin:assessment_questionnaire_changelist"))
    assert response.status_code == 200
    assert b"Mini questionnaire" in response.content


@pytest.mark.parametrize("url_name", ["home", "login"])
def test_pages_reference_no_external_css_or_js(client, url_name):
    response = client.get(reverse(url_name))
    html = response.content.decode()
    assert not EXTERNAL_ASSET.search(html)
    assert "/static/vendor/bootstrap-5.3.9/bootstrap.min.css" in html


def test_vendored_bootstrap_is_served_from_static_files(client):
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/bootstrap-5.3.9/bootstrap.min.css")
    assert finders.find("vendor/bootstrap-5.3.9/bootstrap.bundle.min.js")
