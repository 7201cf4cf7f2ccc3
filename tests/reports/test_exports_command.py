"""manage.py export_results: the exporters from a script, with facilitator rights.

Facilitator rights, not more: only rounds that have closed, k for every team,
no free text in the Answers CSV and no Reflections sheet in the XLSX.
"""

import copy
import io
import json

import openpyxl
import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from tests.reports.export_org import NOW, WHILE_OPEN, ExportOrg, build_export_org

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built_org(module_rows) -> ExportOrg:
    # Built once for the module; each test gets its own copy.
    return module_rows(build_export_org)


@pytest.fixture
def org(built_org, time_machine) -> ExportOrg:
    time_machine.move_to(NOW, tick=False)
    return copy.deepcopy(built_org)


def export(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("export_results", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_command_writes_every_format_to_a_directory_under_a_descriptive_name(org, tmp_path):
    for fmt in ("csv", "answers-csv", "xlsx", "json", "md", "actions-csv"):
        export("--round", "2026 Q2", "--team", "payments", "--format", fmt, "-o", str(tmp_path))

    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == [
        "shipshape-2026-q2-team-payments-actions.csv",
        "shipshape-2026-q2-team-payments-answers.csv",
        "shipshape-2026-q2-team-payments-retro-pack.md",
        "shipshape-2026-q2-team-payments-scores.csv",
        "shipshape-2026-q2-team-payments.json",
        "shipshape-2026-q2-team-payments.xlsx",
    ]
    answers = pd.read_csv(tmp_path / "shipshape-2026-q2-team-payments-answers.csv")
    assert answers["respondent"].nunique() == 3
    assert "text" not in answers.columns
    workbook = openpyxl.load_workbook(tmp_path / "shipshape-2026-q2-team-payments.xlsx")
    assert workbook.sheetnames == ["Summary", "Questions", "DORA", "Participation", "Actions"]


def test_command_refuses_a_round_that_has_not_closed_and_writes_nothing(
    org, tmp_path, time_machine
):
    time_machine.move_to(WHILE_OPEN, tick=False)

    for fmt in ("csv", "answers-csv", "xlsx", "json", "md", "actions-csv"):
        with pytest.raises(CommandError, match="Results of 2026 Q2 appear when the round closes"):
            export("--round", "2026 Q2", "--format", fmt, "-o", str(tmp_path))

    assert not list(tmp_path.iterdir())


def test_command_accepts_the_round_slug_and_exports_every_team_without_team(org, tmp_path):
    target = tmp_path / "all.json"

    _, stderr = export("--round", "2026-q2", "--format", "json", "-o", str(target))

    assert f"Wrote {target}" in stderr
    document = json.loads(target.read_text())
    assert len(document["team_rounds"]) == 5


def test_command_writes_text_formats_to_stdout(org):
    stdout, _ = export("--round", "2026 Q2", "--team", "payments", "--format", "md", "-o", "-")

    assert stdout.startswith("# Retro pack: Payments, 2026 Q2")
    # Facilitator rights: the reflections of a team with k responses are in.
    assert "## Reflections" in stdout and "channel flaky tests again" in stdout


def test_command_withholds_a_team_under_k_like_for_everyone(org):
    stdout, _ = export("--round", "2026 Q2", "--team", "identity", "--format", "csv", "-o", "-")

    frame = pd.read_csv(io.StringIO(stdout.lstrip("\ufeff")))
    assert frame["withheld"].all()
    assert frame["score"].isna().all()


def test_command_writes_csv_to_stdout(org):
    stdout, _ = export("--round", "2026 Q2", "--team", "payments", "--format", "csv", "-o", "-")

    frame = pd.read_csv(io.StringIO(stdout.lstrip("\ufeff")))
    assert frame["question_key"].tolist() == ["cicd-tests", "cicd-rollout", "ir-reviews"]


def test_command_refuses_binary_xlsx_on_a_text_stdout(org):
    with pytest.raises(CommandError, match="XLSX is binary"):
        export("--round", "2026 Q2", "--format", "xlsx", "-o", "-")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--round", "1999 Q1", "--format", "csv"), "No survey round has the name or slug"),
        (("--round", "2026 Q1", "--team", "checkout", "--format", "csv"), "No team with the slug"),
        (("--round", "2026 Q2", "--format", "pdf"), "invalid choice"),
    ],
)
def test_command_reports_unknown_rounds_teams_and_formats(org, args, message):
    with pytest.raises(CommandError, match=message):
        export(*args)


def test_command_help_says_it_runs_with_facilitator_rights():
    from reports.management.commands.export_results import Command

    assert "facilitator rights" in Command.help
