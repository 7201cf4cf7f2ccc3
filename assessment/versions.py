"""What changed between two versions of a questionnaire, question by question.

Questions are matched by key (keys are stable across versions). A question of
the new version is *added* when no earlier question had its key, *replaced*
when it names an earlier one with ``replaces`` (a split gives two), *reworded*
when its text changed under the same key, and *changed* when only its answer
levels or choices did. An old question that is gone, and that nothing
replaces, is *retired*. The authors' own sentence from the file's ``changes:``
section comes with each entry that has one.
"""

from dataclasses import dataclass

from django.db.models import Prefetch

from assessment.models import Choice, Question, Questionnaire

ADDED, REPLACED, REWORDED, CHANGED, RETIRED = "added", "replaced", "reworded", "changed", "retired"
CHANGE_LABELS = {
    ADDED: "New question",
    REPLACED: "Replaces an earlier question",
    REWORDED: "Reworded",
    CHANGED: "Answer options changed",
    RETIRED: "Retired",
}


@dataclass(frozen=True)
class QuestionChange:
    change: str  # ADDED, REPLACED, REWORDED, CHANGED or RETIRED
    key: str
    text: str
    category: str
    previous_text: str = ""  # the earlier wording (reworded, replaced: the replaced one's)
    replaces: str = ""  # the earlier key (replaced)
    note: str = ""  # the authors' sentence, from the file's changes section

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self.change]


def previous_version(questionnaire: Questionnaire) -> Questionnaire | None:
    """The highest earlier version of the same questionnaire, published or not."""
    return (
        Questionnaire.objects.filter(slug=questionnaire.slug, version__lt=questionnaire.version)
        .order_by("-version")
        .first()
    )


def _questions(questionnaire_ids: list[int]) -> dict[int, list[Question]]:
    by_questionnaire: dict[int, list[Question]] = {pk: [] for pk in questionnaire_ids}
    for question in (
        Question.objects.filter(questionnaire_id__in=questionnaire_ids)
        .select_related("category")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("order", "id")))
        .order_by("category__order", "order", "id")
    ):
        by_questionnaire[question.questionnaire_id].append(question)
    return by_questionnaire


def _options(question: Question) -> list[tuple]:
    return [(c.label, c.description, c.score, c.abstain) for c in question.choices.all()]


def questionnaire_diff(old: Questionnaire | None, new: Questionnaire) -> list[QuestionChange]:
    """The changes from ``old`` to ``new``, in the new version's order, retired last.

    Two queries (the questions of both versions, their choices). With no old
    version there is nothing to compare, and the list is empty.
    """
    if old is None:
        return []
    questions = _questions([old.pk, new.pk])
    before = {q.key: q for q in questions[old.pk]}
    notes = {change["key"]: change["note"] for change in new.changes or []}
    changes: list[QuestionChange] = []
    replaced: set[str] = set()
    for question in questions[new.pk]:
        common = {
            "key": question.key,
            "text": question.text,
            "category": question.category.name,
            "note": notes.get(question.key, ""),
        }
        earlier = before.get(question.key)
        if earlier is None and question.replaces:
            replaced.add(question.replaces)
            predecessor = before.get(question.replaces)
            changes.append(
                QuestionChange(
                    REPLACED,
                    replaces=question.replaces,
                    previous_text=predecessor.text if predecessor else "",
                    **common,
                )
            )
        elif earlier is None:
            changes.append(QuestionChange(ADDED, **common))
        elif earlier.text != question.text:
            changes.append(QuestionChange(REWORDED, previous_text=earlier.text, **common))
        elif _options(earlier) != _options(question) or earlier.kind != question.kind:
            changes.append(QuestionChange(CHANGED, **common))
    asked = {question.key for question in questions[new.pk]}
    for question in questions[old.pk]:
        if question.key not in asked and question.key not in replaced:
            changes.append(
                QuestionChange(
                    RETIRED,
                    key=question.key,
                    text=question.text,
                    category=question.category.name,
                    note=notes.get(question.key, ""),
                )
            )
    return changes
