"""What every export shares: who asks, what they may get, safe cells and file names.

An exporter (one class per format, registered in ``reports.exporters``) gets an
``ExportRequest`` (a round, its teams, and the viewer) and returns
``(filename, content_type, content)`` from ``render()``, where content is bytes
or an iterator of bytes for streamed formats. Views and the management command
ask ``refusal()`` first: a refused export writes nothing.

Exporters only format. Who may have what is ``surveys.privacy`` (the one
policy); the numbers come from ``reports.selectors`` and
``surveys.selectors``, which apply it the same way for every viewer:

* nothing of a round is exported before it closes;
* aggregates of fewer than k respondents are withheld (never zeroed), for
  everyone; distribution details only from 2k;
* answer-level rows are for facilitators only, without free text;
* reflections appear only in the retro pack, for the team as it was at close
  and facilitators;
* nothing carries a name, a user id, a response id or a timestamp finer than
  the round.
"""

import csv
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar, NamedTuple

import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.utils.text import slugify

from assessment import dora
from assessment.cells import sanitize_cell
from assessment.kinds import KINDS, MATURITY
from assessment.maturity import level_name
from reports import selectors
from reports.selectors import QuestionInfo
from surveys import privacy
from surveys import selectors as survey_selectors
from surveys.models import SurveyRound, Team
from surveys.privacy import Viewer
from surveys.selectors import Participation

# --- who asks ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    """One export: a round, the teams to include, and who asks (``privacy.Viewer``)."""

    survey_round: SurveyRound
    teams: tuple[Team, ...]
    viewer: Viewer

    @classmethod
    def for_user(
        cls, survey_round: SurveyRound, teams: Iterable[Team], user: User | AnonymousUser
    ) -> "ExportRequest":
        viewer = Viewer.of(user).with_members_at_close([survey_round])
        return cls(survey_round=survey_round, teams=tuple(teams), viewer=viewer)

    @classmethod
    def for_admin(cls, survey_round: SurveyRound, teams: Iterable[Team]) -> "ExportRequest":
        """Facilitator rights, for scripts run by whoever administers the server."""
        viewer = Viewer.administrator().with_members_at_close([survey_round])
        return cls(survey_round=survey_round, teams=tuple(teams), viewer=viewer)

    def sees_results(self, team: Team) -> bool:
        return self.viewer.sees_results(team, self.survey_round)


# --- cells -------------------------------------------------------------------------

# Control characters no XLSX cell may hold (openpyxl refuses them).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def plain(value: Any) -> Any:
    """A value as a plain Python object: None for NaN/NA, int/float/bool for numpy."""
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalars
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def csv_cell(value: Any) -> str:
    """How a value is written to CSV: empty for None, true/false, full-precision numbers."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back to the same float
    if isinstance(value, datetime | date):
        return value.isoformat()
    return sanitize_cell(str(value))


def xlsx_cell(value: Any) -> Any:
    """How a value is written to XLSX: numbers and booleans as such, text inert."""
    value = plain(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # XLSX has no time zones; rounds are in UTC
    if isinstance(value, str):
        return sanitize_cell(_XLSX_ILLEGAL.sub("", value))
    return value


CSV_CHUNK_BYTES = 64 * 1024


def csv_stream(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """UTF-8 CSV with a header, yielded in chunks of about 64 KiB.

    The byte-order mark lets spreadsheet tools recognise UTF-8 (pandas skips it).
    Rows are written one at a time, so memory does not grow with the export.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        if buffer.tell() >= CSV_CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --- file names --------------------------------------------------------------------


def export_filename(
    survey_round: SurveyRound, teams: Sequence[Team], *, suffix: str, extension: str
) -> str:
    """A descriptive, safe name: shipshape-2026-q4-team-payments-answers.csv.

    Every part is slugified (ASCII letters, digits and hyphens), so the name
    needs no quoting and cannot climb out of a directory.
    """
    parts = ["shipshape", slugify(survey_round.slug) or "round"]
    if len(teams) == 1:
        parts += ["team", slugify(teams[0].slug) or "team"]
    else:
        parts.append(f"{len(teams)}-teams")
    if suffix:
        parts.append(slugify(suffix))
    stem = "-".join(parts)[:150].strip("-")
    return f"{stem}.{slugify(extension)}"


class ExportResult(NamedTuple):
    filename: str
    content_type: str
    content: bytes | Iterator[bytes]


# --- exporters ---------------------------------------------------------------------


class BaseExporter:
    """One export format. Subclasses set the class attributes and ``render``."""

    identifier: ClassVar[str]
    verbose_name: ClassVar[str]
    description: ClassVar[str] = ""
    extension: ClassVar[str]
    content_type: ClassVar[str]
    filename_suffix: ClassVar[str] = ""
    # Single (pseudonymous) answers: facilitators only (privacy.Viewer.sees_answer_rows).
    answer_rows: ClassVar[bool] = False
    # Quotes reflections: the team as it was at close and facilitators only.
    quotes_reflections: ClassVar[bool] = False

    def __init__(self, request: ExportRequest, data: "ExportData | None" = None) -> None:
        self.request = request
        self.data = data or ExportData(request)

    @classmethod
    def refusal(cls, request: ExportRequest) -> str | None:
        """Why this viewer may not have this export, or None when they may."""
        viewer, survey_round = request.viewer, request.survey_round
        if not request.teams:
            return "Choose at least one team to export."
        if not privacy.is_released(survey_round):
            return privacy.release_message(survey_round)
        if not all(request.sees_results(team) for team in request.teams):
            return "You can only export results of teams you belonged to when the round closed."
        if cls.answer_rows and not viewer.sees_answer_rows():
            return (
                f"The {cls.verbose_name} holds single anonymous answers, which only "
                "facilitators may download, and only for teams with at least k responses. "
                "Use the scores CSV, the XLSX workbook or the JSON export for aggregates."
            )
        if cls.quotes_reflections and not (
            viewer.is_facilitator
            or all(viewer.was_member(team, survey_round) for team in request.teams)
        ):
            return (
                f"The {cls.verbose_name} quotes the team's reflections, which only the team "
                "and facilitators may read. Managers see aggregates only: use the scores "
                "CSV, the XLSX workbook or the JSON export."
            )
        return None

    def filename(self) -> str:
        return export_filename(
            self.request.survey_round,
            self.request.teams,
            suffix=self.filename_suffix,
            extension=self.extension,
        )

    def render(self) -> ExportResult:
        raise NotImplementedError


class TabularExporter(BaseExporter):
    """A table: ``columns`` and ``iterate_rows()``; written as CSV, or as an XLSX sheet."""

    extension = "csv"
    content_type = "text/csv; charset=utf-8"
    columns: ClassVar[tuple[str, ...]]
    sheet_title: ClassVar[str] = ""

    def iterate_rows(self) -> Iterator[Sequence[Any]]:
        raise NotImplementedError

    def render(self) -> ExportResult:
        return ExportResult(
            self.filename(), self.content_type, csv_stream(self.columns, self.iterate_rows())
        )


# --- reads shared by the formats -----------------------------------------------------


@dataclass(frozen=True)
class TeamRound:
    """One team's numbers in the exported round, as this viewer may see them.

    ``summary``, ``categories`` and ``questions`` are rows of the selectors'
    frames as plain dicts (None where a value is withheld or absent, with the
    ``withheld`` flags beside them). A team that did not take part has
    ``took_part`` False and rows with n = 0 for every category and question.
    """

    team: Team
    took_part: bool
    previous_round: SurveyRound | None
    summary: dict[str, Any]
    categories: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    participation: Participation
    # What changed in the questionnaire since the previous round (assessment.versions).
    questionnaire_changes: list = field(default_factory=list)


@dataclass(frozen=True)
class Reflections:
    """One team's reflections, grouped by prompt; never with names or dates."""

    team: Team
    withheld: bool
    reason: str
    by_question: list[tuple[QuestionInfo, list[str]]]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {column: plain(value) for column, value in row.items()} for row in frame.to_dict("records")
    ]


class ExportData:
    """Reads for one export, each done once and shared by the formats and sheets."""

    def __init__(self, request: ExportRequest) -> None:
        self.request = request
        self.survey_round = request.survey_round
        self.teams = sorted(request.teams, key=lambda team: team.name.lower())

    @cached_property
    def _questionnaire(self) -> selectors.QuestionnaireInfo:
        return selectors.questionnaire_info(self.survey_round)

    @property
    def questions(self) -> list[QuestionInfo]:
        """The round's questions in questionnaire order (one read, shared)."""
        return self._questionnaire.questions

    @property
    def choices(self) -> dict[int, tuple[str, int | None]]:
        """Choice pk -> (label, score) for every choice of the round's questions."""
        return self._questionnaire.choices

    @cached_property
    def questions_by_key(self) -> dict[str, QuestionInfo]:
        return {question.key: question for question in self.questions}

    @cached_property
    def practice_categories(self) -> list[tuple[str, str]]:
        return list(selectors.practice_categories(self.survey_round).items())

    @cached_property
    def participation(self) -> dict[int, Participation]:
        """Members at close, submitted and draft responses per team (the one read)."""
        counts = survey_selectors.participation(
            [self.survey_round], [team.pk for team in self.teams]
        )
        return {team_id: p for (_, team_id), p in counts.items()}

    @cached_property
    def systemic(self) -> list[str]:
        """Question keys weak across most teams (withheld teams never counted)."""
        return selectors.systemic_questions(self.survey_round)

    @cached_property
    def team_rounds(self) -> list[TeamRound]:
        return [self._team_round(team) for team in self.teams]

    def _team_round(self, team: Team) -> TeamRound:
        survey_round = self.survey_round
        previous = selectors.previous_round_for(team, survey_round)
        rounds = [previous, survey_round] if previous else [survey_round]
        scores = selectors.team_round_scores(team, rounds)
        current = [row for row in _records(scores.rounds) if row["round"] == survey_round.slug]
        participation = self.participation.get(team.pk, Participation())
        took_part = bool(current)
        summary = current[0] if current else self._empty_summary(team)

        categories = {
            row["category_key"]: row
            for row in _records(scores.categories)
            if row["round"] == survey_round.slug
        }
        category_rows = [
            categories.get(key) or self._empty_category(team, key, name)
            for key, name in self.practice_categories
        ]
        for row in category_rows:
            known = row["delta"] is not None and row["mean"] is not None
            row["previous_mean"] = row["mean"] - row["delta"] if known else None

        questions = {
            row["question_key"]: row
            for row in _records(selectors.question_scores(team, survey_round))
        }
        question_rows = []
        for info in self.questions:
            if KINDS[info.kind].scoring != MATURITY:
                continue
            row = questions.pop(info.key, None) or self._empty_question(team, info)
            row["level"] = level_name(row["mean"])
            question_rows.append(row)
        return TeamRound(
            team=team,
            took_part=took_part,
            previous_round=previous,
            summary=summary,
            categories=category_rows,
            questions=question_rows,
            participation=participation,
            questionnaire_changes=selectors.questionnaire_changes(survey_round, previous),
        )

    def _empty_summary(self, team: Team) -> dict[str, Any]:
        hidden = True  # nobody took part: nothing to show
        row: dict[str, Any] = {
            "round": self.survey_round.slug,
            "k": privacy.min_group_size(self.survey_round),
            "respondents": 0,
            "withheld": hidden,
            "overall": None,
            "overall_partial": False,
            "level": "",
            "overall_delta": None,
            "dora_year": settings.SHIPSHAPE_DORA_YEAR,
            "throughput": None,
            "stability": None,
            "cluster": None,
        }
        for metric in dora.METRICS:
            row |= {
                metric: None,
                f"{metric}_score": None,
                f"{metric}_respondents": 0,
                f"{metric}_withheld": hidden,
            }
        return row

    def _empty_category(self, team: Team, key: str, name: str) -> dict[str, Any]:
        return {
            "round": self.survey_round.slug,
            "category_key": key,
            "category_name": name,
            "respondents": 0,
            "withheld": True,
            **dict.fromkeys(selectors.SPREAD_COLUMNS),
            "level": "",
            "delta": None,
            "meaningful": False,
        }

    def _empty_question(self, team: Team, info: QuestionInfo) -> dict[str, Any]:
        return {
            "question_key": info.key,
            "category_key": info.category_key,
            "answered": 0,
            "abstained": 0,
            "dont_know_rate": None,
            **dict.fromkeys(selectors.SPREAD_COLUMNS),
            "discuss": None,
            "withheld": True,
            "previous_round": None,
            "previous_mean": None,
            "delta": None,
            "meaningful": False,
        }

    @cached_property
    def actions(self) -> dict[int, list[selectors.ActionReport]]:
        """Per team id: open actions and those done since the team's previous round."""
        previous = {tr.team.pk: tr.previous_round for tr in self.team_rounds}
        return selectors.round_actions(self.teams, self.survey_round, previous, self.request.viewer)

    @cached_property
    def reflections(self) -> list[Reflections]:
        """Free-text answers per team and prompt, where this viewer may read them.

        From ``selectors.reflections`` (the one read, shuffled afresh), after
        ``privacy.Viewer.sees_reflections``. Two queries per team shown.
        """
        result = []
        for team in self.teams:
            submitted = self.participation.get(team.pk, Participation()).submitted
            if not self.request.viewer.sees_reflections(team, self.survey_round, submitted):
                result.append(Reflections(team, True, self._reflections_refusal(submitted), []))
                continue
            by_key = {
                key: texts
                for key, _, texts in selectors.reflections(
                    team, self.survey_round, submitted=submitted
                )
            }
            result.append(
                Reflections(
                    team,
                    False,
                    "",
                    [(info, by_key[info.key]) for info in self.questions if info.key in by_key],
                )
            )
        return result

    def _reflections_refusal(self, submitted: int) -> str:
        if privacy.is_withheld(submitted, self.survey_round):
            k = privacy.min_group_size(self.survey_round)
            return f"Not enough responses (n < {k}): reflections are withheld."
        return "Reflections are for the team itself and facilitators only."
