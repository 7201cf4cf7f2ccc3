"""Export formats: one class per format, one registry (like pretix's exporters).

A new format is one ``BaseExporter`` subclass, one entry in ``EXPORTERS`` and one
test. Views and ``manage.py export_results`` look formats up here by identifier.
"""

from reports.exporters.actions_csv import ActionsCsvExporter
from reports.exporters.answers_csv import AnswersCsvExporter
from reports.exporters.base import BaseExporter, ExportRequest, ExportResult
from reports.exporters.csv_summary import QuestionScoresExporter
from reports.exporters.json_export import JsonExporter
from reports.exporters.markdown import MarkdownExporter
from reports.exporters.xlsx import XlsxExporter

EXPORTERS: dict[str, type[BaseExporter]] = {
    exporter.identifier: exporter
    for exporter in (
        QuestionScoresExporter,
        AnswersCsvExporter,
        XlsxExporter,
        JsonExporter,
        MarkdownExporter,
        ActionsCsvExporter,
    )
}


def get_exporter(identifier: str) -> type[BaseExporter] | None:
    """The exporter class for a format identifier, or None if there is none."""
    return EXPORTERS.get(identifier)


def allowed_exporters(request: ExportRequest) -> list[type[BaseExporter]]:
    """The formats this viewer may download, e.g. for a dashboard's buttons.

    For one team: ``allowed_exporters(ExportRequest.for_user(round, [team], user))``.
    """
    return [exporter for exporter in EXPORTERS.values() if exporter.refusal(request) is None]


__all__ = [
    "EXPORTERS",
    "BaseExporter",
    "ExportRequest",
    "ExportResult",
    "allowed_exporters",
    "get_exporter",
]
