"""Writes to the maturity model."""

from dataclasses import dataclass

from django.db import transaction

from assessment.loader import QuestionnaireFileError, QuestionnaireSpec
from assessment.models import Category, Choice, Question, Questionnaire


class QuestionnaireLockedError(Exception):
    """A published questionnaire version with answers cannot change in place."""


@dataclass(frozen=True)
class LoadResult:
    questionnaire: Questionnaire
    action: str  # "created", "updated", "guidance updated" or "unchanged"


@transaction.atomic
def questionnaire_load(*, spec: QuestionnaireSpec) -> LoadResult:
    """Create or update a questionnaire version from a parsed file.

    Loading the same content again changes nothing. Changed content replaces an
    unused version; a published version that has answers is refused, because
    trends and past responses depend on it staying exactly as answered.
    """
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


def _next_version(slug: str) -> int:
    latest = Questionnaire.objects.filter(slug=slug).order_by("-version").first()
    return (latest.version if latest else 0) + 1


__all__ = ["QuestionnaireFileError", "QuestionnaireLockedError", "questionnaire_load"]
