"""reports' answers to what lower apps announce (surveys.signals)."""

from django.db.models.signals import post_delete, post_save

from actions.models import Action
from reports.cache import bump_actions_version
from reports.services import team_round_scores_refresh
from surveys.models import SurveyRound
from surveys.signals import submitted_answers_changed


def refresh_scores(*, survey_round: SurveyRound, team_id: int, **_) -> None:
    """A submitted response changed: recompute its team's scores in the same transaction."""
    team_round_scores_refresh(
        round_id=survey_round.pk, team_id=team_id, questionnaire=survey_round.questionnaire
    )


def actions_changed(**_) -> None:
    """An action was saved or deleted (by the app, the admin or a team's deletion):
    the cached organisation figures about actions are stale."""
    bump_actions_version()


def connect() -> None:
    submitted_answers_changed.connect(refresh_scores, dispatch_uid="reports-refresh-scores")
    for signal in (post_save, post_delete):
        signal.connect(actions_changed, sender=Action, dispatch_uid=f"reports-actions-{signal}")
