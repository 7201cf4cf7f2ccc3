"""XLSX workbook: Summary, Questions, DORA, Participation and Actions sheets (never reflections).

Each sheet is a tabular exporter of its own (the Questions sheet is the scores
CSV), written with frozen header rows, widths fitted to the content, numbers as
numbers and text made inert (``base.xlsx_cell``).
"""

import io
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from assessment import dora
from reports.exporters.actions_csv import ActionsCsvExporter
from reports.exporters.base import BaseExporter, ExportResult, TabularExporter, xlsx_cell
from reports.exporters.csv_summary import QuestionScoresExporter
from surveys import privacy

MIN_WIDTH, MAX_WIDTH = 8, 60


class SummarySheet(TabularExporter):
    """Per team: the overall maturity row, then one row per practice category."""

    sheet_title = "Summary"
    columns = (
        "round",
        "team",
        "team_name",
        "category_key",
        "category_name",
        "n",
        "withheld",
        "score",
        "level",
        "partial",
        "sd",
        "median",
        "q1",
        "q3",
        "agreement",
        "previous_round",
        "previous_score",
        "delta",
        "meaningful",
    )

    def iterate_rows(self) -> Iterator[Sequence[Any]]:
        slug = self.request.survey_round.slug
        for team_round in self.data.team_rounds:
            team, summary = team_round.team, team_round.summary
            previous = team_round.previous_round.slug if team_round.previous_round else None
            overall_delta = summary["overall_delta"]
            yield (
                slug,
                team.slug,
                team.name,
                "overall",
                "Overall maturity",
                summary["respondents"],
                summary["withheld"],
                summary["overall"],
                summary["level"],
                summary["overall_partial"],
                None,
                None,
                None,
                None,
                None,
                previous,
                None if overall_delta is None else summary["overall"] - overall_delta,
                overall_delta,
                None,
            )
            for row in team_round.categories:
                yield (
                    slug,
                    team.slug,
                    team.name,
                    row["category_key"],
                    row["category_name"],
                    row["respondents"],
                    row["withheld"],
                    row["mean"],
                    row["level"],
                    None,
                    row["sd"],
                    row["median"],
                    row["q1"],
                    row["q3"],
                    row["agreement"],
                    previous if row["delta"] is not None else None,
                    row["previous_mean"],
                    row["delta"],
                    row["meaningful"],
                )


class DoraSheet(TabularExporter):
    """One row per team: cluster (with its DORA report year), medians and 0-10 scores."""

    sheet_title = "DORA"
    columns = (
        "round",
        "team",
        "team_name",
        "respondents",
        "dora_year",
        "cluster",
        "cluster_withheld",
        "throughput",
        "stability",
        *(
            column
            for metric in dora.METRICS
            for column in (metric, f"{metric}_score", f"{metric}_n", f"{metric}_withheld")
        ),
    )

    def iterate_rows(self) -> Iterator[Sequence[Any]]:
        slug = self.request.survey_round.slug
        for team_round in self.data.team_rounds:
            summary = team_round.summary
            yield (
                slug,
                team_round.team.slug,
                team_round.team.name,
                summary["respondents"],
                summary["dora_year"],
                summary["cluster"],
                any(summary[f"{metric}_withheld"] for metric in dora.KEY_METRICS),
                summary["throughput"],
                summary["stability"],
                *(
                    value
                    for metric in dora.METRICS
                    for value in (
                        summary[metric],
                        summary[f"{metric}_score"],
                        summary[f"{metric}_respondents"],
                        summary[f"{metric}_withheld"],
                    )
                ),
            )


class ParticipationSheet(TabularExporter):
    sheet_title = "Participation"
    columns = (
        "round",
        "team",
        "team_name",
        "group",
        "k",
        "invited",
        "submitted",
        "drafts",
        "response_rate",
        "withheld",
    )

    def iterate_rows(self) -> Iterator[Sequence[Any]]:
        survey_round = self.request.survey_round
        for team_round in self.data.team_rounds:
            team, participation = team_round.team, team_round.participation
            yield (
                survey_round.slug,
                team.slug,
                team.name,
                team.group,
                privacy.min_group_size(survey_round),
                participation.invited,
                participation.submitted,
                participation.drafts,
                participation.response_rate,
                team_round.summary["withheld"],
            )


class XlsxExporter(BaseExporter):
    identifier = "xlsx"
    verbose_name = "XLSX workbook"
    description = (
        "A workbook for spreadsheets: Summary (category scores, levels, deltas), Questions, "
        "DORA, Participation and Actions (improvement actions and their outcome). "
        "Reflections are never in it: they stay on the team's "
        "dashboard and in its retro pack."
    )
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheets: ClassVar[tuple[type[TabularExporter], ...]] = (
        SummarySheet,
        QuestionScoresExporter,
        DoraSheet,
        ParticipationSheet,
        ActionsCsvExporter,
    )

    def render(self) -> ExportResult:
        workbook = Workbook()
        workbook.remove(workbook.active)
        for sheet_class in self.sheets:
            sheet = sheet_class(self.request, self.data)
            write_sheet(
                workbook.create_sheet(sheet.sheet_title), sheet.columns, sheet.iterate_rows()
            )
        buffer = io.BytesIO()
        workbook.save(buffer)
        return ExportResult(self.filename(), self.content_type, buffer.getvalue())


def write_sheet(sheet: Worksheet, columns: Sequence[str], rows: Iterator[Sequence[Any]]) -> None:
    """Header in bold and frozen, cells made safe, each column as wide as its content."""
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(column) for column in columns]
    for row in rows:
        values = [xlsx_cell(value) for value in row]
        sheet.append(values)
        for index, (cell, value) in enumerate(zip(sheet[sheet.max_row], values, strict=True)):
            if isinstance(value, float):
                # Shown with two decimals; the cell keeps the full value.
                cell.number_format = "0.00"
                widths[index] = max(widths[index], len(f"{value:.2f}"))
            elif value is not None:
                widths[index] = max(widths[index], len(str(value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(
            max(width + 2, MIN_WIDTH), MAX_WIDTH
        )
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
