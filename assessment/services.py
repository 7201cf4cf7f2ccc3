"""Writes to the maturity model."""

import dataclasses
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from assessment.audit import audit_record
from assessment.kinds import KINDS
from assessment.loader import (
    KeyHistory,
    QuestionnaireFileError,
    QuestionnaireSpec,
    check_history,
    parse_questionnaire,
)
from assessment.models import AuditEvent, Category, Choice, Question, Questionnaire

# An uploaded questionnaire file: the demo questionnaire is about 40 kB.
UPLOAD_MAX_BYTES = 256 * 1024


class QuestionnaireLockedError(Exception):
    """A published questionnaire version with answers cannot change in place."""


@dataclass(frozen=True)
class LoadResult:
    questionnaire: Questionnaire
    action: str  # "created", "updated", "guidance updated" or "unchanged"


def key_history(slug: str, before_version: int) -> tuple[dict[str, KeyHistory], set[str]]:
    """Every key the earlier versions asked (latest wins) and the keys of the version before."""
    history: dict[str, KeyHistory] = {}
    by_version: dict[int, set[str]] = {}
    for key, kind, metric, replaces, version in (
        Question.objects.filter(questionnaire__slug=slug, questionnaire__version__lt=before_version)
        .order_by("questionnaire__version")
        .values_list("key", "kind", "metric", "replaces", "questionnaire__version")
    ):
        history[key] = KeyHistory(
            kind=kind,
            scoring=KINDS[kind].scoring,
            metric=metric,
            replaces=replaces,
            version=version,
        )
        by_version.setdefault(version, set()).add(key)
    previous = by_version[max(by_version)] if by_version else set()
    return history, previous


@transaction.atomic
def questionnaire_load(*, spec: QuestionnaireSpec) -> LoadResult:
    """Create or update a questionnaire version from a parsed file.

    Loading the same content again changes nothing. Changed content replaces an
    unused version; a published version that has answers is refused, because
    trends and past responses depend on it staying exactly as answered. The file
    is checked against the earlier versions first (``loader.check_history``).
    """
    check_history(spec, *key_history(spec.slug, spec.version))
    content_hash = spec.content_hash
    existing = (
        Questionnaire.objects.select_for_update()
        .filter(slug=spec.slug, version=spec.version)
        .first()
    )
    if existing is not None:
        if existing.content_hash == content_hash:
            changed = _guidance_sync(existing, spec)
            return LoadResult(existing, "guidance updated" if changed else "unchanged")
        if existing.is_locked():
            raise QuestionnaireLockedError(
                f"{spec.slug} version {spec.version} is published and already has answers, "
                f"so it cannot be changed in place. Save your changes as version "
                f"{_next_version(spec.slug)} (keep the question keys so trends stay comparable) "
                f"and load that file."
            )
        existing.categories.all().delete()
        questionnaire = existing
        questionnaire.title = spec.title
        questionnaire.description = spec.description
        questionnaire.is_published = spec.published
        questionnaire.content_hash = content_hash
        questionnaire.changes = _changes(spec)
        questionnaire.full_clean()
        questionnaire.save()
        action = "updated"
    else:
        questionnaire = Questionnaire(
            slug=spec.slug,
            version=spec.version,
            title=spec.title,
            description=spec.description,
            is_published=spec.published,
            content_hash=content_hash,
            changes=_changes(spec),
        )
        questionnaire.full_clean()
        questionnaire.save()
        action = "created"

    categories = Category.objects.bulk_create(
        Category(
            questionnaire=questionnaire,
            key=c.key,
            name=c.name,
            description=c.description,
            kind=c.kind,
            weight=c.weight,
            order=index,
        )
        for index, c in enumerate(spec.categories)
    )
    question_specs = []
    questions = []
    for category, category_spec in zip(categories, spec.categories, strict=True):
        for index, q in enumerate(category_spec.questions):
            question_specs.append(q)
            questions.append(
                Question(
                    questionnaire=questionnaire,
                    category=category,
                    key=q.key,
                    text=q.text,
                    help_text=q.help_text,
                    guidance=q.guidance,
                    kind=q.kind,
                    metric=q.metric,
                    weight=q.weight,
                    required=q.required,
                    replaces=q.replaces,
                    order=index,
                )
            )
    questions = Question.objects.bulk_create(questions)
    Choice.objects.bulk_create(
        Choice(
            question=question,
            label=choice.label,
            description=choice.description,
            score=choice.score,
            abstain=choice.abstain,
            order=index,
        )
        for question, q in zip(questions, question_specs, strict=True)
        for index, choice in enumerate(q.choices)
    )
    return LoadResult(questionnaire, action)


def _guidance_sync(questionnaire: Questionnaire, spec: QuestionnaireSpec) -> int:
    """Bring the questions' guidance in line with the file; returns how many changed.

    Guidance is advice for planning actions, not part of what was answered, so it
    may change in a published version with answers (one query, plus one write).
    """
    wanted = {q.key: q.guidance for c in spec.categories for q in c.questions}
    changed = [
        question
        for question in Question.objects.filter(questionnaire=questionnaire)
        if question.guidance != wanted.get(question.key, question.guidance)
    ]
    for question in changed:
        question.guidance = wanted[question.key]
    Question.objects.bulk_update(changed, ["guidance"])
    return len(changed)


@transaction.atomic
def questionnaire_upload(*, content: bytes, filename: str, actor: User | None) -> LoadResult:
    """Store an uploaded questionnaire file as a draft version, to preview before publishing.

    Raises QuestionnaireFileError (every problem, with its line) for a file that is
    too large, not UTF-8, malformed or against the rules across versions, and
    QuestionnaireLockedError for a version that is already published: a
    published version changes only by a new version.
    """
    if len(content) > UPLOAD_MAX_BYTES:
        raise QuestionnaireFileError(
            [f"the file is {len(content) // 1024} kB; at most {UPLOAD_MAX_BYTES // 1024} kB"],
            filename,
        )
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QuestionnaireFileError([f"not UTF-8 text ({exc.reason})"], filename) from None
    spec = parse_questionnaire(text, source=filename)
    existing = Questionnaire.objects.filter(slug=spec.slug, version=spec.version).first()
    if existing is not None and existing.is_published:
        raise QuestionnaireLockedError(
            f"{spec.slug} version {spec.version} is already published and cannot change. "
            f"Upload your changes as version {_next_version(spec.slug)}."
        )
    result = questionnaire_load(spec=dataclasses.replace(spec, published=False))
    if result.action != "unchanged":
        audit_record(
            actor=actor,
            action=AuditEvent.Action.QUESTIONNAIRE_UPLOADED,
            target=f"{spec.slug} v{spec.version}",
            result=result.action,
            filename=filename[:200],
        )
    return result


@transaction.atomic
def questionnaire_publish(*, questionnaire: Questionnaire, actor: User | None) -> Questionnaire:
    """Make a draft version available to new rounds. Publishing twice changes nothing."""
    questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if questionnaire.is_published:
        return questionnaire
    questionnaire.is_published = True
    questionnaire.save(update_fields=["is_published"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.QUESTIONNAIRE_PUBLISHED,
        target=f"{questionnaire.slug} v{questionnaire.version}",
    )
    return questionnaire


def _changes(spec: QuestionnaireSpec) -> list[dict[str, str]]:
    return [{"key": change.key, "note": change.note} for change in spec.changes]


def _next_version(slug: str) -> int:
    latest = Questionnaire.objects.filter(slug=slug).order_by("-version").first()
    return (latest.version if latest else 0) + 1


__all__ = ["QuestionnaireFileError", "QuestionnaireLockedError", "questionnaire_load"]
