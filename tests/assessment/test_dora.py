"""DORA metrics: Quick Check scores, team medians and nearest-profile clustering."""

import math

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assessment import dora
from tests.properties import examples

# Property tests keep no example database: nothing is written into the repo.
property_test = hypothesis_settings(database=None, max_examples=examples(200), deadline=None)

buckets = st.integers(min_value=1, max_value=6)
percents = st.floats(min_value=0, max_value=100, allow_nan=False)
years = st.sampled_from(dora.SUPPORTED_YEARS)

ALL_PUBLISHED_PROFILES = [
    pytest.param(profile, id=f"{profile.year}-{profile.name}")
    for year in dora.SUPPORTED_YEARS
    for profile in dora.load_profiles(year)
]


def key_metrics(profile: dora.ClusterProfile) -> dict[str, float]:
    return {metric: getattr(profile, metric) for metric in dora.KEY_METRICS}


def profile_named(year: int, name: str) -> dora.ClusterProfile:
    return next(profile for profile in dora.load_profiles(year) if profile.name == name)


def worst_tier_ladder(
    *,
    deployment_frequency: int,
    lead_time: int,
    recovery_time: int,
    change_failure_rate: float,
    year: int,
) -> str:
    """The rule `classify` deliberately does not use, kept here to show why.

    Walk the clusters best first and stop at the first whose published value the
    team meets or beats on every metric, so the team's worst metric decides.
    That is only sound if the clusters form a ladder on every metric.
    """
    profiles = dora.load_profiles(year)
    for profile in profiles:
        if (
            deployment_frequency >= profile.deployment_frequency
            and lead_time >= profile.lead_time
            and recovery_time >= profile.recovery_time
            and change_failure_rate <= profile.change_failure_rate
        ):
            return profile.name
    return profiles[-1].name


# --- the published tables -----------------------------------------------------


def test_each_year_lists_its_published_clusters_best_first() -> None:
    assert dora.cluster_names(2024) == ("Elite", "High", "Medium", "Low")
    assert dora.cluster_names(2023) == ("Elite", "High", "Medium", "Low")
    assert dora.cluster_names(2022) == ("High", "Medium", "Low")


def test_published_ranges_are_stored_as_midpoints_with_their_text() -> None:
    high_2022 = profile_named(2022, "High")
    assert high_2022.change_failure_rate == 7.5
    assert high_2022.change_failure_rate_text == "0\u201315%"
    assert high_2022.source_text["change_failure_rate"] == "0\u201315%"
    assert profile_named(2022, "Medium").change_failure_rate == 23
    assert profile_named(2022, "Low").change_failure_rate == 53


def test_bucket_mapping_matches_the_published_wording() -> None:
    # One audit line per distinct wording in the tables; a new wording must be
    # added here deliberately. The tables use en dashes, written here as hyphens.
    expected = {
        "deployment_frequency": {
            "on demand": 6,
            "on demand (multiple per day)": 6,
            "once per day - once per week": 4,
            "once per week - once per month": 3,
            "once per month - once every 6 months": 2,
        },
        "lead_time": {
            "< 1 day": 5,
            "1 day - 1 week": 4,
            "1 week - 1 month": 3,
            "1 - 6 months": 2,
        },
        "recovery_time": {
            "< 1 hour": 6,
            "< 1 day": 5,
            "1 day - 1 week": 4,
            "1 week - 1 month": 3,
            "1 month - 6 months": 2,
        },
    }
    for year in dora.SUPPORTED_YEARS:
        for profile in dora.load_profiles(year):
            for metric, mapping in expected.items():
                wording = profile.source_text[metric].replace("\u2013", "-")
                assert getattr(profile, metric) == mapping[wording], (year, profile.name, metric)


def test_profiles_are_loaded_once_and_shared() -> None:
    assert dora.load_profiles(2024) is dora.load_profiles(2024)


# --- classification -----------------------------------------------------------


@pytest.mark.parametrize("profile", ALL_PUBLISHED_PROFILES)
def test_every_published_profile_classifies_as_its_own_cluster(
    profile: dora.ClusterProfile,
) -> None:
    assert dora.classify(**key_metrics(profile), year=profile.year) == profile.name


def test_nearest_profile_keeps_a_near_medium_team_that_a_ladder_drops_to_low() -> None:
    # 2024 is not a ladder: High's change failure rate (20%) is worse than
    # Medium's (10%). Take the published Medium profile and let the team fail 15%
    # of changes, still better than High's 20%.
    medium = profile_named(2024, "Medium")
    assert profile_named(2024, "High").change_failure_rate > medium.change_failure_rate
    team = {**key_metrics(medium), "change_failure_rate": 15}

    # The ladder finds the team misses Medium's 10% and falls through to Low,
    # although its throughput is Medium's and its failure rate beats High's.
    assert worst_tier_ladder(**team, year=2024) == "Low"
    # Nearest profile: 0.05 from Medium, ~0.29 from High, ~0.55 from Low.
    assert dora.classify(**team, year=2024) == "Medium"


def test_nearest_profile_does_not_let_one_metric_decide_the_cluster() -> None:
    # High's throughput with Low's failure rate resembles High far more than Low
    # (0.2 away versus 0.69); a ladder would call the team Low outright.
    team = {**key_metrics(profile_named(2024, "High")), "change_failure_rate": 40}
    assert worst_tier_ladder(**team, year=2024) == "Low"
    assert dora.classify(**team, year=2024) == "High"


def test_equally_near_profiles_resolve_to_the_one_published_first() -> None:
    # (4, 3, 5, 15%) is exactly halfway between 2024 High (4, 4, 5, 20%) and
    # Medium (3, 3, 5, 10%).
    team = {"deployment_frequency": 4, "lead_time": 3, "recovery_time": 5}
    assert dora.classify(**team, change_failure_rate=15, year=2024) == "High"


def test_floating_point_noise_does_not_break_an_exact_tie() -> None:
    # (2, 3, 4, 25%) is exactly as far from 2024 Medium as from Low (squared
    # distance 0.1025 each), but float arithmetic makes Low a hair nearer.
    point = dora._point(2, 3, 4, 25)
    medium, low = profile_named(2024, "Medium"), profile_named(2024, "Low")
    assert math.dist(point, low.point()) < math.dist(point, medium.point())
    team = {"deployment_frequency": 2, "lead_time": 3, "recovery_time": 4}
    assert dora.classify(**team, change_failure_rate=25, year=2024) == "Medium"


def test_the_year_chooses_which_table_a_team_is_compared_with() -> None:
    elite = key_metrics(profile_named(2024, "Elite"))
    assert dora.classify(**elite, year=2024) == "Elite"
    assert dora.classify(**elite, year=2023) == "Elite"
    # No Elite cluster emerged in 2022, so the same team is High there.
    assert dora.classify(**elite, year=2022) == "High"


def test_classify_uses_the_2024_table_by_default() -> None:
    assert dora.DEFAULT_YEAR == 2024
    elite = key_metrics(profile_named(2024, "Elite"))
    assert dora.classify(**elite) == "Elite"


@pytest.mark.parametrize(
    "overrides",
    [
        {"deployment_frequency": 0},
        {"deployment_frequency": 7},
        {"lead_time": 2.5},
        {"recovery_time": True},
        {"lead_time": "3"},
        {"change_failure_rate": -1},
        {"change_failure_rate": 100.5},
        {"change_failure_rate": float("nan")},
        {"year": 2021},
        {"year": "2024"},
    ],
    ids=repr,
)
def test_classify_rejects_invalid_inputs(overrides: dict) -> None:
    arguments = {
        "deployment_frequency": 4,
        "lead_time": 4,
        "recovery_time": 5,
        "change_failure_rate": 20,
        "year": 2024,
        **overrides,
    }
    with pytest.raises(ValueError):
        dora.classify(**arguments)


def test_an_unknown_year_names_the_supported_years() -> None:
    with pytest.raises(ValueError, match="2022, 2023, 2024"):
        dora.load_profiles(2025)


@property_test
@given(df=buckets, lt=buckets, rt=buckets, cfr=percents, year=years)
def test_classify_always_names_one_of_that_years_clusters(
    df: int, lt: int, rt: int, cfr: float, year: int
) -> None:
    name = dora.classify(
        deployment_frequency=df, lead_time=lt, recovery_time=rt, change_failure_rate=cfr, year=year
    )
    assert name in dora.cluster_names(year)


# --- scores -------------------------------------------------------------------


def test_bucket_score_runs_from_0_for_the_worst_bucket_to_10_for_the_best() -> None:
    assert dora.bucket_score(1) == 0
    assert dora.bucket_score(6) == 10
    assert [dora.bucket_score(bucket) for bucket in range(1, 7)] == [0, 2, 4, 6, 8, 10]


def test_percent_score_runs_from_10_at_no_failures_to_0_at_all_failures() -> None:
    assert dora.percent_score(0) == 10
    assert dora.percent_score(100) == 0
    assert dora.percent_score(50) == 5
    assert dora.percent_score(12.5) == pytest.approx(8.75)


@pytest.mark.parametrize("bucket", [0, 7, -1, 3.5, True, None, "3"])
def test_bucket_score_rejects_anything_but_a_bucket_from_1_to_6(bucket: object) -> None:
    with pytest.raises(ValueError):
        dora.bucket_score(bucket)  # type: ignore[arg-type]


@pytest.mark.parametrize("percent", [-0.1, 100.1, float("inf"), float("nan"), None, "5"])
def test_percent_score_rejects_anything_outside_0_to_100(percent: object) -> None:
    with pytest.raises(ValueError):
        dora.percent_score(percent)  # type: ignore[arg-type]


@property_test
@given(bucket=buckets, percent=percents)
def test_scores_stay_within_0_and_10(bucket: int, percent: float) -> None:
    assert 0 <= dora.bucket_score(bucket) <= 10
    assert 0 <= dora.percent_score(percent) <= 10


@property_test
@given(low=percents, high=percents)
def test_a_higher_failure_rate_never_scores_better(low: float, high: float) -> None:
    low, high = sorted((low, high))
    assert dora.percent_score(high) <= dora.percent_score(low)


# --- medians ------------------------------------------------------------------


def test_median_bucket_of_an_odd_count_is_the_middle_answer() -> None:
    assert dora.median_bucket([6, 2, 4]) == 4


def test_median_bucket_of_an_even_count_takes_the_lower_middle_answer() -> None:
    assert dora.median_bucket([2, 5]) == 2
    assert dora.median_bucket([6, 3, 4, 1]) == 3


def test_median_bucket_of_no_answers_is_none() -> None:
    assert dora.median_bucket([]) is None


def test_median_bucket_rejects_an_invalid_answer() -> None:
    with pytest.raises(ValueError):
        dora.median_bucket([3, 9])


def test_median_percent_averages_the_two_middle_answers_of_an_even_count() -> None:
    assert dora.median_percent([10, 30, 20]) == 20
    assert dora.median_percent([10, 20, 30, 90]) == 25
    assert dora.median_percent([]) is None
    with pytest.raises(ValueError):
        dora.median_percent([10, 120])


# --- summary ------------------------------------------------------------------


def test_summarise_a_team_that_answered_everything() -> None:
    summary = dora.summarise(
        {
            "deployment_frequency": [4, 4, 3],
            "lead_time": [4, 5, 3, 4],
            "recovery_time": [5, 5],
            "change_failure_rate": [20, 10, 30],
            "rework_rate": [5, 15],
        },
        year=2024,
    )
    assert summary.year == 2024
    assert summary.medians == {
        "deployment_frequency": 4,
        "lead_time": 4,
        "recovery_time": 5,
        "change_failure_rate": 20,
        "rework_rate": 10,
    }
    assert summary.scores == {
        "deployment_frequency": 6,
        "lead_time": 6,
        "recovery_time": 8,
        "change_failure_rate": 8,
        "rework_rate": 9,
    }
    assert summary.respondents == {
        "deployment_frequency": 3,
        "lead_time": 4,
        "recovery_time": 2,
        "change_failure_rate": 3,
        "rework_rate": 2,
    }
    assert summary.throughput == pytest.approx((6 + 6 + 8) / 3)
    assert summary.stability == pytest.approx(8.5)
    assert summary.cluster == "High"


def test_summarise_leaves_the_cluster_out_when_a_key_metric_is_unanswered() -> None:
    # Nobody knew the change failure rate; "don't know" answers are simply absent.
    summary = dora.summarise(
        {"deployment_frequency": [6, 6], "lead_time": [5], "change_failure_rate": []}
    )
    assert summary.cluster is None
    assert summary.medians["recovery_time"] is None
    assert summary.medians["change_failure_rate"] is None
    assert summary.scores["recovery_time"] is None
    assert summary.respondents["recovery_time"] == 0
    assert summary.respondents["change_failure_rate"] == 0
    # Throughput comes from the two throughput metrics that were answered.
    assert summary.throughput == pytest.approx((10 + 8) / 2)
    assert summary.stability is None


def test_summarise_without_rework_rate_still_classifies_from_the_four_key_metrics() -> None:
    summary = dora.summarise(
        {
            "deployment_frequency": [3],
            "lead_time": [3],
            "recovery_time": [5],
            "change_failure_rate": [10],
        },
        year=2024,
    )
    assert summary.cluster == "Medium"
    assert summary.stability == pytest.approx(9)
    assert summary.medians["rework_rate"] is None


def test_summarise_of_no_answers_has_nothing_to_report() -> None:
    summary = dora.summarise({})
    assert summary.year == dora.DEFAULT_YEAR
    assert set(summary.medians) == set(dora.METRICS)
    assert all(value is None for value in summary.medians.values())
    assert all(value is None for value in summary.scores.values())
    assert all(count == 0 for count in summary.respondents.values())
    assert summary.throughput is None
    assert summary.stability is None
    assert summary.cluster is None


def test_summarise_classifies_against_the_chosen_year() -> None:
    answers = {
        "deployment_frequency": [6],
        "lead_time": [5],
        "recovery_time": [6],
        "change_failure_rate": [5],
    }
    assert dora.summarise(answers, year=2024).cluster == "Elite"
    assert dora.summarise(answers, year=2022).cluster == "High"


@pytest.mark.parametrize(
    ("answers", "year"),
    [
        ({"deploy_frequency": [4]}, 2024),
        ({"lead_time": [0]}, 2024),
        ({"change_failure_rate": [101]}, 2024),
        ({"rework_rate": "50"}, 2024),
        ({"lead_time": [4]}, 2019),
    ],
    ids=repr,
)
def test_summarise_rejects_invalid_answers(answers: dict, year: int) -> None:
    with pytest.raises(ValueError):
        dora.summarise(answers, year=year)


@property_test
@given(
    answers=st.fixed_dictionaries(
        {},
        optional={
            **{metric: st.lists(buckets, max_size=8) for metric in dora.BUCKET_METRICS},
            **{metric: st.lists(percents, max_size=8) for metric in dora.PERCENT_METRICS},
        },
    ),
    year=years,
)
def test_summary_scores_stay_within_0_and_10(answers: dict, year: int) -> None:
    summary = dora.summarise(answers, year=year)
    for value in [*summary.scores.values(), summary.throughput, summary.stability]:
        assert value is None or 0 <= value <= 10
    assert summary.cluster is None or summary.cluster in dora.cluster_names(year)
