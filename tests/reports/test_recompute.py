"""A full recompute agrees with the incremental refreshes, and repairs drift."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from reports.models import TeamCategoryScore, TeamQuestionScore, TeamRoundSummary
from reports.services import (
    SUMMARY_TABLE,
    TABLES,
    RowChange,
    round_scores_recompute,
    values_equal,
)
from surveys.services import response_save_draft
from tests.factories import (
    DK,
    NA,
    WORKED_EXAMPLE,
    SurveyRoundFactory,
    TeamFactory,
    answers_for,
    submit,
    submit_team,
)
from tests.properties import examples

pytestmark = pytest.mark.django_db


def snapshot(survey_round) -> dict:
    """Every stored value of the round, by (table, team, key)."""
    rows = {}
    for table in TABLES:
        key_fields = [table.key_field] if table.key_field else []
        for row in table.model.objects.filter(round=survey_round).values(
            "team_id", *key_fields, *table.fields
        ):
            key = row.pop(table.key_field) if table.key_field else ""
            rows[(table.label, row.pop("team_id"), key)] = row
    return rows


def assert_same_values(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for row_key, values in left.items():
        for name, value in values.items():
            assert values_equal(value, right[row_key][name]), (row_key, name)


@pytest.fixture
def two_teams():
    payments = TeamFactory(name="Payments", slug="payments")
    checkout = TeamFactory(name="Checkout", slug="checkout")
    survey_round = SurveyRoundFactory(name="2026 Q1", slug="2026-q1", teams=[payments, checkout])
    submit_team(survey_round, payments, WORKED_EXAMPLE)
    submit_team(
        survey_round,
        checkout,
        {"ana": WORKED_EXAMPLE["cai"], "ben": {**WORKED_EXAMPLE["ben"], "ir-reviews": NA}},
    )
    # A change after submission goes through the incremental path too.
    cai = payments.responses.get(respondent__username="payments-cai")
    response_save_draft(
        response=cai, answers=answers_for(survey_round.questionnaire, {"cicd-tests": 1})
    )
    return survey_round, payments, checkout


def test_recompute_reports_no_changes_after_incremental_refreshes(two_teams):
    survey_round, _, _ = two_teams

    report = round_scores_recompute(survey_round=survey_round)

    assert (report.changed, report.added, report.removed) == ([], [], [])
    assert report.total == 0


def test_incremental_results_equal_a_full_recompute_from_scratch(two_teams):
    survey_round, _, _ = two_teams
    incremental = snapshot(survey_round)
    for table in TABLES:
        table.model.objects.filter(round=survey_round).delete()

    report = round_scores_recompute(survey_round=survey_round)

    assert report.total == len(incremental) == len(report.added)
    assert_same_values(snapshot(survey_round), incremental)


def test_recompute_reports_and_fixes_a_corrupted_row(two_teams):
    survey_round, payments, _ = two_teams
    expected = snapshot(survey_round)
    TeamCategoryScore.objects.filter(team=payments, category_key="ci-cd").update(
        mean=0.5, level="Initial"
    )

    report = round_scores_recompute(survey_round=survey_round)

    assert report.changed == [RowChange("category score", "Payments", "ci-cd", ("mean", "level"))]
    assert report.total == 1
    assert_same_values(snapshot(survey_round), expected)
    assert round_scores_recompute(survey_round=survey_round).total == 0


def test_recompute_treats_float_noise_as_no_change(two_teams):
    survey_round, payments, _ = two_teams
    row = TeamCategoryScore.objects.get(team=payments, category_key="ci-cd")
    TeamCategoryScore.objects.filter(pk=row.pk).update(mean=row.mean + 1e-12)

    assert round_scores_recompute(survey_round=survey_round).total == 0


def test_recompute_adds_missing_rows_and_removes_stray_ones(two_teams):
    survey_round, _, checkout = two_teams
    TeamQuestionScore.objects.filter(team=checkout, question_key="ir-reviews").delete()
    stray_team = TeamFactory(name="Ghosts")
    TeamRoundSummary.objects.create(
        round=survey_round,
        team=stray_team,
        respondents=9,
        dora_year=2024,
        computed_at=timezone.now(),
    )

    report = round_scores_recompute(survey_round=survey_round)

    assert report.added == [RowChange("question score", "Checkout", "ir-reviews")]
    assert report.removed == [RowChange("round summary", "Ghosts")]
    assert report.changed == []
    assert not TeamRoundSummary.objects.filter(team=stray_team).exists()
    assert TeamQuestionScore.objects.filter(team=checkout, question_key="ir-reviews").exists()


def test_recompute_of_one_team_leaves_other_teams_alone(two_teams):
    survey_round, payments, checkout = two_teams
    TeamRoundSummary.objects.filter(round=survey_round).update(respondents=99)

    report = round_scores_recompute(survey_round=survey_round, team=checkout)

    assert report.changed == [RowChange(SUMMARY_TABLE.label, "Checkout", "", ("respondents",))]
    assert TeamRoundSummary.objects.get(team=checkout).respondents == 2
    assert TeamRoundSummary.objects.get(team=payments).respondents == 99


def test_recompute_picks_up_a_changed_dora_year(two_teams, settings):
    survey_round, _, _ = two_teams
    settings.SHIPSHAPE_DORA_YEAR = 2023

    report = round_scores_recompute(survey_round=survey_round)

    # Checkout (medians 4, 4, 3, 17.5%) is nearest to a different profile in 2023.
    assert {(c.team, c.fields) for c in report.changed} == {
        ("Payments", ("dora_year",)),
        ("Checkout", ("dora_year", "cluster")),
    }
    checkout = TeamRoundSummary.objects.get(team__name="Checkout")
    assert (checkout.dora_year, checkout.cluster) == (2023, "Medium")


# --- property: incremental == full, whatever the answers -----------------------------

SCALE = st.one_of(st.integers(0, 4), st.sampled_from([DK, NA]))
PERSON = st.fixed_dictionaries(
    {
        "cicd-tests": SCALE,
        "cicd-rollout": SCALE,
        "ir-reviews": SCALE,
        "dora-deployment-frequency": st.one_of(st.integers(1, 6), st.just(DK)),
        "dora-lead-time": st.one_of(st.integers(1, 6), st.just(DK)),
        "dora-recovery-time": st.one_of(st.integers(1, 6), st.just(DK)),
        "dora-change-failure-rate": st.integers(0, 100),
        "dora-rework-rate": st.one_of(st.none(), st.integers(0, 100)),
    }
)


@hypothesis_settings(
    max_examples=examples(12),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    people=st.lists(PERSON, min_size=1, max_size=4),
    edits=st.lists(st.tuples(st.integers(0, 3), PERSON), max_size=2),
)
def test_incremental_refreshes_always_equal_a_full_recompute(people, edits):
    # Each example runs in its own rolled-back block: the test's database
    # transaction is shared by every example hypothesis tries.
    with transaction.atomic():
        team = TeamFactory()
        survey_round = SurveyRoundFactory(teams=[team])
        responses = [
            submit(survey_round, team, f"{team.slug}-{index}", values)
            for index, values in enumerate(people)
        ]
        for index, values in edits:
            response = responses[index % len(responses)]
            response_save_draft(
                response=response, answers=answers_for(survey_round.questionnaire, values)
            )
        incremental = snapshot(survey_round)

        assert round_scores_recompute(survey_round=survey_round).total == 0
        for table in TABLES:
            table.model.objects.filter(round=survey_round).delete()
        round_scores_recompute(survey_round=survey_round)
        assert_same_values(snapshot(survey_round), incremental)
        transaction.set_rollback(True)


# --- the management command ---------------------------------------------------------


def run_command(*args) -> str:
    out = StringIO()
    call_command("recompute_scores", *args, stdout=out)
    return out.getvalue()


def test_command_reports_zero_fixes_when_the_tables_are_in_step(two_teams):
    assert run_command() == "2026 Q1: 0 rows fixed\n"


def test_command_lists_each_row_it_fixed(two_teams):
    _, payments, checkout = two_teams
    TeamCategoryScore.objects.filter(team=payments, category_key="ci-cd").update(sd=7)
    TeamQuestionScore.objects.filter(team=checkout, question_key="cicd-tests").delete()

    output = run_command("--round", "2026-q1")

    assert output == (
        "2026 Q1: 2 rows fixed\n"
        "  changed category score Payments / ci-cd: sd\n"
        "  added question score Checkout / cicd-tests\n"
    )
    assert run_command("--round", "2026-q1") == "2026 Q1: 0 rows fixed\n"


def test_command_finds_a_round_by_its_name(two_teams):
    SurveyRoundFactory(name="2026 Q2", slug="2026-q2")

    assert run_command("--round", "2026 q1") == "2026 Q1: 0 rows fixed\n"


def test_command_without_a_round_recomputes_every_round_oldest_first(two_teams):
    later = SurveyRoundFactory(name="2026 Q2", slug="2026-q2")
    later.opens_at = two_teams[0].opens_at + timedelta(days=1)
    later.save(update_fields=["opens_at"])

    assert run_command() == "2026 Q1: 0 rows fixed\n2026 Q2: 0 rows fixed\n"


def test_command_rejects_an_unknown_round_clearly(two_teams):
    with pytest.raises(CommandError, match=r"No survey round has the slug or name '2031-q9'"):
        run_command("--round", "2031-q9")


def test_command_names_the_known_rounds_when_the_round_is_unknown(two_teams):
    with pytest.raises(CommandError, match=r"Known rounds: 2026-q1\."):
        run_command("--round", "nope")
