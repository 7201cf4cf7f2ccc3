"""The profile page's sections (assessment.profile): apps register, the page renders them."""

import pytest
from django.urls import reverse

from assessment import profile
from tests.factories import UserFactory


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(profile, "_SECTIONS", {})
    return profile


def _section(key: str, order: int = 100, title: str = "A section") -> profile.ProfileSection:
    return profile.ProfileSection(
        key=key,
        title=title,
        template_name="notifications/profile_section.html",
        context=lambda request: {"form": [], "email": request.user.email},
        order=order,
    )


def test_sections_are_ordered_and_registering_a_key_again_replaces_it(registry):
    registry.register(_section("b"))
    registry.register(_section("a", order=100))
    registry.register(_section("first", order=1))
    registry.register(_section("b", title="B again"))

    assert [(s.key, s.title) for s in registry.sections()] == [
        ("first", "A section"),
        ("a", "A section"),
        ("b", "B again"),
    ]


def test_the_profile_page_shows_the_person_and_every_registered_section(client, db):
    user = UserFactory(username="rosa", first_name="Rosa", last_name="Diaz")
    client.force_login(user)

    page = client.get(reverse("profile")).content.decode()

    assert "Rosa Diaz" in page and "rosa@example.com" in page
    assert 'id="profile-notifications"' in page
    assert page.count('class="card mb-3"') == len(profile.sections())


def test_every_page_links_to_the_profile(client, db):
    client.force_login(UserFactory())
    page = client.get(reverse("surveys:my_surveys")).content.decode()
    assert page.count(f'href="{reverse("profile")}"') == 1  # once, not twice
    assert f'href="{reverse("profile")}">Profile</a>' in page
