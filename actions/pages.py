"""Contexts of the action pages, built from reads; views call these, and so do tests.

Each page costs a fixed number of queries however many actions a team has.
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import Count, prefetch_related_objects
from django.utils import timezone

from actions.models import Action
from actions.services import targetable_questions
from assessment.maturity import LEVELS, MAX_LEVEL, Level
from assessment.models import Question
from surveys.models import SurveyRound, Team
from surveys.privacy import Viewer


def team_rounds(team: Team) -> list[SurveyRound]:
    """Every round of the team, upcoming ones included, oldest first (one query)."""
    return list(team.rounds.select_related("questionnaire").order_by("opens_at"))


def team_members(team: Team) -> list[User]:
    """Today's members of the team, who may own its actions (one query)."""
    return list(User.objects.filter(memberships__team=team).order_by("first_name", "username"))


def question_labels(rounds: list[SurveyRound]) -> dict[str, dict[str, str]]:
    """Question and category key -> text and category name, over these rounds' questionnaires.

    Later questionnaires win, so an action shows today's wording (one query).
    """
    labels: dict[str, dict[str, str]] = {}
    order = {r.questionnaire_id: r.opens_at for r in rounds}
    rows = Question.objects.filter(questionnaire_id__in=list(order)).values_list(
        "questionnaire_id", "key", "text", "category__key", "category__name"
    )
    for _, key, text, category_key, category_name in sorted(rows, key=lambda r: order[r[0]]):
        labels[key] = {"text": text, "category": category_name}
        labels[f"category:{category_key}"] = {"text": category_name, "category": category_name}
    return labels


def target_labels(action: Action, labels: dict[str, dict[str, str]]) -> dict:
    category = labels.get(f"category:{action.category_key}", {}).get("text", action.category_key)
    return {
        "category": category,
        "questions": [labels.get(key, {"text": key})["text"] for key in action.question_keys],
    }


@dataclass
class ActionRow:
    action: Action
    category: str
    questions: list[str]
    overdue: bool
    history: list = field(default_factory=list)


def action_counts(team: Team) -> list[dict]:
    """Per round and category: actions planned (raised) and done in it (two queries).

    What a manager sees of every team's actions, titles or not.
    """
    counts: dict[tuple, dict] = {}
    planned = (
        Action.objects.filter(team=team)
        .values("raised_in__name", "raised_in__opens_at", "category_key")
        .order_by()
        .annotate(n=Count("pk"))
    )
    for row in planned:
        key = (row["raised_in__opens_at"], row["raised_in__name"], row["category_key"])
        counts.setdefault(key, {"planned": 0, "done": 0})["planned"] = row["n"]
    done = (
        Action.objects.filter(team=team, status=Action.Status.DONE)
        .values("done_in__name", "done_in__opens_at", "category_key")
        .order_by()
        .annotate(n=Count("pk"))
    )
    for row in done:
        key = (row["done_in__opens_at"], row["done_in__name"], row["category_key"])
        counts.setdefault(key, {"planned": 0, "done": 0})["done"] = row["n"]
    return [
        {"round": name, "category_key": category, **values}
        for (_, name, category), values in sorted(counts.items(), reverse=True)
    ]


def team_actions_page(viewer: Viewer, team: Team) -> dict:
    """The team's actions page: open ones carried over from every round, done, dropped.

    Who manages the team's actions sees them all, with their history; a manager
    sees counts per round and category and the actions made visible to managers.
    """
    manages = viewer.manages_actions(team)
    rounds = team_rounds(team)
    actions = Action.objects.filter(team=team).select_related(
        "raised_in", "target_round", "done_in", "owner"
    )
    if manages:
        actions = actions.prefetch_related("history__changed_by")
    else:
        actions = actions.filter(visible_to_managers=True)
    labels = question_labels(rounds)
    now = timezone.now()
    rows = []
    for action in actions.order_by("-raised_in__opens_at", "created_at", "id"):
        rows.append(
            ActionRow(
                action=action,
                **target_labels(action, labels),
                overdue=action.is_open
                and action.target_round is not None
                and action.target_round.closes_at <= now,
                history=list(action.history.all()) if manages else [],
            )
        )
    counts = action_counts(team)
    for row in counts:
        row["category"] = labels.get(f"category:{row['category_key']}", {}).get(
            "text", row["category_key"]
        )
    return {
        "team": team,
        "manages": manages,
        "open_actions": [r for r in rows if r.action.is_open],
        "done_actions": [r for r in rows if r.action.status == Action.Status.DONE],
        "dropped_actions": [r for r in rows if r.action.status == Action.Status.DROPPED],
        "counts": counts,
        "statuses": Action.Status.choices,
        "has_rounds": any(r.opens_at <= now for r in rounds),
    }


# --- the form ------------------------------------------------------------------------


def default_round(rounds: list[SurveyRound], slug: str | None) -> SurveyRound | None:
    """The round named in the link, else the latest that has opened (closed ones first)."""
    started = [r for r in rounds if r.opens_at <= timezone.now()]
    chosen = next((r for r in started if r.slug == slug), None)
    if chosen is not None:
        return chosen
    closed = [r for r in started if r.is_closed()]
    return (closed or started or [None])[-1]


@dataclass(frozen=True)
class Suggestion:
    """What to aim for on one question: the next level's descriptor, and the file's guidance."""

    key: str
    text: str
    aim: Level | None
    aim_descriptor: str
    levels: list[tuple[Level, str]]
    guidance: str


def suggestions(questions: list[Question], keys: list[str], aim: int | None) -> list[Suggestion]:
    """For each targeted question, the practice to aim for.

    ``aim`` is the level above the team's current one, passed by the dashboard's
    "Plan an action" link (the dashboard knows the score; this page reads no
    results). Without it every level's descriptor is offered.
    """
    by_key = {q.key: q for q in questions}
    result = []
    for key in keys:
        question = by_key.get(key)
        if question is None:
            continue
        descriptors = {
            c.score: c.description for c in question.choices.all() if c.score is not None
        }
        level = LEVELS[aim] if aim is not None and 0 < aim <= MAX_LEVEL else None
        result.append(
            Suggestion(
                key=key,
                text=question.text,
                aim=level,
                aim_descriptor=descriptors.get(level.value, "") if level else "",
                levels=[(lv, descriptors[lv.value]) for lv in LEVELS if descriptors.get(lv.value)],
                guidance=question.guidance,
            )
        )
    return result


def form_questions(survey_round: SurveyRound | None) -> list[Question]:
    """The targetable questions of the round, with choices for the descriptors (two queries)."""
    if survey_round is None:
        return []
    questions = targetable_questions(survey_round)
    prefetch_related_objects(questions, "choices")
    return questions


def form_initial(params, survey_round: SurveyRound, action: Action | None, focus: str) -> dict:
    """The form's starting values: the action's, or those the "Plan an action" link carries."""
    if action is not None:
        return {
            "title": action.title,
            "description": action.description,
            "raised_in": action.raised_in,
            "question_keys": action.question_keys,
            "category_key": action.category_key,
            "owner": action.owner,
            "target_round": action.target_round,
            "visible_to_managers": action.visible_to_managers,
        }
    return {
        "raised_in": survey_round,
        "question_keys": [params["question"]] if params.get("question") else [],
        "category_key": focus,
    }


def _aim(params) -> int | None:
    try:
        return int(params.get("aim", ""))
    except ValueError:
        return None


def focus_category(params, posted, action: Action | None, questions: list[Question]) -> str:
    """The category whose questions the form offers: posted, linked, or the action's."""
    category_of = {q.key: q.category.key for q in questions}
    for source in (posted, params):
        key = source.get("category_key") or source.get("category")
        if key in category_of.values():
            return key
        for question in source.getlist("question_keys") + source.getlist("question"):
            if question in category_of:
                return category_of[question]
    return action.category_key if action is not None else ""


def form_page(
    team: Team, survey_round: SurveyRound, questions: list[Question], form, action, params
) -> dict:
    """The new/edit action page: the form and, per targeted question, what to aim for."""
    keys = form["question_keys"].value() or [] if "question_keys" in form.fields else []
    if isinstance(keys, str):
        keys = [keys]
    categories: dict[str, str] = {}
    for question in questions:
        categories.setdefault(question.category.key, question.category.name)
    return {
        "team": team,
        "survey_round": survey_round,
        "form": form,
        "action": action,
        "categories": categories.items(),
        "suggestions": suggestions(questions, list(keys), _aim(params)),
    }
