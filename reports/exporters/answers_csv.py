"""Answers CSV: one row per anonymous answer, streamed.

Each submitted response gets a per-round alias (``respondent_alias``): an HMAC of
the round and the response under the server's secret key. The alias is stable
within a round, so one person's answers can be read together, but it differs
between rounds and reveals neither the response nor the user. Rows are ordered
by team, alias, then questionnaire order, so their order says nothing about who
answered first.

Memory stays flat however many answers there are: the round's submitted
responses (two integers each) are read once and sorted by alias, then their
answers are read in batches of ``RESPONSES_PER_BATCH`` responses with only the
columns needed, put in order within the batch and written row by row.
"""

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from itertools import batched
from typing import Any

from django.conf import settings

from reports.exporters.base import TabularExporter
from surveys.models import Answer, Response

# One answer query per this many respondents: at ~50 answers each a batch is a
# few MB, and the number of queries does not depend on the number of answers.
RESPONSES_PER_BATCH = 500
ANSWER_CHUNK_SIZE = 2000
ALIAS_HEX_DIGITS = 10  # 40 bits: collisions within a round are practically impossible


def respondent_alias(round_id: int, response_id: int) -> str:
    """The anonymous name of one response in one round, e.g. "R-7f3a9c02be"."""
    message = f"shipshape.export.respondent:{round_id}:{response_id}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return f"R-{digest[:ALIAS_HEX_DIGITS]}"


class AnswersCsvExporter(TabularExporter):
    identifier = "answers-csv"
    verbose_name = "Answers CSV"
    description = (
        "One row per anonymous answer (a per-round respondent alias, question, choice, "
        "score, percent, text) for your own analysis. The team itself and facilitators only."
    )
    filename_suffix = "answers"
    answer_level = True
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
        "text",
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
                .order_by()
                .values_list("response_id", "question_id", "choice_id", "number", "text")
                .iterator(chunk_size=ANSWER_CHUNK_SIZE)
            )
            for response_id, question_id, choice_id, number, text in answers:
                info = questions[question_id]
                label, score = choices.get(choice_id, (None, None))
                rows[response_id].append(
                    (
                        info.position,
                        info.key,
                        info.category_key,
                        info.kind,
                        label,
                        score,
                        number,
                        text or None,
                    )
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
        k = survey_round.min_respondents
        for team in self.data.teams:
            response_ids = by_team[team.pk]
            if not self.request.is_member(team) and len(response_ids) < k:
                # Marked, not dropped: one row says this team's answers are withheld.
                yield (survey_round.slug, team.slug, *[None] * 8, True)
                continue
            aliases = sorted(
                (respondent_alias(survey_round.pk, response_id), response_id)
                for response_id in response_ids
            )
            ordered.extend((team.slug, alias, response_id) for alias, response_id in aliases)
        return ordered
