"""Scores CSV: one row per round x team x scale question (tidy / long format)."""

from collections.abc import Iterator, Sequence
from typing import Any

from reports.exporters.base import TabularExporter
from surveys import privacy


class QuestionScoresExporter(TabularExporter):
    identifier = "csv"
    verbose_name = "Scores CSV"
    description = (
        "One row per team and question with the team's aggregate: score, n, spread, "
        "agreement, don't-know rate and change since the previous round. For pandas, R "
        "and spreadsheets."
    )
    filename_suffix = "scores"
    sheet_title = "Questions"
    columns = (
        "round",
        "round_name",
        "team",
        "team_name",
        "category_key",
        "question_key",
        "question_text",
        "k",
        "n",
        "abstained",
        "withheld",
        "score",
        "level",
        "sd",
        "median",
        "q1",
        "q3",
        "minimum",
        "maximum",
        "agreement",
        "discuss",
        "dont_know_rate",
        "dont_know_rate_withheld",
        "previous_round",
        "previous_score",
        "delta",
        "meaningful",
    )

    def iterate_rows(self) -> Iterator[Sequence[Any]]:
        survey_round = self.request.survey_round
        k = privacy.min_group_size(survey_round)
        for team_round in self.data.team_rounds:
            team = team_round.team
            for row in team_round.questions:
                info = self.data.questions_by_key.get(row["question_key"])
                yield (
                    survey_round.slug,
                    survey_round.name,
                    team.slug,
                    team.name,
                    row["category_key"],
                    row["question_key"],
                    info.text if info else "",
                    k,
                    row["answered"],
                    row["abstained"],
                    row["withheld"],
                    row["mean"],
                    row["level"],
                    row["sd"],
                    row["median"],
                    row["q1"],
                    row["q3"],
                    row["minimum"],
                    row["maximum"],
                    row["agreement"],
                    row["discuss"],
                    row["dont_know_rate"],
                    privacy.is_withheld(
                        (row["answered"] or 0) + (row["abstained"] or 0), survey_round
                    ),
                    row["previous_round"],
                    row["previous_mean"],
                    row["delta"],
                    row["meaningful"],
                )
