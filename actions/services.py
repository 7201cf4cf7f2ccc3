"""Writes for improvement actions. Each public function is one transaction.

Every status change (creation included) writes an ``ActionStatusChange`` row in
the same transaction as the action. Submitting the same form twice changes
nothing: creating an action that exists already returns it, and setting the
status an action already has writes no history.
"""

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from actions.models import Action, ActionStatusChange
from assessment.kinds import KINDS, MATURITY
from assessment.models import Category, Question
from surveys.models import Membership, SurveyRound, Team


def targetable_questions(survey_round: SurveyRound) -> list[Question]:
    """The questions of a round an action can target: those scored into maturity (one query)."""
    return [
        question
        for question in Question.objects.filter(
            questionnaire_id=survey_round.questionnaire_id,
            category__kind=Category.Kind.PRACTICE,
        )
        .select_related("category")
        .order_by("category__order", "category_id", "order", "id")
        if KINDS[question.kind].scoring == MATURITY
    ]


def _check_target(
    team: Team, raised_in: SurveyRound, category_key: str, question_keys: Sequence[str]
) -> list[str]:
    if not team.rounds.filter(pk=raised_in.pk, opens_at__lte=timezone.now()).exists():
        raise ValidationError(
            {"raised_in": f"{team.name} has no round called {raised_in.name} that has opened."}
        )
    questions = targetable_questions(raised_in)
    categories = {q.category.key for q in questions}
    if category_key not in categories:
        raise ValidationError(
            {"category_key": "Choose a practice category of the round's questionnaire."}
        )
    in_category = [q.key for q in questions if q.category.key == category_key]
    unknown = [key for key in question_keys if key not in in_category]
    if unknown:
        raise ValidationError(
            {"question_keys": "Choose questions of the chosen category only."}, code="question"
        )
    # Questionnaire order, no repeats.
    return [key for key in in_category if key in set(question_keys)]


def _check_owner(team: Team, owner: User | None) -> None:
    if owner is not None and not Membership.objects.filter(team=team, user=owner).exists():
        raise ValidationError(
            {"owner": f"The owner must be a member of {team.name}; {owner} is not."}
        )


def _check_target_round(team: Team, raised_in: SurveyRound, target: SurveyRound | None) -> None:
    if target is None:
        return
    if target.opens_at <= raised_in.opens_at or not team.rounds.filter(pk=target.pk).exists():
        raise ValidationError(
            {"target_round": f"Choose a later round of {team.name} than {raised_in.name}."}
        )


def done_round(team: Team, raised_in: SurveyRound, now=None) -> SurveyRound:
    """The round an action marked done now was done in.

    The first round of the team that has not closed yet (open or upcoming): its
    answers are the first that can show the change. When none is planned, the
    team's latest round that has opened (at least the round it was raised in).
    """
    now = now or timezone.now()
    later = team.rounds.filter(opens_at__gte=raised_in.opens_at)
    return (
        later.filter(closes_at__gt=now).order_by("opens_at").first()
        or later.filter(opens_at__lte=now).order_by("-opens_at").first()
        or raised_in
    )


def _locked(action: Action) -> Action:
    """The action read again and locked until the transaction ends (its row only)."""
    return (
        Action.objects.select_for_update(of=("self",))
        .select_related("team", "raised_in")
        .get(pk=action.pk)
    )


@transaction.atomic
def action_create(
    *,
    team: Team,
    raised_in: SurveyRound,
    title: str,
    category_key: str,
    question_keys: Sequence[str] = (),
    description: str = "",
    owner: User | None = None,
    target_round: SurveyRound | None = None,
    visible_to_managers: bool = False,
    by: User | None,
) -> Action:
    """A new planned action of the team, with its first history row.

    The same action submitted twice (team, round and title) is returned as it is.
    """
    title = " ".join(title.split())
    existing = (
        Action.objects.select_for_update()
        .filter(team=team, raised_in=raised_in, title=title)
        .first()
    )
    if existing is not None:
        if existing.description == description.strip() and existing.category_key == category_key:
            return existing
        raise ValidationError(
            {"title": f"{team.name} already has an action called “{title}” from {raised_in.name}."}
        )
    keys = _check_target(team, raised_in, category_key, question_keys)
    _check_owner(team, owner)
    _check_target_round(team, raised_in, target_round)
    now = timezone.now()
    action = Action(
        team=team,
        raised_in=raised_in,
        title=title,
        description=description.strip(),
        category_key=category_key,
        question_keys=keys,
        owner=owner,
        target_round=target_round,
        visible_to_managers=visible_to_managers,
        created_by=by,
        created_at=now,
        updated_at=now,
    )
    action.full_clean()
    action.save()
    ActionStatusChange.objects.create(
        action=action, changed_by=by, changed_at=now, from_status="", to_status=action.status
    )
    return action


@transaction.atomic
def action_update(
    *,
    action: Action,
    title: str,
    category_key: str,
    question_keys: Sequence[str] = (),
    description: str = "",
    owner: User | None = None,
    target_round: SurveyRound | None = None,
    visible_to_managers: bool = False,
    by: User | None,
) -> Action:
    """Change what an action is about; its team and round stay, its status has its own call."""
    action = _locked(action)
    title = " ".join(title.split())
    if (
        Action.objects.filter(team=action.team, raised_in=action.raised_in, title=title)
        .exclude(pk=action.pk)
        .exists()
    ):
        raise ValidationError(
            {"title": f"{action.team.name} already has an action called “{title}”."}
        )
    keys = _check_target(action.team, action.raised_in, category_key, question_keys)
    _check_owner(action.team, owner)
    _check_target_round(action.team, action.raised_in, target_round)
    action.title = title
    action.description = description.strip()
    action.category_key = category_key
    action.question_keys = keys
    action.owner = owner
    action.target_round = target_round
    action.visible_to_managers = visible_to_managers
    action.updated_at = timezone.now()
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def action_set_status(*, action: Action, status: str, by: User | None) -> Action:
    """Move an action to a status and record the change; the same status again is a no-op.

    Marking it done links it to the round it was done in (``done_round``);
    reopening it unlinks it.
    """
    if status not in Action.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    action = _locked(action)
    if action.status == status:
        return action
    now = timezone.now()
    previous = action.status
    action.status = status
    action.done_in = (
        done_round(action.team, action.raised_in, now) if status == Action.Status.DONE else None
    )
    action.updated_at = now
    action.full_clean()
    action.save(update_fields=["status", "done_in", "updated_at"])
    ActionStatusChange.objects.create(
        action=action, changed_by=by, changed_at=now, from_status=previous, to_status=status
    )
    return action


def action_save(*, action: Action | None, team: Team, data: dict, by: User | None) -> Action:
    """Create an action from the form's cleaned data, or update ``action`` with it."""
    fields = {
        name: data.get(name)
        for name in ("title", "category_key", "owner", "target_round", "visible_to_managers")
    }
    fields["question_keys"] = data.get("question_keys") or []
    fields["description"] = data.get("description") or ""
    if action is None:
        return action_create(team=team, raised_in=data["raised_in"], by=by, **fields)
    return action_update(action=action, by=by, **fields)
