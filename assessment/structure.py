"""A questionnaire's structure (categories, questions, choices), read once per process.

Every answering page, every autosave and every score refresh needs the whole
structure of the round's questionnaire, and it practically never changes: a
published version with answers is immutable, and before that only the loader
and the admin change it. So it is read from the database (three queries) once
per process and questionnaire version, and then served from memory. Not
through the Django cache: unpickling some 300 model instances costs about as
much as the queries.

What keeps the copy in memory right:

- its key holds the questionnaire's ``content_hash``, which callers read with
  the round (one join, no extra query), so a file loaded again with other
  content is seen at once by every process;
- a change through the ORM (the admin) replaces a token in the shared Django
  cache, at once and again when the transaction commits (receivers below),
  and the token is part of the key. With Redis every process sees it on its next request; with the
  local-memory cache only the process that made the change does, and the
  others within ``TOKEN_TIMEOUT``, as for the dashboards (docs/operations.md:
  several workers need Redis).

Callers get shared instances: read them, never change them.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import post_delete, post_save

from assessment.models import Category, Choice, Question, Questionnaire

# How long a process may keep an edited structure when the cache is not shared.
TOKEN_TIMEOUT = 5 * 60
# Questionnaire versions kept per process; each is a few hundred small objects.
MEMO_SIZE = 8

_memo: dict[tuple[int, str, str], list[Category]] = {}


def _token_key(questionnaire_id: int) -> str:
    return f"questionnaire-structure:{questionnaire_id}"


def _token(questionnaire_id: int) -> str:
    key = _token_key(questionnaire_id)
    token = cache.get(key)
    if token is None:
        # add(): two processes that miss at once agree on one token.
        cache.add(key, uuid.uuid4().hex, TOKEN_TIMEOUT)
        token = cache.get(key) or ""
    return token


def _read_pages(questionnaire_id: int) -> list[Category]:
    return list(
        Category.objects.filter(questionnaire_id=questionnaire_id)
        .order_by("order", "id")
        .prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.order_by("order", "id").prefetch_related(
                    Prefetch("choices", queryset=Choice.objects.order_by("order", "id"))
                ),
            )
        )
    )


def questionnaire_pages(questionnaire: Questionnaire) -> list[Category]:
    """Categories in order with their questions and choices (prefetched, in order).

    Three queries the first time a process needs this version of the
    questionnaire, none afterwards; the token costs one cache read.
    """
    # The token is read before the database, so a change committed in between
    # is stored under a token that its receiver has already replaced.
    key = (questionnaire.pk, questionnaire.content_hash, _token(questionnaire.pk))
    pages = _memo.get(key)
    if pages is None:
        pages = _read_pages(questionnaire.pk)
        while len(_memo) >= MEMO_SIZE:
            _memo.pop(next(iter(_memo)), None)
        _memo[key] = pages
    return pages


def structure_changed(questionnaire_id: int) -> None:
    """Make every process read this questionnaire again: now, and again once the
    transaction commits (a request that read the old rows in between may have
    kept them under the token of the moment)."""
    key = _token_key(questionnaire_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _questionnaire_id(instance) -> int | None:
    if isinstance(instance, Questionnaire):
        return instance.pk
    if isinstance(instance, Choice):
        return (
            Question.objects.filter(pk=instance.question_id)
            .values_list("questionnaire_id", flat=True)
            .first()
        )
    return instance.questionnaire_id


def _on_change(sender, instance, **kwargs) -> None:
    questionnaire_id = _questionnaire_id(instance)
    if questionnaire_id is not None:
        structure_changed(questionnaire_id)


def connect_receivers() -> None:
    """Called once from AssessmentConfig.ready()."""
    for model in (Questionnaire, Category, Question, Choice):
        uid = f"assessment.structure:{model.__name__}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}:delete")
