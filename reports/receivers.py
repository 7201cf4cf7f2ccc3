"""reports' answers to what lower apps announce (surveys.signals)."""

from reports.services import team_round_scores_refresh
from surveys.models import SurveyRound
from surveys.signals import submitted_answers_changed


def refresh_scores(*, survey_round: SurveyRound, team_id: int, **_) -> None:
    """A submitted response changed: recompute its team's scores in the same transaction."""
    team_round_scores_refresh(
        round_id=survey_round.pk, team_id=team_id, questionnaire=survey_round.questionnaire
    )


def connect() -> None:
    submitted_answers_changed.connect(refresh_scores, dispatch_uid="reports-refresh-scores")
