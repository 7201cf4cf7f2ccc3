"""Actions CSV: one row per improvement action and target, with the change since it was raised.

Also the Actions sheet of the XLSX workbook. Rows come from
``reports.selectors.round_actions`` (open actions and those done since the
team's previous round, the outcome with k and the noise rule applied); no
owner, no names.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from reports.exporters.base import TabularExporter


class ActionsCsvExporter(TabularExporter):
    identifier = "actions-csv"
    verbose_name = "Actions CSV"
    description = (
        "One row per improvement action and targeted question (or category): status, the "
        "round it was raised in, due and done in, and the change of its target since it was "
        "raised, with the noise rule. Open actions and those done since the previous round."
    )
    filename_suffix = "actions"
    sheet_title = "Actions"
    columns = (
        "round",
        "team",
        "team_name",
        "section",
        "action",
        "title",
        "description",
        "status",
        "category_key",
        "target_kind",
        "target_key",
        "raised_in",
        "target_round",
        "done_in",
        "visible_to_managers",
        "measured_in",
        "previous_score",
        "score",
        "delta",
        "meaningful",
        "withheld",
        "outcome",
    )

    def iterate_rows(self) -> Iterator[Sequence[Any]]:
        slug = self.request.survey_round.slug
        for team in self.data.teams:
            for report in self.data.actions.get(team.pk, []):
                action, outcome = report.action, report.outcome
                head = (
                    slug,
                    team.slug,
                    team.name,
                    report.section,
                    action.pk,
                    action.title,
                    action.description,
                    action.status,
                    action.category_key,
                )
                rounds = (
                    action.raised_in.slug,
                    action.target_round.slug if action.target_round else None,
                    action.done_in.slug if action.done_in else None,
                    action.visible_to_managers,
                    outcome.measured_in.slug if outcome.measured_in else None,
                )
                if outcome.changes:
                    for change in outcome.changes:
                        kind = "category" if change.is_category else "question"
                        yield (
                            *head,
                            kind,
                            change.key,
                            *rounds,
                            change.before,
                            change.after,
                            change.delta,
                            change.meaningful,
                            change.withheld,
                            outcome.verdict,
                        )
                    continue
                targets = [("question", key) for key in action.question_keys] or [
                    ("category", action.category_key)
                ]
                for kind, key in targets:
                    yield (*head, kind, key, *rounds, None, None, None, None, None, outcome.verdict)
