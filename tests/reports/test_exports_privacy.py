"""Exports keep people anonymous, respect k and cannot carry formulas or HTML."""

import io
import json
import re
from datetime import UTC, datetime

import openpyxl
import pytest
import time_machine
from django.contrib.auth.models import User

from reports.exporters import EXPORTERS, ExportRequest
from reports.exporters.answers_csv import respondent_alias
from reports.exporters.base import export_filename, sanitize_cell
from reports.exporters.markdown import md_escape
from surveys.models import Response
from tests.factories import SurveyRoundFactory, TeamFactory
from tests.reports.test_exports_formats import (
    FORMULA_REFLECTION,
    HOSTILE_TEAM,
    NOW,
    ExportOrg,
    build_export_org,
    facilitator_request,
    read_csv,
    run_export,
)
from tests.reports.test_scoring_tables import submit, submit_team
from tests.reports.test_selectors import uniform

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(time_machine) -> ExportOrg:
    built = build_export_org()
    time_machine.move_to(NOW, tick=False)
    return built


def manager_request(org: ExportOrg, *teams) -> ExportRequest:
    return ExportRequest(org.q2, teams, is_manager=True)


def member_request(org: ExportOrg, team) -> ExportRequest:
    return ExportRequest(org.q2, (team,), member_team_ids=frozenset({team.pk}))


# --- the privacy threshold k ----------------------------------------------------------


def test_a_team_under_k_is_withheld_for_a_manager_but_visible_to_its_member(org):
    outsider = read_csv(run_export("csv", manager_request(org, org.identity))[2])
    member = read_csv(run_export("csv", member_request(org, org.identity))[2])

    # Withheld: the value is absent (not 0), the flag is set, n is still shown.
    assert outsider["withheld"].all()
    assert outsider["score"].isna().all()
    assert outsider["n"].tolist() == [2, 2, 2]
    assert (
        not (outsider.select_dtypes("number").drop(columns=["k", "n", "abstained"]) == 4)
        .any()
        .any()
    )
    assert not member["withheld"].any()
    assert member["score"].tolist() == [4, 4, 4]


def test_json_marks_withheld_values_as_null_with_a_flag(org):
    outsider = json.loads(run_export("json", manager_request(org, org.identity))[2])
    member = json.loads(run_export("json", member_request(org, org.identity))[2])

    team = outsider["team_rounds"][0]
    assert team["withheld"] is True and team["flags"]["withheld"] is True
    assert team["overall"] == {
        "score": None,
        "level": None,
        "partial": True,  # every category is left out
        "delta": None,
        "withheld": True,
    }
    assert all(c["score"] is None and c["withheld"] for c in team["categories"])
    assert all(m["median"] is None and m["withheld"] for m in team["dora"]["metrics"])
    assert team["dora"]["cluster"] is None
    own = member["team_rounds"][0]
    assert own["viewer_is_member"] is True
    assert own["overall"]["score"] == pytest.approx(4)
    assert own["dora"]["cluster"] == "High"


def test_xlsx_leaves_withheld_cells_empty_and_flags_them(org):
    content = run_export("xlsx", manager_request(org, org.identity))[2]
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Summary"]

    header = [cell.value for cell in sheet[1]]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        record = dict(zip(header, row, strict=True))
        assert record["withheld"] is True
        assert record["score"] is None
        assert record["n"] == 2


def test_markdown_says_not_enough_responses_for_a_withheld_team(org):
    pack = run_export("md", facilitator_request(org.q2, org.identity))[2].decode()

    assert "**Overall maturity:** not enough responses (n < 3)." in pack
    assert "| Continuous integration & delivery | not enough responses (n < 3) |  | 2 |" in pack
    assert "Not enough responses (n < 3): reflections are withheld." in pack


def test_a_facilitator_gets_no_reflections_of_a_team_under_k_but_its_member_does(org):
    submit(org.q2, org.identity, "identity-p0", {"cicd-reflection": "Only two of us."})

    facilitator = run_export("md", facilitator_request(org.q2, org.identity))[2].decode()
    member = run_export("md", member_request(org, org.identity))[2].decode()

    assert "Only two of us" not in facilitator
    assert "- Only two of us\\." not in member
    assert "- Only two of us." in member


# --- anonymity ------------------------------------------------------------------------


def test_aliases_differ_across_rounds_for_the_same_person_and_hide_the_user_id(org):
    q1 = read_csv(run_export("answers-csv", facilitator_request(org.q1, org.payments))[2])
    q2 = read_csv(run_export("answers-csv", facilitator_request(org.q2, org.payments))[2])

    ana = User.objects.get(username="payments-ana")
    responses = {
        survey_round.pk: Response.objects.get(round=survey_round, respondent=ana)
        for survey_round in (org.q1, org.q2)
    }
    alias_q1 = respondent_alias(org.q1.pk, responses[org.q1.pk].pk)
    alias_q2 = respondent_alias(org.q2.pk, responses[org.q2.pk].pk)
    assert alias_q1 in set(q1["respondent"]) and alias_q2 in set(q2["respondent"])
    assert alias_q1 != alias_q2
    assert not set(q1["respondent"]) & set(q2["respondent"])
    for alias in set(q1["respondent"]) | set(q2["respondent"]):
        assert re.fullmatch(r"R-[0-9a-f]{10}", alias)
    # Stable within a round: the same export gives the same aliases.
    again = read_csv(run_export("answers-csv", facilitator_request(org.q2, org.payments))[2])
    assert again["respondent"].tolist() == q2["respondent"].tolist()


def test_alias_does_not_reveal_the_response_or_user_id():
    # Neighbouring responses get unrelated aliases; the ids do not appear in them.
    aliases = [respondent_alias(7, response_id) for response_id in range(1, 50)]
    assert len(set(aliases)) == len(aliases)
    assert aliases != sorted(aliases)
    assert respondent_alias(8, 1) != respondent_alias(7, 1)


def test_exports_carry_no_names_user_ids_or_answer_times(org):
    users = User.objects.filter(username__startswith="payments-")
    forbidden = [user.username for user in users] + [
        "2026-04-13",  # the day everyone answered
        "submitted_at",
        "respondent_id",
        "username",
    ]
    for identifier in ("csv", "answers-csv", "json", "md"):
        content = run_export(identifier, facilitator_request(org.q2, org.payments))[2].decode()
        for word in forbidden:
            assert word not in content, (identifier, word)
    header = read_csv(run_export("answers-csv", facilitator_request(org.q2, org.payments))[2])
    assert "response" not in " ".join(header.columns)


# --- formula injection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain", "plain"),
        ("a=1", "a=1"),
        ("", ""),
        (-0.25, -0.25),
        (-3, -3),
        (None, None),
        (True, True),
    ],
)
def test_sanitize_cell_makes_formula_text_inert_and_leaves_numbers_alone(value, expected):
    assert sanitize_cell(value) == expected


def test_injection_in_reflections_and_team_names_is_inert_in_csv(org):
    scores = read_csv(run_export("csv", facilitator_request(org.q2, org.hostile))[2])
    answers = read_csv(run_export("answers-csv", facilitator_request(org.q2, org.payments))[2])

    assert set(scores["team_name"]) == {"'" + HOSTILE_TEAM}
    texts = set(answers["text"].dropna())
    assert "'" + FORMULA_REFLECTION in texts
    assert "'@channel flaky tests again" in texts
    for text in texts:
        assert not text.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_negative_deltas_stay_plain_numbers_in_csv_and_numbers_in_xlsx():
    team = TeamFactory(name="Payments", slug="payments")
    rounds = [
        SurveyRoundFactory(
            name=name,
            slug=slug,
            opens_at=datetime(2026, month, 5, tzinfo=UTC),
            closes_at=datetime(2026, month + 1, 1, tzinfo=UTC),
            teams=[team],
        )
        for name, slug, month in (("2026 Q1", "2026-q1", 1), ("2026 Q2", "2026-q2", 4))
    ]
    for survey_round, level in zip(rounds, (3, 1), strict=True):
        with time_machine.travel(survey_round.opens_at, tick=False):
            submit_team(survey_round, team, uniform(3, tests=level, rollout=level, reviews=level))

    csv_bytes = run_export("csv", facilitator_request(rounds[1], team))[2]
    frame = read_csv(csv_bytes)
    assert frame["delta"].tolist() == [-2.0, -2.0, -2.0]
    assert b",-2.0," in csv_bytes  # a plain number, no quote in front

    workbook = openpyxl.load_workbook(
        io.BytesIO(run_export("xlsx", ExportRequest.for_admin(rounds[1], [team]))[2])
    )
    summary = workbook["Summary"]
    header = [cell.value for cell in summary[1]]
    deltas = [row[header.index("delta")] for row in summary.iter_rows(min_row=2)]
    assert [cell.value for cell in deltas] == [-2.0, -2.0, -2.0]
    assert all(cell.data_type == "n" for cell in deltas)


def test_injection_in_reflections_and_team_names_is_inert_in_xlsx(org):
    content = run_export("xlsx", facilitator_request(org.q2))[2]
    workbook = openpyxl.load_workbook(io.BytesIO(content))

    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    names = {row[2] for row in workbook["Summary"].iter_rows(min_row=2, values_only=True)}
    assert "'" + HOSTILE_TEAM in names
    texts = {row[5] for row in workbook["Reflections"].iter_rows(min_row=2, values_only=True)}
    assert "'" + FORMULA_REFLECTION in texts
    groups = {row[3] for row in workbook["Participation"].iter_rows(min_row=2, values_only=True)}
    assert "'+Ops" in groups


def test_markdown_escapes_html_and_markdown_in_reflections_and_team_names(org):
    pack = run_export("md", facilitator_request(org.q2, org.payments, org.hostile))[2].decode()

    assert "<script" not in pack and "</script>" not in pack
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in pack
    assert "\\*\\*great\\*\\* \\| \\[link\\](javascript:x)" in pack
    assert "# Retro pack: \\=cmd\\|' /C calc'!A0, 2026 Q2" in pack
    # A reflection cannot start a list, a heading or a mention.
    assert "- \\-2 deploys a week is too few # not a heading" in pack
    assert "- \\[@\\]channel flaky tests again" in pack
    assert not re.search(r"^#+ not a heading", pack, flags=re.MULTILINE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("&lt;b&gt;", "&amp;lt;b&amp;gt;"),
        ("R&D", "R&D"),
        ("1. first", "1\\. first"),
        ("## title", "\\## title"),
        ("line one\n\n    code", "line one code"),
        ("a_b*c`d~e", "a\\_b\\*c\\`d\\~e"),
    ],
)
def test_md_escape_lets_no_html_or_markup_through(text, expected):
    assert md_escape(text) == expected


# --- file names ---------------------------------------------------------------------------


def test_filenames_are_descriptive_and_safe(org):
    evil = TeamFactory(name="Evil", slug="evil")
    evil.slug = "../../etc/passwd"  # never saved: slugs are validated, but be sure anyway

    assert (
        export_filename(org.q2, [org.payments], suffix="answers", extension="csv")
        == "shipshape-2026-q2-team-payments-answers.csv"
    )
    assert export_filename(org.q2, [evil], suffix="", extension="md") == (
        "shipshape-2026-q2-team-etcpasswd.md"
    )
    for exporter in EXPORTERS.values():
        filename = exporter(facilitator_request(org.q2)).filename()
        assert re.fullmatch(r"shipshape-2026-q2-5-teams(-[a-z-]+)?\.(csv|xlsx|json|md)", filename)


# --- flat cost ------------------------------------------------------------------------------


def test_answers_csv_query_count_does_not_grow_with_the_number_of_answers(
    django_assert_num_queries,
):
    team = TeamFactory(name="Payments", slug="payments")
    survey_round = SurveyRoundFactory(teams=[team])
    submit_team(survey_round, team, uniform(3, tests=2, rollout=2, reviews=2))

    def export_size():
        request = ExportRequest.for_admin(survey_round, [team])
        exporter = EXPORTERS["answers-csv"](request)
        return sum(len(chunk) for chunk in exporter.render().content)

    # Questions, their choices, the round's responses, then one query for the answers.
    with django_assert_num_queries(4):
        small = export_size()
    submit_team(survey_round, team, {f"extra{n}": uniform(1, 3, 3, 3)["p0"] for n in range(12)})
    with django_assert_num_queries(4):
        large = export_size()
    assert large > 4 * small
