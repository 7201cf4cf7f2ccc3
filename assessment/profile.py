"""The profile page's sections: apps register what a person can set about themselves.

Each app registers a section in its AppConfig.ready(); the profile page
(assessment.views.profile) renders them in order. A section's forms post to
that app's own URLs, which redirect back to the profile page with a message.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class ProfileSection:
    key: str  # unique, e.g. "notifications", "api-tokens"
    title: str
    template_name: str  # rendered with the dict returned by `context`
    context: Callable[[HttpRequest], dict]  # called with the request of the logged-in user
    order: int = 100


_SECTIONS: dict[str, ProfileSection] = {}


def register(section: ProfileSection) -> None:
    """Add a section; registering the same key again replaces it (idempotent)."""
    _SECTIONS[section.key] = section


def sections() -> list[ProfileSection]:
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.key))
