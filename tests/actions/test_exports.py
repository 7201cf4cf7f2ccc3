"""Exports carry the actions: retro pack, XLSX Actions sheet, JSON, actions-csv, the command."""

import io
import json
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from django.core.management import call_command

from actions import services
from reports.exporters import EXPORTERS, ExportRequest
from tests.actions.loop import Loop
from tests.factories import uniform

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def loop():
    """After A: two actions; one done during B. B answered and closed: 1 -> 3 on the tests."""
    loop = Loop(a_answers=uniform(3, 1, 2, 2))
    loop.flaky = loop.plan(visible_to_managers=True)
    loop.formula = loop.plan('=HYPERLINK("http://x.example","click")', questions=["cicd-rollout"])
    loop.open_b()
    services.action_set_status(action=loop.flaky, status="done", by=loop.lead)
    loop.answer_b(uniform(3, 3, 2, 2))
    return loop


def render(fmt, loop, user=None):
    if user is None:
        request = ExportRequest.for_admin(loop.round_b, [loop.payments])
    else:
        request = ExportRequest.for_user(loop.round_b, [loop.payments], user)
    assert EXPORTERS[fmt].refusal(request) is None
    _, _, content = EXPORTERS[fmt](request).render()
    return content if isinstance(content, bytes) else b"".join(content)


def test_the_retro_pack_lists_open_actions_and_the_outcome_of_those_done(loop):
    pack = render("md", loop, loop.lead).decode()
    section = pack[pack.index("## Improvement actions") : pack.index("## Where the team")]

    open_part, done_part = section.split("**Done since 2026 Q1**")
    assert "http\\[:\\]//x.example" in open_part  # titles are inert Markdown: no links
    assert "How do you roll out changes? 2.00 → 2.00, no change" in open_part
    assert (
        "**Fix the flaky tests** (Continuous integration & delivery: "
        "How automated are your tests?): done" in done_part
    )
    assert "How automated are your tests? 1.00 → 3.00, ▲ +2.00. **Outcome: improved.**" in done_part


def test_the_actions_csv_has_a_row_per_action_and_target_with_text_made_inert(loop):
    lines = render("actions-csv", loop).decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]

    assert len(rows) == 2
    done = next(r for r in rows if r["section"] == "done")
    assert (done["target_key"], done["previous_score"], done["score"], done["delta"]) == (
        "cicd-tests",
        "1.0",
        "3.0",
        "2.0",
    )
    assert (done["meaningful"], done["outcome"], done["done_in"]) == ("true", "improved", "2026-q2")
    assert "'=HYPERLINK(" in lines[1] + lines[2]  # sanitize_cell: a formula is text
    assert '"=HYPERLINK' not in "".join(lines)


def test_the_xlsx_workbook_has_an_actions_sheet(loop):
    workbook = openpyxl.load_workbook(io.BytesIO(render("xlsx", loop)))

    sheet = workbook["Actions"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("round", "team", "team_name", "section", "action", "title")
    titles = {row[5] for row in rows[1:]}
    assert titles == {"Fix the flaky tests", '\'=HYPERLINK("http://x.example","click")'}


def test_the_json_export_carries_actions_and_validates_against_the_schema(loop):
    schema = json.loads((DOCS / "export-schema.json").read_text())
    document = json.loads(render("json", loop))

    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    [team_round] = document["team_rounds"]
    done = next(a for a in team_round["actions"] if a["section"] == "done")
    assert done["outcome"] == {
        "verdict": "improved",
        "measured_in": "2026-q2",
        "changes": [
            {
                "target": "question",
                "key": "cicd-tests",
                "previous_score": 1.0,
                "score": 3.0,
                "delta": 2.0,
                "meaningful": True,
                "withheld": False,
            }
        ],
    }


def test_a_managers_export_carries_only_the_actions_the_team_shares(loop):
    document = json.loads(render("json", loop, loop.manager))

    [team_round] = document["team_rounds"]
    assert [a["title"] for a in team_round["actions"]] == ["Fix the flaky tests"]


def test_export_results_writes_the_actions_csv(loop, tmp_path):
    call_command(
        "export_results",
        "--round",
        "2026 Q2",
        "--format",
        "actions-csv",
        "-o",
        str(tmp_path),
        stderr=io.StringIO(),
    )

    [path] = tmp_path.iterdir()
    assert path.name == "shipshape-2026-q2-2-teams-actions.csv"
    assert "Fix the flaky tests" in path.read_text(encoding="utf-8-sig")
