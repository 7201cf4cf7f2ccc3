"""The profile page's sections: apps add theirs without the page knowing them.

A higher app (reports, api, ...) registers a ``ProfileSection`` in its
``AppConfig.ready()``; ``assessment.views.profile`` renders every registered
section as a card. A section's forms post to its own app's URLs, which redirect
back to ``profile`` with a message. So assessment never imports the apps above it.
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
    """Add (or replace) a section; registering the same key again is harmless."""
    _SECTIONS[section.key] = section


def sections() -> list[ProfileSection]:
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.key))
