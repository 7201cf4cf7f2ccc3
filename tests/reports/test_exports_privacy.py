"""Exports keep people anonymous, respect k and cannot carry formulas or HTML.

The rules (docs/privacy.md) as the exports apply them: nothing of a round before
it closes; k for every viewer, the team's own members included; distribution
details only from 2k; the Answers CSV without free text, with aliases drawn
afresh for every download and respondents in random order; reflections only in
the retro pack, shuffled, for the team as it was at the close and facilitators.
"""

import io
import json
import re
from datetime import UTC, datetime

import openpyxl
import pytest
import time_machine
from django.contrib.auth.models import User

from assessment.cells import sanitize_cell
from reports.exporters import EXPORTERS, ExportRequest
from reports.exporters.answers_csv import respondent_alias
from reports.exporters.base import export_filename
from reports.exporters.markdown import md_escape
from surveys.models import Membership, Team
from tests.factories import (
    SurveyRoundFactory,
    TeamFactory,
    close_round,
    make_manager,
    submit,
    submit_team,
    uniform,
)
from tests.reports.export_org import (
    FORMULA_REFLECTION,
    HOSTILE_TEAM,
    NOW,
    WHILE_OPEN,
    ExportOrg,
    build_export_org,
    facilitator_request,
    read_csv,
    run_export,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(time_machine) -> ExportOrg:
    built = build_export_org()
    time_machine.move_to(NOW, tick=False)
    return built


def manager_request(org: ExportOrg, *teams: Team) -> ExportRequest:
    return ExportRequest.for_user(org.q2, teams, make_manager())


def member_request(org: ExportOrg, team: Team, survey_round=None) -> ExportRequest:
    """An export by the team's first member, who belonged to it at both closes."""
    member = Membership.objects.filter(team=team).order_by("user__username").first().user
    return ExportRequest.for_user(survey_round or org.q2, [team], member)


# --- released at the close ------------------------------------------------------------


def test_no_format_exports_a_round_before_it_closes(org, time_machine):
    time_machine.move_to(WHILE_OPEN, tick=False)  # everyone has answered; Q2 is open

    for request in (
        facilitator_request(org.q2, org.payments),
        manager_request(org, org.payments),
        member_request(org, org.payments),
    ):
        for exporter in EXPORTERS.values():
            reason = exporter.refusal(request)
            assert reason is not None, exporter.identifier
            assert reason.startswith("Results of 2026 Q2 appear when the round closes on 1 May")
    # The round that closed before is released.
    assert EXPORTERS["csv"].refusal(member_request(org, org.payments, org.q1)) is None


def test_someone_who_joined_after_the_close_exports_nothing_of_that_round(org):
    late = Membership.objects.create(
        team=org.payments, user=User.objects.create(username="payments-late")
    ).user

    request = ExportRequest.for_user(org.q2, [org.payments], late)

    for exporter in EXPORTERS.values():
        assert exporter.refusal(request) == (
            "You can only export results of teams you belonged to when the round closed."
        )
    assert EXPORTERS["csv"].refusal(member_request(org, org.payments)) is None


# --- the privacy threshold k ----------------------------------------------------------


def test_a_team_under_k_is_withheld_for_everyone_its_own_members_included(org):
    outsider_bytes = run_export("csv", manager_request(org, org.identity))[2]
    member_bytes = run_export("csv", member_request(org, org.identity))[2]
    outsider, member = read_csv(outsider_bytes), read_csv(member_bytes)

    # Withheld: the value is absent (not 0), the flag is set; even the
    # per-question counts are hidden, because they depend on the answers.
    for frame in (outsider, member):
        assert frame["withheld"].all()
        assert frame["score"].isna().all()
        assert frame["n"].isna().all() and frame["abstained"].isna().all()
        assert not (frame.select_dtypes("number").drop(columns=["k"]) == 4).any().any()
    # The member learns exactly what the manager learns.
    assert member_bytes == outsider_bytes


def test_json_marks_withheld_values_as_null_with_a_flag_for_everyone(org):
    outsider = json.loads(run_export("json", manager_request(org, org.identity))[2])
    member = json.loads(run_export("json", member_request(org, org.identity))[2])

    for document in (outsider, member):
        team = document["team_rounds"][0]
        assert "viewer_is_member" not in team
        assert team["respondents"] == 2
        assert team["withheld"] is True and team["flags"]["withheld"] is True
        assert team["overall"] == {
            "score": None,
            "level": None,
            "partial": False,  # nothing is shown, so nothing is partial
            "delta": None,
            "withheld": True,
        }
        assert all(c["score"] is None and c["withheld"] for c in team["categories"])
        assert all(m["median"] is None and m["withheld"] for m in team["dora"]["metrics"])
        assert team["dora"]["cluster"] is None
    del outsider["generated_at"], member["generated_at"]
    assert member == outsider


def test_xlsx_leaves_withheld_cells_empty_and_flags_them(org):
    for request in (manager_request(org, org.identity), member_request(org, org.identity)):
        content = run_export("xlsx", request)[2]
        sheet = openpyxl.load_workbook(io.BytesIO(content))["Summary"]

        header = [cell.value for cell in sheet[1]]
        records = [
            dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)
        ]
        assert [record["category_key"] for record in records] == [
            "overall",
            "ci-cd",
            "incident-response",
        ]
        for record in records:
            assert record["withheld"] is True
            assert record["score"] is None
        # The number of responses is shown; per-category counts depend on the answers.
        assert [record["n"] for record in records] == [2, None, None]


def test_distribution_details_appear_only_from_2k_respondents():
    six, five = TeamFactory(name="Six", slug="six"), TeamFactory(name="Five", slug="five")
    survey_round = SurveyRoundFactory(teams=[six, five], min_respondents=3)
    levels = [0, 1, 2, 2, 3, 4]
    for team, size in ((six, 6), (five, 5)):
        people = {
            f"p{n}": uniform(1, tests=levels[n], rollout=levels[n], reviews=levels[n])["p0"]
            for n in range(size)
        }
        submit_team(survey_round, team, people)
    close_round(survey_round)

    frame = read_csv(run_export("csv", facilitator_request(survey_round))[2])
    details = ["sd", "median", "q1", "q3", "minimum", "maximum"]
    rows = frame.set_index(["team", "question_key"])
    # 2k = 6: the team of six shows its distribution, the team of five mean, n and agreement.
    assert rows.loc[("six", "cicd-tests"), details].notna().all()
    assert rows.loc[("six", "cicd-tests"), "minimum"] == 0
    assert rows.loc[("six", "cicd-tests"), "maximum"] == 4
    assert rows.loc[("five", "cicd-tests"), details].isna().all()
    assert rows.loc[("five", "cicd-tests"), ["score", "n", "agreement"]].notna().all()
    assert rows.loc[("five", "cicd-tests"), "score"] == pytest.approx(8 / 5)


def test_markdown_says_not_enough_responses_for_a_withheld_team(org):
    for request in (facilitator_request(org.q2, org.identity), member_request(org, org.identity)):
        pack = run_export("md", request)[2].decode()

        assert "2 of 2 members responded" in pack
        assert "**Overall maturity:** not enough responses (n < 3)." in pack
        assert "| Continuous integration & delivery | not enough responses (n < 3) |  | " in pack
        assert "Not enough responses (n < 3): reflections are withheld." in pack
        # The category's n is hidden too: it depends on the answers.
        assert "| 2 |" not in pack


def test_markdown_writes_a_hidden_count_as_an_empty_cell(org):
    pack = run_export("md", facilitator_request(org.q2, org.identity))[2].decode()

    assert "| Continuous integration & delivery | not enough responses (n < 3) |  |  |" in pack
    assert "None" not in pack


def test_nobody_gets_reflections_of_a_team_under_k_not_even_its_members(org):
    with time_machine.travel(WHILE_OPEN, tick=False):
        submit(org.q2, org.identity, "identity-p0", {"cicd-reflection": "Only two of us."})

    facilitator = run_export("md", facilitator_request(org.q2, org.identity))[2].decode()
    member = run_export("md", member_request(org, org.identity))[2].decode()

    for pack in (facilitator, member):
        assert "Only two of us" not in pack
        assert "Not enough responses (n < 3): reflections are withheld." in pack


def test_reflections_are_for_the_team_at_the_close_and_facilitators_in_random_order(org):
    facilitator = run_export("md", facilitator_request(org.q2, org.payments))[2].decode()
    member = run_export("md", member_request(org, org.payments))[2].decode()

    for pack in (facilitator, member):
        assert "Anonymous, grouped by prompt, in random order." in pack
        assert "- \\[@\\]channel flaky tests again" in pack
    refusal = EXPORTERS["md"].refusal(manager_request(org, org.payments))
    assert refusal is not None and "only the team and facilitators may read" in refusal

    def order(pack: str) -> tuple[str, ...]:
        section = pack.split("### What slowed your delivery this quarter?", 1)[1]
        return tuple(line for line in section.split("\n\n", 2)[1].split("\n"))

    # Three reflections to one prompt: 6 orders. Twenty downloads all in the same
    # order would happen by chance once in 6^19.
    orders = {
        order(run_export("md", facilitator_request(org.q2, org.payments))[2].decode())
        for _ in range(20)
    }
    assert len(orders) > 1
    assert all(len(lines) == 3 for lines in orders)


# --- anonymity ------------------------------------------------------------------------


def test_aliases_are_fresh_in_every_download_and_reveal_no_id(org):
    q1 = read_csv(run_export("answers-csv", facilitator_request(org.q1, org.payments))[2])
    q2 = read_csv(run_export("answers-csv", facilitator_request(org.q2, org.payments))[2])
    again = read_csv(run_export("answers-csv", facilitator_request(org.q2, org.payments))[2])

    downloads = [set(frame["respondent"]) for frame in (q1, q2, again)]
    assert [len(aliases) for aliases in downloads] == [3, 3, 3]
    # Two downloads of the same round cannot be joined on the alias, nor two rounds.
    assert not downloads[0] & downloads[1]
    assert not downloads[1] & downloads[2]
    ids = {str(pk) for pk in User.objects.values_list("pk", flat=True)}
    for alias in set().union(*downloads):
        assert re.fullmatch(r"R-[0-9a-f]{10}", alias)
        assert alias[2:] not in ids


def test_answers_csv_lists_respondents_in_random_order(org):
    def order() -> tuple[str, ...]:
        frame = read_csv(run_export("answers-csv", facilitator_request(org.q2, org.payments))[2])
        # Ana, Ben and Cai differ only in cicd-rollout: Defined, Don't know, Managed.
        return tuple(frame[frame["question_key"] == "cicd-rollout"]["choice_label"])

    orders = {order() for _ in range(20)}

    # Six orders of three people; one order twenty times would be chance once in 6^19.
    assert len(orders) > 1
    assert {tuple(sorted(o)) for o in orders} == {("Defined", "Don't know", "Managed")}


def test_alias_does_not_reveal_the_response_or_user_id():
    # Drawn at random for every respondent of every download: no argument to derive it from.
    aliases = [respondent_alias() for _ in range(49)]
    assert len(set(aliases)) == len(aliases)
    assert aliases != sorted(aliases)
    assert all(re.fullmatch(r"R-[0-9a-f]{10}", alias) for alias in aliases)


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


def test_injection_in_team_names_is_inert_and_reflections_absent_in_csv(org):
    scores = read_csv(run_export("csv", facilitator_request(org.q2, org.hostile))[2])
    answers_bytes = run_export("answers-csv", facilitator_request(org.q2, org.payments))[2]
    answers = read_csv(answers_bytes)

    assert set(scores["team_name"]) == {"'" + HOSTILE_TEAM}
    # The Answers CSV never carries free text, so no reflection can inject anything.
    assert "text" not in answers.columns
    assert b"HYPERLINK" not in answers_bytes and b"@channel" not in answers_bytes
    texts = [value for value in answers.to_numpy().ravel() if isinstance(value, str)]
    assert texts
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


def test_injection_in_team_names_is_inert_and_reflections_absent_in_xlsx(org):
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
    # No Reflections sheet: the formula a reflection carries is nowhere in the workbook.
    assert "Reflections" not in workbook.sheetnames
    texts = {
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    }
    assert not [text for text in texts if "HYPERLINK" in text or FORMULA_REFLECTION in text]
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
