"""Every export format read back with the tools analysts use, matched to the score tables.

The dataset is ``build_export_org()`` of tests/reports/export_org.py, whose
docstring has its table: 2026 Q1 and 2026 Q2 of the mini questionnaire, five
teams in Q2, Identity under k, a hostile team name and hostile reflections.
"""

import copy
import io
import json
import math
import os
from pathlib import Path

import jsonschema
import openpyxl
import pandas as pd
import pytest
from django.contrib.auth.models import User

from reports.exporters import EXPORTERS, ExportRequest, get_exporter
from reports.exporters.base import ExportResult
from reports.models import TeamCategoryScore, TeamQuestionScore, TeamRoundSummary
from surveys.models import Answer, Response
from tests.reports.export_org import (
    FORMULA_REFLECTION,
    NOW,
    ExportOrg,
    build_export_org,
    facilitator_request,
    read_csv,
    run_export,
)

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="module")
def built_org(module_rows) -> ExportOrg:
    # Built once for the module; each test gets its own copy.
    return module_rows(build_export_org)


@pytest.fixture
def org(built_org, time_machine) -> ExportOrg:
    time_machine.move_to(NOW, tick=False)
    return copy.deepcopy(built_org)


# --- the registry -------------------------------------------------------------------


def test_every_format_is_registered_once_under_its_identifier():
    assert list(EXPORTERS) == ["csv", "answers-csv", "xlsx", "json", "md", "actions-csv"]
    for identifier, exporter in EXPORTERS.items():
        assert exporter.identifier == identifier
        assert exporter.verbose_name and exporter.description
    assert get_exporter("pdf") is None


def test_render_returns_a_filename_content_type_and_content(org):
    result = EXPORTERS["json"](facilitator_request(org.q2, org.payments)).render()

    assert isinstance(result, ExportResult)
    filename, content_type, content = result
    assert filename == "shipshape-2026-q2-team-payments.json"
    assert content_type == "application/json"
    assert json.loads(content)["format"] == "shipshape-export"


# --- scores CSV ---------------------------------------------------------------------


def test_scores_csv_reads_back_with_pandas_and_matches_the_score_table(org):
    filename, content_type, content = run_export("csv", facilitator_request(org.q2))

    assert filename == "shipshape-2026-q2-5-teams-scores.csv"
    assert content_type == "text/csv; charset=utf-8"
    assert content.startswith(b"\xef\xbb\xbfround,round_name,team,")
    frame = read_csv(content)
    # Five teams x three scale questions, in team-name then questionnaire order.
    assert len(frame) == 15
    assert frame["question_key"].tolist()[:3] == ["cicd-tests", "cicd-rollout", "ir-reviews"]
    assert frame["score"].dtype == "float64"
    assert frame["withheld"].dtype == bool

    stored = {
        (row.team.slug, row.question_key): row
        for row in TeamQuestionScore.objects.filter(round=org.q2).select_related("team")
    }
    for record in frame.to_dict("records"):
        row = stored[(record["team"], record["question_key"])]
        assert record["k"] == 3
        if record["team"] == "identity":
            # A team under k: even its per-question counts depend on the answers.
            assert record["withheld"]
            assert math.isnan(record["n"]) and math.isnan(record["abstained"])
        else:
            assert record["n"] == row.answered
            assert record["abstained"] == row.abstained
        if record["withheld"]:
            assert math.isnan(record["score"]) and math.isnan(record["sd"])
        else:
            # Full precision: the CSV holds the stored float exactly.
            assert record["score"] == row.mean
            assert record["agreement"] == row.agreement
            assert record["dont_know_rate"] == row.dont_know_rate
        # Every team has fewer than 2k = 6 respondents: no distribution details,
        # although the score table holds them.
        assert row.sd is not None
        for column in ("sd", "median", "q1", "q3", "minimum", "maximum"):
            assert math.isnan(record[column]), (record["team"], record["question_key"], column)


def test_scores_csv_carries_the_delta_against_the_previous_round(org):
    frame = read_csv(run_export("csv", facilitator_request(org.q2, org.payments))[2])
    tests = frame.set_index("question_key").loc["cicd-tests"]

    assert tests["previous_round"] == "2026-q1"
    assert tests["previous_score"] == pytest.approx(3)
    assert tests["score"] == pytest.approx(4)
    assert tests["delta"] == pytest.approx(1)
    assert bool(tests["meaningful"]) is True


def test_scores_csv_marks_withheld_rows_with_an_empty_value_and_a_flag(org):
    frame = read_csv(run_export("csv", facilitator_request(org.q2, org.payments))[2])
    rollout = frame.set_index("question_key").loc["cicd-rollout"]

    # Two scored answers with k = 3: the spread is withheld, its n is not.
    assert bool(rollout["withheld"]) is True
    assert rollout["n"] == 2
    assert math.isnan(rollout["score"])
    assert pd.isna(rollout["discuss"])
    # The don't-know rate is over all three answers, so it can be shown.
    assert bool(rollout["dont_know_rate_withheld"]) is False
    assert rollout["dont_know_rate"] == pytest.approx(1 / 3)


# --- answers CSV --------------------------------------------------------------------


def test_answers_csv_reads_back_one_row_per_submitted_answer_without_free_text(org):
    filename, _, content = run_export("answers-csv", facilitator_request(org.q2, org.payments))

    assert filename == "shipshape-2026-q2-team-payments-answers.csv"
    frame = read_csv(content)
    assert list(frame.columns) == [
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
    ]
    answers = Answer.objects.filter(
        response__round=org.q2, response__team=org.payments, response__status="submitted"
    )
    # Every answer but the reflections: their wording could identify the whole row.
    assert answers.filter(question__kind="text").exists()
    assert len(frame) == answers.exclude(question__kind="text").count()
    assert "text" not in set(frame["question_kind"])
    assert not {"cicd-reflection", "ir-reflection"} & set(frame["question_key"])
    assert frame["respondent"].nunique() == 3
    assert not frame["withheld"].any()
    # Every person's answers to cicd-tests were 4; the DK shows as a label, not a score.
    tests = frame[frame["question_key"] == "cicd-tests"]
    assert tests["score"].tolist() == [4, 4, 4]
    assert set(tests["choice_label"]) == {"Optimizing"}
    rollout = frame[frame["question_key"] == "cicd-rollout"]
    assert sorted(rollout["choice_label"]) == ["Defined", "Don't know", "Managed"]
    assert rollout["score"].isna().sum() == 1
    assert frame[frame["question_key"] == "dora-change-failure-rate"]["percent"].tolist() == [
        20,
        20,
        20,
    ]
    text = content.decode("utf-8-sig")
    for reflection in (FORMULA_REFLECTION, "flaky tests again", "Blameless reviews"):
        assert reflection not in text


def test_answers_csv_groups_rows_by_respondent_in_questionnaire_order(org):
    frame = read_csv(run_export("answers-csv", facilitator_request(org.q2))[2])
    frame = frame[~frame["withheld"]]

    # Teams in name order, as everywhere; within a team, each respondent's rows
    # together (respondents in random order: see test_exports_privacy).
    assert list(dict.fromkeys(frame["team"])) == ["hostile", "checkout", "payments", "platform"]
    for _, team_rows in frame.groupby("team", sort=False):
        aliases = team_rows["respondent"].tolist()
        assert len(set(aliases)) == 3
        blocks = [alias for i, alias in enumerate(aliases) if i == 0 or aliases[i - 1] != alias]
        assert len(blocks) == 3  # each alias in one run of rows
    order = [
        "cicd-tests",
        "cicd-rollout",
        "ir-reviews",
        "dora-deployment-frequency",
        "dora-lead-time",
        "dora-recovery-time",
        "dora-change-failure-rate",
    ]
    for _, rows in frame.groupby("respondent", sort=False):
        assert [key for key in rows["question_key"] if key in order] == order


def test_answers_csv_marks_a_team_under_k_as_withheld_for_a_facilitator(org):
    frame = read_csv(run_export("answers-csv", facilitator_request(org.q2, org.identity))[2])

    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["team"], bool(row["withheld"])) == ("identity", True)
    assert pd.isna(row["respondent"]) and pd.isna(row["score"])


# --- XLSX ---------------------------------------------------------------------------


def test_xlsx_has_four_sheets_with_frozen_headers_and_numbers_as_numbers(org):
    filename, content_type, content = run_export("xlsx", facilitator_request(org.q2))

    assert filename == "shipshape-2026-q2-5-teams.xlsx"
    assert content_type.endswith("spreadsheetml.sheet")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    # No Reflections sheet: free text stays on the dashboard and in the retro pack.
    assert workbook.sheetnames == ["Summary", "Questions", "DORA", "Participation", "Actions"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].value == "round"
        assert sheet["A1"].font.bold
        assert all(8 <= sheet.column_dimensions[letter].width <= 60 for letter in ("A", "B", "C"))

    summary = _sheet_rows(workbook["Summary"])
    payments = {row["category_key"]: row for row in summary if row["team"] == "payments"}
    overall = TeamRoundSummary.objects.get(round=org.q2, team=org.payments)
    cicd = TeamCategoryScore.objects.get(round=org.q2, team=org.payments, category_key="ci-cd")
    assert payments["overall"]["score"] == pytest.approx(overall.overall)
    assert isinstance(payments["ci-cd"]["score"], float)
    assert payments["ci-cd"]["score"] == pytest.approx(cicd.mean)
    assert payments["ci-cd"]["level"] == cicd.level
    assert isinstance(payments["ci-cd"]["n"], int)
    assert payments["ci-cd"]["withheld"] is False
    assert payments["ci-cd"]["previous_round"] == "2026-q1"

    dora_rows = {row["team"]: row for row in _sheet_rows(workbook["DORA"])}
    assert dora_rows["checkout"]["cluster"] == "High"
    assert dora_rows["checkout"]["dora_year"] == 2024
    assert dora_rows["checkout"]["deployment_frequency_score"] == pytest.approx(6)

    participation = {row["team"]: row for row in _sheet_rows(workbook["Participation"])}
    assert participation["payments"]["submitted"] == 3
    assert participation["payments"]["invited"] == 3
    assert participation["payments"]["response_rate"] == pytest.approx(1)

    cells = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    ]
    assert not [cell for cell in cells if "flaky tests" in cell or "HYPERLINK" in cell]


def test_xlsx_questions_sheet_has_the_scores_csv_columns(org):
    content = run_export("xlsx", facilitator_request(org.q2, org.payments))[2]
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Questions"]

    header = [cell.value for cell in sheet[1]]
    assert tuple(header) == EXPORTERS["csv"].columns
    assert sheet.max_row == 1 + 3


def _sheet_rows(sheet) -> list[dict]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


# --- JSON ---------------------------------------------------------------------------


def test_json_export_validates_against_the_documented_schema(org):
    schema = json.loads((DOCS / "export-schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)

    for request in (
        facilitator_request(org.q2),
        facilitator_request(org.q1),
        # A member of a team under k: everything withheld, still valid.
        ExportRequest.for_user(org.q2, [org.identity], User.objects.get(username="identity-p0")),
    ):
        document = json.loads(run_export("json", request)[2])
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)


def test_json_export_carries_the_questionnaire_round_and_team_numbers(org):
    document = json.loads(run_export("json", facilitator_request(org.q2))[2])

    assert document["questionnaire"] == {
        "slug": "mini",
        "version": 1,
        "title": "Mini questionnaire",
    }
    assert document["rounds"][0]["slug"] == "2026-q2"
    assert document["rounds"][0]["status"] == "closed"
    assert document["rounds"][0]["systemic_questions"] == ["cicd-rollout", "ir-reviews"]
    payments = next(item for item in document["team_rounds"] if item["team"]["slug"] == "payments")
    summary = TeamRoundSummary.objects.get(round=org.q2, team=org.payments)
    assert payments["respondents"] == 3
    assert payments["previous_round"] == "2026-q1"
    assert payments["overall"]["score"] == pytest.approx(summary.overall)
    categories = {item["key"]: item for item in payments["categories"]}
    cicd = TeamCategoryScore.objects.get(round=org.q2, team=org.payments, category_key="ci-cd")
    assert categories["ci-cd"]["score"] == pytest.approx(cicd.mean)
    assert categories["ci-cd"]["agreement"] == pytest.approx(cicd.agreement)
    assert categories["ci-cd"]["delta"] == pytest.approx(cicd.mean - 19 / 9)
    assert payments["dora"]["year"] == 2024
    assert payments["dora"]["cluster"] == summary.cluster
    assert payments["participation"] == {
        "invited": 3,
        "submitted": 3,
        "drafts": 0,
        "response_rate": 1.0,
    }
    assert payments["flags"]["dont_know_hotspots"] == ["cicd-rollout"]
    assert payments["flags"]["discuss"] == ["ir-reviews"]
    # Both are weak across the organisation, but Payments is at 2.33 (Defined) in
    # ir-reviews, and its cicd-rollout is withheld (two scored answers).
    assert payments["flags"]["systemic"] == []
    checkout = next(item for item in document["team_rounds"] if item["team"]["slug"] == "checkout")
    assert checkout["flags"]["systemic"] == ["cicd-rollout", "ir-reviews"]


# --- Markdown -----------------------------------------------------------------------


def with_reflections_sorted(markdown: str) -> str:
    """The pack with each prompt's reflections sorted: they come shuffled afresh every time."""
    lines: list[str] = []
    run: list[str] = []
    inside = False
    for line in markdown.split("\n"):
        if line.startswith("## "):
            inside = line == "## Reflections"
        if inside and line.startswith("- "):
            run.append(line)
            continue
        lines += [*sorted(run), line]
        run = []
    return "\n".join(lines + sorted(run))


def test_markdown_retro_pack_matches_the_golden_file(org):
    filename, content_type, content = run_export("md", facilitator_request(org.q2, org.payments))

    assert filename == "shipshape-2026-q2-team-payments-retro-pack.md"
    assert content_type == "text/markdown; charset=utf-8"
    # The golden file holds each prompt's reflections sorted; the pack shuffles them
    # (test_exports_privacy checks that the order changes between downloads).
    pack = with_reflections_sorted(content.decode())
    golden = GOLDEN / "retro_pack.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(pack, encoding="utf-8")
    assert pack == golden.read_text(encoding="utf-8")


def test_markdown_retro_pack_for_several_teams_has_one_section_each(org):
    content = run_export("md", facilitator_request(org.q2))[2].decode()

    assert content.count("\n# Retro pack: ") + content.startswith("# Retro pack: ") == 5
    assert "# Retro pack: Identity, 2026 Q2" in content
    assert "not enough responses (n < 3)" in content


def test_exports_of_a_past_round_have_no_previous_round(org):
    document = json.loads(run_export("json", facilitator_request(org.q1))[2])
    pack = run_export("md", facilitator_request(org.q1, org.payments))[2].decode()

    assert document["rounds"][0]["status"] == "closed"
    assert document["team_rounds"][0]["previous_round"] is None
    assert "This is the team's first round" in pack
    # Only drafts and submitted responses of this round count.
    assert Response.objects.filter(round=org.q1).count() == 3
