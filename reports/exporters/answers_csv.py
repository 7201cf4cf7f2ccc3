"""Answers CSV: one row per anonymous answer, streamed. Facilitators only.

For a facilitator's own analysis of a closed round (``privacy.Viewer.sees_answer_rows``):

* only teams with at least k submitted responses; a team under k gets one row
  marked ``withheld``;
* never free text: a reflection's wording can identify its writer, and next to
  a row of scores it would identify the whole row;
* every respondent gets an alias drawn at random for this download only, so
  two downloads cannot be joined, and respondents come in random order (their
  answers in questionnaire order), so the order says nothing about who
  answered first.

Memory stays flat however many answers there are: the round's submitted
responses (two integers each) are read once and shuffled, then their answers
are read in batches of ``RESPONSES_PER_BATCH`` responses with only the columns
needed, put in order within the batch and written row by row.
"""

import secrets
from collections.abc import Iterator, Sequence
from itertools import batched
from typing import Any

from assessment.kinds import KINDS, kinds_where
from reports.exporters.base import TabularExporter
from surveys import privacy
from surveys.models import Answer, Response

# One answer query per this many respondents: at ~50 answers each a batch is a
# few MB, and the number of queries does not depend on the number of answers.
RESPONSES_PER_BATCH = 500
ANSWER_CHUNK_SIZE = 2000
ALIAS_BYTES = 5  # 40 random bits: collisions within one download are practically impossible


def respondent_alias() -> str:
    """A fresh anonymous name for one respondent in one download, e.g. "R-7f3a9c02be"."""
    return f"R-{secrets.token_hex(ALIAS_BYTES)}"


class AnswersCsvExporter(TabularExporter):
    identifier = "answers-csv"
    verbose_name = "Answers CSV"
    description = (
        "One row per anonymous answer (a respondent alias new in every download, question, "
        "choice, score, percent; never free text) for your own analysis. Facilitators only, "
        "teams with at least k responses."
    )
    filename_suffix = "answers"
    answer_rows = True
    columns = (
        "round",
        "team",
        "respondent",
        "question_key",
        "category_key",
        "question_kind",
        "choice_label",
        "score",
        "percent",
        "withheld",
    )

    def iterate_rows(self) -> Iterator[Sequence[Any]]:
        survey_round = self.request.survey_round
        questions = {info.pk: info for info in self.data.questions}
        choices = self.data.choices
        ordered = yield from self._respondents()

        for batch in batched(ordered, RESPONSES_PER_BATCH, strict=False):
            rows: dict[int, list[tuple]] = {response_id: [] for _, _, response_id in batch}
            answers = (
                Answer.objects.filter(response_id__in=list(rows))
                # Kinds without export cells (free text) never become rows.
                .filter(question__kind__in=kinds_where(lambda kind: kind.export_cells))
                .order_by()
                .values_list("response_id", "question_id", "choice_id", "number")
                .iterator(chunk_size=ANSWER_CHUNK_SIZE)
            )
            for response_id, question_id, choice_id, number in answers:
                info = questions[question_id]
                label, score = choices.get(choice_id, (None, None))
                cells = KINDS[info.kind].export_cells(label, score, number, info.practices)
                rows[response_id].append(
                    (info.position, info.key, info.category_key, info.kind, *cells)
                )
            for team_slug, alias, response_id in batch:
                for _, *values in sorted(rows.pop(response_id), key=lambda row: row[0]):
                    yield (survey_round.slug, team_slug, alias, *values, False)

    def _respondents(self):
        """Yield a withheld row per team under k; return (team, alias, response) in order."""
        survey_round = self.request.survey_round
        by_team: dict[int, list[int]] = {team.pk: [] for team in self.data.teams}
        for response_id, team_id in (
            Response.objects.submitted()
            .filter(round=survey_round, team_id__in=list(by_team))
            .order_by()
            .values_list("pk", "team_id")
        ):
            by_team[team_id].append(response_id)

        ordered: list[tuple[str, str, int]] = []
        for team in self.data.teams:
            response_ids = by_team[team.pk]
            if privacy.is_withheld(len(response_ids), survey_round):
                # Marked, not dropped: one row says this team's answers are withheld.
                yield (survey_round.slug, team.slug, *[None] * 7, True)
                continue
            secrets.SystemRandom().shuffle(response_ids)
            ordered.extend(
                (team.slug, respondent_alias(), response_id) for response_id in response_ids
            )
        return ordered
