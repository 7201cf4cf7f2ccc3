"""reports' answers to what lower apps announce (surveys.signals)."""

from django.db.models.signals import post_delete, post_save, pre_save

from actions.models import Action
from reports.cache import bump_done_actions_version
from reports.services import team_round_scores_refresh
from surveys.models import SurveyRound
from surveys.signals import submitted_answers_changed


def refresh_scores(*, survey_round: SurveyRound, team_id: int, **_) -> None:
    """A submitted response changed: recompute its team's scores in the same transaction."""
    team_round_scores_refresh(
        round_id=survey_round.pk, team_id=team_id, questionnaire=survey_round.questionnaire
    )


def remember_if_done(sender, instance: Action, **_) -> None:
    """Before an action is saved: was it done until now? (one query, on updates only)"""
    instance._was_done = (
        instance.pk is not None
        and sender.objects.filter(pk=instance.pk, status=Action.Status.DONE).exists()
    )


def action_saved(sender, instance: Action, **_) -> None:
    """The organisation page's "what worked" counts done actions only: an action
    done now, or done until this save, makes them stale; planning or editing an
    open action does not (its planned/done counts are read live)."""
    if instance.status == Action.Status.DONE or getattr(instance, "_was_done", False):
        bump_done_actions_version()


def action_deleted(**_) -> None:
    """Deleted (by the admin or with its team): rare, so always stale, without a
    query per deleted row to learn whether it was done."""
    bump_done_actions_version()


def connect() -> None:
    submitted_answers_changed.connect(refresh_scores, dispatch_uid="reports-refresh-scores")
    pre_save.connect(remember_if_done, sender=Action, dispatch_uid="reports-action-was-done")
    post_save.connect(action_saved, sender=Action, dispatch_uid="reports-action-saved")
    post_delete.connect(action_deleted, sender=Action, dispatch_uid="reports-action-deleted")
