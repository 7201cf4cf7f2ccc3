"""Selectors: the privacy threshold k, deltas between rounds, org-wide figures."""

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from assessment import dora, scoring
from assessment.loader import parse_questionnaire
from assessment.services import questionnaire_load
from reports import selectors
from reports.models import TeamCategoryScore, TeamQuestionScore, TeamRoundSummary
from tests.factories import (
    DK,
    FIXTURES,
    NA,
    WORKED_EXAMPLE,
    SurveyRoundFactory,
    TeamFactory,
    close_round,
    load_questionnaire,
    submit_team,
    uniform,
)
from tests.properties import examples

pytestmark = pytest.mark.django_db

DORA = {
    "dora-deployment-frequency": 4,
    "dora-lead-time": 4,
    "dora-recovery-time": 4,
    "dora-change-failure-rate": 20,
}


@pytest.fixture
def org():
    """Four teams in a round with k = 3; Identity has only two respondents.

    Team means      ci-cd    incident-response   cicd-tests  ir-reviews
    Payments        19/9     7/3                 3           7/3
    Checkout        1        1                   1           1
    Platform        2        1                   4           1
    Identity (n=2)  4        4                   4           4   <- withheld
    Mobile          no responses                                  <- withheld
    """
    teams = {
        name: TeamFactory(name=name, slug=name.lower())
        for name in ("Payments", "Checkout", "Platform", "Identity", "Mobile")
    }
    survey_round = SurveyRoundFactory(
        name="2026 Q1", slug="2026-q1", min_respondents=3, teams=teams.values()
    )
    submit_team(survey_round, teams["Payments"], WORKED_EXAMPLE)
    submit_team(survey_round, teams["Checkout"], uniform(3, tests=1, rollout=1, reviews=1))
    submit_team(survey_round, teams["Platform"], uniform(3, tests=4, rollout=1, reviews=1))
    submit_team(survey_round, teams["Identity"], uniform(2, tests=4, rollout=4, reviews=4))
    close_round(survey_round)
    return survey_round, teams


# --- one team, k threshold -----------------------------------------------------------


def test_a_team_below_k_is_withheld_never_zero_for_every_viewer(org):
    survey_round, teams = org

    scores = selectors.team_round_scores(teams["Identity"], [survey_round])

    summary = scores.rounds.iloc[0]
    assert summary["respondents"] == 2
    assert bool(summary["withheld"]) is True
    assert math.isnan(summary["overall"])
    assert summary["level"] == ""
    assert math.isnan(summary["deployment_frequency"])
    assert pd.isna(summary["cluster"])
    assert scores.categories["withheld"].all()
    assert scores.categories[list(selectors.SPREAD_COLUMNS)].isna().all().all()
    assert (scores.categories["level"] == "").all()
    # Nothing of the stored 4.0 reaches the frame.
    assert not (scores.categories.select_dtypes("number") == 4).any().any()


def test_a_team_below_k_shows_neither_its_counts_per_category_nor_per_metric(org):
    survey_round, teams = org

    scores = selectors.team_round_scores(teams["Identity"], [survey_round])

    # How many scored a category or answered a metric depends on the answers.
    assert scores.categories["respondents"].isna().all()
    assert pd.isna(scores.rounds.iloc[0]["lead_time_respondents"])
    # The stored rows hold the full values; no reader gets them.
    assert TeamRoundSummary.objects.get(team=teams["Identity"]).overall == pytest.approx(4)


def test_an_open_round_has_no_results_for_anyone():
    team = TeamFactory()
    survey_round = SurveyRoundFactory(min_respondents=3, teams=[team])
    submit_team(survey_round, team, WORKED_EXAMPLE)

    assert selectors.team_round_scores(team, [survey_round]).rounds.empty
    assert selectors.question_scores(team, survey_round).empty
    assert selectors.org_round_matrix(survey_round).withheld.all().all()
    assert selectors.org_category_summaries(survey_round)["ci-cd"] is None
    assert selectors.systemic_questions(survey_round) == []
    assert selectors.org_category_stats([survey_round]).empty
    assert selectors.reflections(team, survey_round) == []

    close_round(survey_round)
    assert not selectors.team_round_scores(team, [survey_round]).rounds.empty


def test_distribution_details_need_2k_respondents(org):
    survey_round, teams = org  # Payments: 3 respondents, k = 3

    categories = selectors.team_round_scores(teams["Payments"], [survey_round]).categories
    questions = selectors.question_scores(teams["Payments"], survey_round)

    for frame in (categories, questions):
        assert frame["mean"].notna().any()
        assert frame["agreement"].notna().any()
        assert frame[list(selectors.DISTRIBUTION_COLUMNS)].isna().all().all()


def test_overall_leaves_out_a_category_below_k():
    team = TeamFactory()
    survey_round = SurveyRoundFactory(min_respondents=3, teams=[team])
    # Two of three people cannot judge incident response: n = 1 there.
    submit_team(
        survey_round,
        team,
        {
            "a": {**uniform(1, 2, 2, 4)["p0"]},
            "b": {**uniform(1, 2, 2, DK)["p0"]},
            "c": {**uniform(1, 2, 2, NA)["p0"]},
        },
    )

    close_round(survey_round)
    outsider = selectors.team_round_scores(team, [survey_round]).rounds.iloc[0]

    # The stored overall (2*2 + 4) / 3 would let anyone work out the hidden 4.
    assert TeamRoundSummary.objects.get(team=team).overall == pytest.approx(8 / 3)
    assert outsider["overall"] == pytest.approx(2)
    assert bool(outsider["overall_partial"]) is True


def test_a_dora_metric_below_k_hides_the_cluster_and_stays_out_of_throughput(org):
    survey_round, teams = org

    outsider = selectors.team_round_scores(teams["Payments"], [survey_round]).rounds.iloc[0]
    stored = TeamRoundSummary.objects.get(team=teams["Payments"])

    # Only two people answered lead time (one said Don't know).
    assert bool(outsider["lead_time_withheld"]) is True
    assert math.isnan(outsider["lead_time"])
    assert math.isnan(outsider["lead_time_score"])
    assert outsider["lead_time_respondents"] == 2
    assert pd.isna(outsider["cluster"])
    assert outsider["throughput"] == pytest.approx((8 + 6) / 2)
    assert outsider["deployment_frequency"] == 5
    assert stored.lead_time == 4
    assert stored.throughput == pytest.approx(20 / 3)
    assert stored.cluster == "High"


def test_team_round_scores_read_with_two_queries(org, django_assert_num_queries):
    survey_round, teams = org

    # The team's summaries, then its category rows.
    with django_assert_num_queries(2):
        selectors.team_round_scores(teams["Payments"], [survey_round])


# --- deltas between rounds -----------------------------------------------------------


def load_mini_v2():
    """Mini questionnaire version 2, where cicd-rollout became cicd-release."""
    text = (FIXTURES / "mini.yaml").read_text()
    text = text.replace("version: 1", "version: 2").replace(
        "key: cicd-rollout", "key: cicd-release"
    )
    return questionnaire_load(spec=parse_questionnaire(text)).questionnaire


@pytest.fixture
def two_rounds():
    team = TeamFactory(name="Payments", slug="payments")
    q1 = SurveyRoundFactory(
        name="2026 Q1",
        slug="2026-q1",
        questionnaire=load_questionnaire(),
        opens_at=datetime(2026, 1, 5, tzinfo=UTC),
        closes_at=datetime(2026, 2, 1, tzinfo=UTC),
        teams=[team],
    )
    q2 = SurveyRoundFactory(
        name="2026 Q2",
        slug="2026-q2",
        questionnaire=load_mini_v2(),
        opens_at=datetime(2026, 4, 6, tzinfo=UTC),
        closes_at=datetime(2026, 5, 1, tzinfo=UTC),
        teams=[team],
    )
    with time_machine.travel(datetime(2026, 1, 12, tzinfo=UTC), tick=False):
        submit_team(q1, team, WORKED_EXAMPLE)
    later = {
        person: {
            "cicd-tests": 4,
            "cicd-release": 3,
            "ir-reviews": 4 if person == "cai" else 2,
            **DORA,
        }
        for person in WORKED_EXAMPLE
    }
    with time_machine.travel(datetime(2026, 4, 13, tzinfo=UTC), tick=False):
        submit_team(q2, team, later)
    return team, q1, q2


def test_question_scores_compare_with_the_previous_round_by_question_key(two_rounds):
    team, _, q2 = two_rounds

    frame = selectors.question_scores(team, q2).set_index("question_key")

    tests = frame.loc["cicd-tests"]
    assert tests["previous_round"] == "2026-q1"
    assert tests["previous_mean"] == pytest.approx(3)
    assert tests["delta"] == pytest.approx(1)
    # Unanimous now, sd 0.82 before: 1 level is above the noise of sqrt(2/9).
    assert bool(tests["meaningful"]) is True

    reviews = frame.loc["ir-reviews"]
    assert reviews["delta"] == pytest.approx(8 / 3 - 7 / 3)
    assert bool(reviews["meaningful"]) is False  # a third of a level, within the noise

    # A new key has nothing to compare with: no delta, not a zero.
    release = frame.loc["cicd-release"]
    assert pd.isna(release["previous_round"])
    assert math.isnan(release["delta"])
    assert bool(release["meaningful"]) is False


def test_question_scores_of_a_first_round_have_no_deltas(two_rounds):
    team, q1, _ = two_rounds

    frame = selectors.question_scores(team, q1)

    assert frame["previous_round"].isna().all()
    assert frame["delta"].isna().all()


def test_question_scores_withhold_a_question_with_fewer_than_k_scored_answers(two_rounds):
    team, q1, _ = two_rounds

    outsider = selectors.question_scores(team, q1).set_index("question_key")

    rollout = outsider.loc["cicd-rollout"]  # 2 scored answers, 1 Don't know; k = 3
    assert bool(rollout["withheld"]) is True
    assert math.isnan(rollout["mean"])
    assert rollout["discuss"] is pd.NA
    # The don't-know rate is over all three answers, so it may be shown.
    assert rollout["dont_know_rate"] == pytest.approx(1 / 3)
    stored = TeamQuestionScore.objects.get(team=team, round=q1, question_key="cicd-rollout")
    assert stored.mean == pytest.approx(1.5)
    assert bool(outsider.loc["ir-reviews", "discuss"]) is True


def test_question_scores_read_with_two_queries(two_rounds, django_assert_num_queries):
    team, q1, q2 = two_rounds

    # The team's previous round, then the question rows of both rounds, and as
    # the two rounds used two questionnaire versions, the questions of the versions
    # (replacements, wording).
    with django_assert_num_queries(3):
        selectors.question_scores(team, q2)
    q1.questionnaire = q2.questionnaire
    q1.save()
    with django_assert_num_queries(2):
        selectors.question_scores(team, q2)


def test_team_round_scores_give_category_deltas_with_honest_arrows(two_rounds):
    team, q1, q2 = two_rounds

    scores = selectors.team_round_scores(team, [q2, q1])

    assert list(scores.rounds["round"]) == ["2026-q1", "2026-q2"]
    cicd = scores.categories.set_index(["round", "category_key"]).loc["2026-q2", "ci-cd"]
    # Everyone at (4 + 3*2) / 3 = 10/3 now, against 19/9 before.
    assert cicd["delta"] == pytest.approx(10 / 3 - 19 / 9)
    assert bool(cicd["meaningful"]) is True
    first = scores.categories[scores.categories["round"] == "2026-q1"]
    assert first["delta"].isna().all()
    overall = scores.rounds.set_index("round")
    assert overall.loc["2026-q2", "overall_delta"] == pytest.approx(
        overall.loc["2026-q2", "overall"] - overall.loc["2026-q1", "overall"]
    )


# --- the organisation ---------------------------------------------------------------


def test_org_matrix_marks_withheld_cells_and_lists_teams_without_responses(org):
    survey_round, _ = org

    matrix = selectors.org_round_matrix(survey_round)

    assert list(matrix.scores.index) == ["Checkout", "Identity", "Mobile", "Payments", "Platform"]
    assert list(matrix.scores.columns) == ["ci-cd", "incident-response"]
    assert matrix.category_names["ci-cd"] == "Continuous integration & delivery"
    assert matrix.scores.loc["Payments", "ci-cd"] == pytest.approx(19 / 9)
    for team in ("Identity", "Mobile"):
        assert matrix.withheld.loc[team].all()
        assert matrix.scores.loc[team].isna().all()
    assert matrix.respondents.loc["Mobile", "ci-cd"] == 0
    assert not matrix.withheld.loc[["Checkout", "Payments", "Platform"]].any().any()


def test_org_matrix_withholds_a_team_below_k_from_everyone(org):
    survey_round, _ = org

    matrix = selectors.org_round_matrix(survey_round)

    assert matrix.withheld.loc["Identity"].all()
    assert not (matrix.scores == 4).any().any()


def test_org_matrix_reads_with_three_queries(org, django_assert_num_queries):
    survey_round, _ = org

    # Practice categories, the round's teams, the category rows.
    with django_assert_num_queries(3):
        selectors.org_round_matrix(survey_round)


def test_org_matrix_keeps_a_team_that_left_the_round_with_its_scores(org):
    survey_round, _ = org
    payments = survey_round.teams.get(name="Payments")
    survey_round.teams.remove(payments)

    matrix = selectors.org_round_matrix(survey_round)

    assert "Payments" in matrix.scores.index
    assert matrix.scores.loc["Payments", "ci-cd"] == pytest.approx(19 / 9)
    assert matrix.groups["Payments"] == payments.group


def test_org_category_summaries_leave_withheld_teams_out(org):
    survey_round, _ = org

    summaries = selectors.org_category_summaries(survey_round)

    cicd = summaries["ci-cd"]
    # Payments 19/9, Checkout 1, Platform (4 + 1*2) / 3 = 2; Identity's 4 is not counted.
    assert cicd.teams == 3
    assert cicd.median == pytest.approx(2)
    assert (cicd.q1, cicd.q3) == (pytest.approx(1.5), pytest.approx((2 + 19 / 9) / 2))
    assert cicd.level_counts == {
        "Initial": 0,
        "Developing": 1,
        "Defined": 2,
        "Managed": 0,
        "Optimizing": 0,
    }
    assert summaries["incident-response"].teams == 3


def test_systemic_questions_count_only_teams_that_are_not_withheld(org):
    survey_round, _ = org

    # ir-reviews is below 2 in Checkout and Platform, 2 of 3 teams. With
    # Identity's 4 counted it would be 2 of 4, not a majority. cicd-rollout
    # has only two teams with k scored answers (Payments has 2), too few.
    assert selectors.systemic_questions(survey_round) == ["ir-reviews"]


# --- property: what outsiders see never depends on withheld values -----------------

CATEGORIES = ("ci-cd", "incident-response")
QUESTIONS = (
    ("cicd-tests", "ci-cd"),
    ("cicd-rollout", "ci-cd"),
    ("ir-reviews", "incident-response"),
)
SCORE = st.floats(0, 4, allow_nan=False)


@st.composite
def team_rows(draw):
    """Stored rows of one team: counts never exceed its respondents."""
    respondents = draw(st.integers(0, 5))
    counts = st.integers(0, respondents)
    return {
        "respondents": respondents,
        "categories": {key: (draw(counts), draw(SCORE)) for key in CATEGORIES},
        "questions": {key: (draw(counts), draw(counts), draw(SCORE)) for key, _ in QUESTIONS},
        "metrics": {metric: draw(counts) for metric in dora.METRICS},
    }


def spread_of(mean: float | None) -> dict[str, float | None]:
    spread = dict.fromkeys(selectors.SPREAD_COLUMNS, mean)
    spread["agreement"] = None if mean is None else mean / 4
    return spread


def store(survey_round, team, rows, *, secret: float | None = None, k: int) -> None:
    """Write a team's rows; with `secret`, every value that must be hidden is replaced."""

    def value(n: int, real: float) -> float:
        return real if secret is None or not scoring.is_withheld(n, k) else secret

    categories = []
    for order, key in enumerate(CATEGORIES):
        n, mean = rows["categories"][key]
        mean = value(n, mean) if n else None
        categories.append(
            TeamCategoryScore(
                round=survey_round,
                team=team,
                category_key=key,
                category_name=key,
                weight=order + 1,
                order=order,
                respondents=n,
                **spread_of(mean),
                level=scoring.level_name(mean) if mean is not None else "",
            )
        )
    TeamCategoryScore.objects.bulk_create(categories)
    questions = []
    for order, (key, category_key) in enumerate(QUESTIONS):
        answered, abstained, mean = rows["questions"][key]
        mean = value(answered, mean) if answered else None
        total = answered + abstained
        rate = None
        if total:
            rate = abstained / total
            if secret is not None and scoring.is_withheld(total, k):
                rate = secret / 4
        questions.append(
            TeamQuestionScore(
                round=survey_round,
                team=team,
                question_key=key,
                category_key=category_key,
                order=order,
                answered=answered,
                abstained=abstained,
                dont_know_rate=rate,
                **spread_of(mean),
                discuss=mean is not None and mean > 2,
            )
        )
    TeamQuestionScore.objects.bulk_create(questions)
    metrics = rows["metrics"]
    hidden_key_metric = any(scoring.is_withheld(metrics[m], k) for m in dora.KEY_METRICS)
    dora_values = {}
    for metric, n in metrics.items():
        median, score = (3, 5.0) if metric in dora.BUCKET_METRICS else (25.0, 7.5)
        if secret is not None and scoring.is_withheld(n, k):
            median = 1 + round(secret) if metric in dora.BUCKET_METRICS else secret * 25
            score = secret * 2.5
        dora_values[metric] = median if n else None
        dora_values[f"{metric}_score"] = score if n else None
        dora_values[f"{metric}_respondents"] = n
    TeamRoundSummary.objects.create(
        round=survey_round,
        team=team,
        respondents=rows["respondents"],
        overall=1.5 if secret is None else secret,
        level="",
        dora_year=2024,
        **dora_values,
        throughput=5.0 if secret is None else secret,
        stability=5.0 if secret is None else secret,
        cluster="Medium" if secret is None or not hidden_key_metric else "Elite",
        computed_at=timezone.now(),
    )


def outsider_views(survey_round, teams) -> dict:
    matrix = selectors.org_round_matrix(survey_round)
    views = {
        "matrix": (matrix.scores, matrix.withheld, matrix.respondents),
        "summaries": selectors.org_category_summaries(survey_round),
        "systemic": selectors.systemic_questions(survey_round, min_teams=1),
    }
    for team in teams:
        scores = selectors.team_round_scores(team, [survey_round])
        views[team.pk] = (
            scores.rounds,
            scores.categories,
            selectors.question_scores(team, survey_round),
        )
    return views


def assert_same_views(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for key, value in left.items():
        other = right[key]
        if isinstance(value, tuple):
            for a, b in zip(value, other, strict=True):
                assert_frame_equal(a, b) if isinstance(
                    a, pd.DataFrame
                ) else pd.testing.assert_series_equal(a, b)
        else:
            assert value == other


@hypothesis_settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    teams=st.lists(team_rows(), min_size=1, max_size=4),
    k=st.integers(3, 6),
    secret=st.floats(0, 4, allow_nan=False),
)
def test_what_outsiders_see_never_depends_on_withheld_values(teams, k, secret):
    with transaction.atomic():
        now = timezone.now()
        survey_round = SurveyRoundFactory(
            min_respondents=k, opens_at=now - timedelta(days=30), closes_at=now - timedelta(days=1)
        )
        team_objects = [TeamFactory() for _ in teams]
        survey_round.teams.add(*team_objects)
        for team, rows in zip(team_objects, teams, strict=True):
            store(survey_round, team, rows, k=k)
        before = outsider_views(survey_round, team_objects)

        for model in (TeamCategoryScore, TeamQuestionScore, TeamRoundSummary):
            model.objects.filter(round=survey_round).delete()
        for team, rows in zip(team_objects, teams, strict=True):
            store(survey_round, team, rows, k=k, secret=secret)
        after = outsider_views(survey_round, team_objects)

        assert_same_views(before, after)
        # Withheld exactly where n < k, for cells and for whole teams.
        matrix_withheld = before["matrix"][1]
        for team, rows in zip(team_objects, teams, strict=True):
            for key in CATEGORIES:
                n = rows["categories"][key][0]
                assert matrix_withheld.loc[team.name, key] == scoring.is_withheld(n, k)
            summary = before[team.pk][0].iloc[0]
            assert bool(summary["withheld"]) == scoring.is_withheld(rows["respondents"], k)
        transaction.set_rollback(True)
