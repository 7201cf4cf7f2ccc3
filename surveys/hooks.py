"""Places on surveys' pages where higher apps add a panel (imports never climb).

A higher app registers a panel in its AppConfig.ready(): a template and a
function that builds its context from the request and the page's object. The
round page (surveys.manage_views.round_detail) renders every round panel, the
team page (team_detail) every team panel, in order. The panel's forms post to
the registering app's own URLs.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    key: str  # unique per place
    template_name: str
    context: Callable[[HttpRequest, Any], dict]  # (request, the round or team) -> context
    order: int = 100


class PanelRegistry:
    def __init__(self) -> None:
        self._panels: dict[str, Panel] = {}

    def register(self, panel: Panel) -> None:
        """Registering the same key again replaces the panel (idempotent)."""
        self._panels[panel.key] = panel

    def panels(self) -> list[Panel]:
        return sorted(self._panels.values(), key=lambda panel: (panel.order, panel.key))

    def render_list(self, request: HttpRequest, obj: Any) -> list[dict]:
        """[{"template_name": ..., "context": ...}] for the page's template to include."""
        return [
            {
                "key": panel.key,
                "template_name": panel.template_name,
                "context": panel.context(request, obj),
            }
            for panel in self.panels()
        ]


# Panels on a facilitator's round page; the object is the SurveyRound.
round_panels = PanelRegistry()
# Panels on a facilitator's team page; the object is the Team.
team_panels = PanelRegistry()
