"""JSON: one document per export, described by docs/export-schema.json."""

import json
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from assessment import dora
from assessment.models import Question
from reports.exporters.base import BaseExporter, ExportResult, TeamRound, plain
from reports.selectors import ActionReport
from surveys import privacy

FORMAT_VERSION = 1
# A question where at least this share answered "Don't know" / "Not applicable".
DONT_KNOW_HOTSPOT = 0.25
# scoring.systemic_questions' default: below Defined is weak.
SYSTEMIC_BELOW = 2.0
METRIC_NAMES = dict(Question.Metric.choices)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def dont_know_hotspots(team_round: TeamRound) -> list[str]:
    return [
        row["question_key"]
        for row in team_round.questions
        if row["dont_know_rate"] is not None and row["dont_know_rate"] >= DONT_KNOW_HOTSPOT
    ]


class JsonExporter(BaseExporter):
    identifier = "json"
    verbose_name = "JSON"
    description = (
        "One document with the questionnaire version, the round and, per team, category "
        "scores and levels, n, agreement, deltas, DORA scores and cluster, participation "
        "flags and improvement actions with their outcome. Schema: docs/export-schema.json."
    )
    extension = "json"
    content_type = "application/json"

    def render(self) -> ExportResult:
        content = json.dumps(self.document(), indent=2, ensure_ascii=False, allow_nan=False)
        return ExportResult(self.filename(), self.content_type, (content + "\n").encode())

    def document(self) -> dict[str, Any]:
        survey_round = self.request.survey_round
        questionnaire = survey_round.questionnaire
        return {
            "format": "shipshape-export",
            "format_version": FORMAT_VERSION,
            "generated_at": _iso(timezone.now()),
            "questionnaire": {
                "slug": questionnaire.slug,
                "version": questionnaire.version,
                "title": questionnaire.title,
            },
            "rounds": [
                {
                    "slug": survey_round.slug,
                    "name": survey_round.name,
                    "opens_at": _iso(survey_round.opens_at),
                    "closes_at": _iso(survey_round.closes_at),
                    "status": survey_round.status(),
                    "k": privacy.min_group_size(survey_round),
                    "systemic_questions": self.data.systemic,
                }
            ],
            "team_rounds": [
                self.team_round_document(team_round) for team_round in self.data.team_rounds
            ],
        }

    def team_round_document(self, team_round: TeamRound) -> dict[str, Any]:
        """One team's entry of the document (the API's team results use it too)."""
        team, summary = team_round.team, team_round.summary
        participation = team_round.participation
        previous = team_round.previous_round
        systemic = set(self.data.systemic)
        return {
            "round": self.request.survey_round.slug,
            "team": {"slug": team.slug, "name": team.name, "group": team.group},
            "took_part": team_round.took_part,
            "respondents": summary["respondents"],
            "withheld": summary["withheld"],
            "previous_round": previous.slug if previous else None,
            "overall": {
                "score": summary["overall"],
                "level": summary["level"] or None,
                "partial": summary["overall_partial"],
                "delta": summary["overall_delta"],
                "withheld": summary["withheld"],
            },
            "categories": [
                {
                    "key": row["category_key"],
                    "name": row["category_name"],
                    "n": row["respondents"],
                    "withheld": row["withheld"],
                    "score": row["mean"],
                    "level": row["level"] or None,
                    "sd": row["sd"],
                    "median": row["median"],
                    "q1": row["q1"],
                    "q3": row["q3"],
                    "agreement": row["agreement"],
                    "previous_score": row["previous_mean"],
                    "delta": row["delta"],
                    "meaningful": row["meaningful"],
                }
                for row in team_round.categories
            ],
            "questions": [
                {
                    "key": row["question_key"],
                    "category_key": row["category_key"],
                    "n": row["answered"],
                    "abstained": row["abstained"],
                    "withheld": row["withheld"],
                    "score": row["mean"],
                    "level": row["level"] or None,
                    "sd": row["sd"],
                    "agreement": row["agreement"],
                    "discuss": row["discuss"],
                    "dont_know_rate": row["dont_know_rate"],
                    "previous_score": row["previous_mean"],
                    "delta": row["delta"],
                    "meaningful": row["meaningful"],
                }
                for row in team_round.questions
            ],
            "dora": {
                "year": summary["dora_year"],
                "cluster": summary["cluster"],
                "throughput": summary["throughput"],
                "stability": summary["stability"],
                "metrics": [
                    {
                        "metric": metric,
                        "name": METRIC_NAMES[metric],
                        "n": summary[f"{metric}_respondents"],
                        "withheld": summary[f"{metric}_withheld"],
                        "median": plain(summary[metric]),
                        "score": summary[f"{metric}_score"],
                    }
                    for metric in dora.METRICS
                ],
            },
            "participation": {
                "invited": participation.invited,
                "submitted": participation.submitted,
                "drafts": participation.drafts,
                "response_rate": participation.response_rate,
            },
            "flags": {
                "withheld": summary["withheld"],
                "overall_partial": summary["overall_partial"],
                "discuss": [row["question_key"] for row in team_round.questions if row["discuss"]],
                # Weak across the organisation and weak (and visible) in this team too.
                "systemic": [
                    row["question_key"]
                    for row in team_round.questions
                    if row["question_key"] in systemic
                    and row["mean"] is not None
                    and row["mean"] < SYSTEMIC_BELOW
                ],
                "dont_know_hotspots": dont_know_hotspots(team_round),
            },
            "actions": [action_document(report) for report in self.data.actions.get(team.pk, [])],
        }


def action_document(report: ActionReport) -> dict[str, Any]:
    """One improvement action as the JSON export (and the API) carries it: never its owner."""
    action, outcome = report.action, report.outcome
    return {
        "section": report.section,
        "title": action.title,
        "description": action.description,
        "status": action.status,
        "category_key": action.category_key,
        "question_keys": list(action.question_keys),
        "raised_in": action.raised_in.slug,
        "target_round": action.target_round.slug if action.target_round else None,
        "done_in": action.done_in.slug if action.done_in else None,
        "visible_to_managers": action.visible_to_managers,
        "outcome": {
            "verdict": outcome.verdict,
            "measured_in": outcome.measured_in.slug if outcome.measured_in else None,
            "changes": [
                {
                    "target": "category" if change.is_category else "question",
                    "key": change.key,
                    "previous_score": change.before,
                    "score": change.after,
                    "delta": change.delta,
                    "meaningful": change.meaningful,
                    "withheld": change.withheld,
                }
                for change in outcome.changes
            ],
        },
    }
