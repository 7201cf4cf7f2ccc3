"""Where notifications plugs into the apps below it: their signals, panels and the profile."""

from assessment.profile import ProfileSection
from assessment.profile import register as register_profile_section
from notifications import panels, services
from surveys.hooks import Panel, round_panels, team_panels
from surveys.models import SurveyRound
from surveys.signals import round_closed, round_created, round_extended


def _round_changed(sender, survey_round: SurveyRound, **kwargs) -> None:
    # In the transaction of the round's write: the schedule commits with it.
    services.round_schedule(survey_round=survey_round)


def connect() -> None:
    for signal in (round_created, round_extended, round_closed):
        signal.connect(_round_changed, dispatch_uid=f"notifications-{id(signal)}")
    round_panels.register(
        Panel(
            key="notifications",
            template_name="notifications/round_panel.html",
            context=panels.round_panel,
        )
    )
    team_panels.register(
        Panel(
            key="chat-webhook",
            template_name="notifications/team_panel.html",
            context=panels.team_panel,
        )
    )
    register_profile_section(
        ProfileSection(
            key="notifications",
            title="Email",
            template_name="notifications/profile_section.html",
            context=panels.profile_section,
            order=10,
        )
    )
