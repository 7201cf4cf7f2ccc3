"""DORA delivery-performance metrics: scores, team medians and cluster classification.

Pure functions over plain values (no ORM, no request, no settings) so the same
rules serve the views, the reports and the tests.

Answers follow DORA's Quick Check: deployment frequency, lead time and recovery
time are one of six ordered buckets, 1 (worst) to 6 (best); change failure rate
and rework rate are percentages. A team's answers are summarised per metric by
their median, scored 0-10 like the Quick Check, and compared with the published
performance clusters of a survey year (fixtures/dora/clusters.yaml).

The clusters come from cluster analysis, not from thresholds, and they are not a
ladder (2024's High has a higher change failure rate than Medium). So a team is
given the cluster whose published profile is *nearest* to its medians, never the
worst tier any single metric reaches.
"""

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import yaml

BUCKET_METRICS = ("deployment_frequency", "lead_time", "recovery_time")
PERCENT_METRICS = ("change_failure_rate", "rework_rate")
METRICS = BUCKET_METRICS + PERCENT_METRICS
# The four metrics the published clusters are defined on (rework rate arrived in
# 2024 and is not part of any cluster table).
KEY_METRICS = ("deployment_frequency", "lead_time", "recovery_time", "change_failure_rate")
# DORA 2024's grouping. Order follows the report; it does not affect the means.
THROUGHPUT_METRICS = ("lead_time", "deployment_frequency", "recovery_time")
INSTABILITY_METRICS = PERCENT_METRICS

SUPPORTED_YEARS = (2022, 2023, 2024)
DEFAULT_YEAR = 2024

MIN_BUCKET = 1
MAX_BUCKET = 6
MAX_SCORE = 10.0

CLUSTERS_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "dora" / "clusters.yaml"

# Floating-point noise must not decide a tie between two equally near profiles;
# distances equal to this many decimals count as a tie (published order wins).
_TIE_DECIMALS = 9

_NUMBER_TYPES = (int, float, Decimal, Fraction)


# --- validation -------------------------------------------------------------


def _check_number(value: Any, what: str) -> float:
    # bool is an int subclass, but True is never a meaningful answer.
    if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
        raise ValueError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return number


def _check_bucket(value: Any, what: str = "bucket") -> int:
    number = _check_number(value, what)
    if not number.is_integer() or not MIN_BUCKET <= number <= MAX_BUCKET:
        raise ValueError(
            f"{what} must be a whole bucket from {MIN_BUCKET} (worst) to {MAX_BUCKET} (best), "
            f"got {value!r}"
        )
    return int(number)


def _check_percent(value: Any, what: str = "percentage") -> float:
    number = _check_number(value, what)
    if not 0 <= number <= 100:
        raise ValueError(f"{what} must be a percentage from 0 to 100, got {value!r}")
    return number


def _check_year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or year not in SUPPORTED_YEARS:
        supported = ", ".join(str(y) for y in SUPPORTED_YEARS)
        raise ValueError(f"No DORA cluster table for year {year!r}; supported years: {supported}")
    return year


# --- scores and medians -----------------------------------------------------


def bucket_score(bucket: int) -> float:
    """Quick Check score of a bucket answer: 1 -> 0, 6 -> 10, 2 points per bucket."""
    value = _check_bucket(bucket)
    return (value - MIN_BUCKET) * MAX_SCORE / (MAX_BUCKET - MIN_BUCKET)


def percent_score(percent: float) -> float:
    """Quick Check score of a failure percentage: 0% -> 10, 100% -> 0, linear."""
    value = _check_percent(percent)
    return (100 - value) * MAX_SCORE / 100


def median_bucket(values: Iterable[int]) -> int | None:
    """Median of the answered buckets, or None if nobody answered.

    Buckets are ordinal, so two middle answers cannot be averaged; for an even
    count the lower (worse) one is taken so a split team is not flattered.
    """
    buckets = [_check_bucket(value) for value in values]
    return statistics.median_low(buckets) if buckets else None


def median_percent(values: Iterable[float]) -> float | None:
    """Median of the answered percentages, or None if nobody answered.

    Percentages are a continuous scale, so an even count uses the usual mean of
    the two middle answers.
    """
    percents = [_check_percent(value) for value in values]
    return float(statistics.median(percents)) if percents else None


# --- published clusters -----------------------------------------------------


@dataclass(frozen=True)
class ClusterProfile:
    """One published performance cluster of one survey year.

    Buckets use the 1-6 scale above; `change_failure_rate` is a percent (the
    midpoint where the report published a range, see `change_failure_rate_text`).
    `source_text` maps each key metric to the report's wording for the cell;
    treat it as read-only.
    """

    year: int
    name: str
    deployment_frequency: int
    lead_time: int
    recovery_time: int
    change_failure_rate: float
    change_failure_rate_text: str
    source_text: Mapping[str, str] = field(compare=False)
    share_text: str = ""

    def point(self) -> tuple[float, float, float, float]:
        """The profile in the normalised space `classify` measures distance in."""
        return _point(
            self.deployment_frequency, self.lead_time, self.recovery_time, self.change_failure_rate
        )


def _point(
    deployment_frequency: int, lead_time: int, recovery_time: int, change_failure_rate: float
) -> tuple[float, float, float, float]:
    # Buckets and percentages both map to 0..1 so no metric outweighs another
    # merely because of its unit; order follows KEY_METRICS.
    span = MAX_BUCKET - MIN_BUCKET
    return (
        (deployment_frequency - MIN_BUCKET) / span,
        (lead_time - MIN_BUCKET) / span,
        (recovery_time - MIN_BUCKET) / span,
        change_failure_rate / 100,
    )


_PROFILE_FIELDS = {
    "name",
    *KEY_METRICS,
    "change_failure_rate_text",
    "source_text",
    "share_text",
}


def _parse_profile(year: int, row: Any, where: str) -> ClusterProfile:
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a mapping, got {row!r}")
    unknown = set(row) - _PROFILE_FIELDS
    missing = {"name", *KEY_METRICS, "change_failure_rate_text", "source_text"} - set(row)
    if unknown or missing:
        raise ValueError(f"{where}: unknown fields {sorted(unknown)}, missing {sorted(missing)}")
    source_text = row["source_text"]
    if not isinstance(source_text, dict) or set(source_text) != set(KEY_METRICS):
        raise ValueError(f"{where}: source_text must give the wording for {', '.join(KEY_METRICS)}")
    return ClusterProfile(
        year=year,
        name=str(row["name"]),
        deployment_frequency=_check_bucket(
            row["deployment_frequency"], f"{where} deployment_frequency"
        ),
        lead_time=_check_bucket(row["lead_time"], f"{where} lead_time"),
        recovery_time=_check_bucket(row["recovery_time"], f"{where} recovery_time"),
        change_failure_rate=_check_percent(
            row["change_failure_rate"], f"{where} change_failure_rate"
        ),
        change_failure_rate_text=str(row["change_failure_rate_text"]),
        source_text={metric: str(source_text[metric]) for metric in KEY_METRICS},
        share_text=str(row.get("share_text", "")),
    )


@cache
def _all_profiles() -> dict[int, tuple[ClusterProfile, ...]]:
    # Read once per process: the tables are published facts and never change at
    # runtime. A malformed file fails loudly rather than misclassifying teams.
    data = yaml.safe_load(CLUSTERS_PATH.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or set(data) != set(SUPPORTED_YEARS):
        raise ValueError(f"{CLUSTERS_PATH}: expected one table for each of {SUPPORTED_YEARS}")
    tables: dict[int, tuple[ClusterProfile, ...]] = {}
    for year in SUPPORTED_YEARS:
        rows = data[year]
        if not isinstance(rows, list) or not rows:
            raise ValueError(f"{CLUSTERS_PATH}: {year} must list at least one cluster")
        profiles = tuple(
            _parse_profile(year, row, f"{CLUSTERS_PATH}: {year} cluster {index + 1}")
            for index, row in enumerate(rows)
        )
        names = [profile.name for profile in profiles]
        if len(set(names)) != len(names):
            raise ValueError(f"{CLUSTERS_PATH}: {year} repeats a cluster name: {names}")
        tables[year] = profiles
    return tables


def load_profiles(year: int) -> tuple[ClusterProfile, ...]:
    """The published clusters of `year`, in the published order (best first)."""
    return _all_profiles()[_check_year(year)]


def cluster_names(year: int) -> tuple[str, ...]:
    """The cluster names of `year`, best first (2022 has no Elite)."""
    return tuple(profile.name for profile in load_profiles(year))


def nearest_profile(
    *,
    deployment_frequency: int,
    lead_time: int,
    recovery_time: int,
    change_failure_rate: float,
    year: int = DEFAULT_YEAR,
) -> ClusterProfile:
    """The published profile of `year` nearest to the given key metrics.

    Distance is Euclidean over the four key metrics, each normalised to 0..1
    (bucket b as (b - 1) / 5, change failure rate as percent / 100). Equally near
    profiles resolve to the one published first, i.e. the better cluster.
    """
    profiles = load_profiles(year)
    point = _point(
        _check_bucket(deployment_frequency, "deployment_frequency"),
        _check_bucket(lead_time, "lead_time"),
        _check_bucket(recovery_time, "recovery_time"),
        _check_percent(change_failure_rate, "change_failure_rate"),
    )
    # min() keeps the first of equal keys, so published order breaks ties.
    return min(
        profiles, key=lambda profile: round(math.dist(point, profile.point()), _TIE_DECIMALS)
    )


def classify(
    *,
    deployment_frequency: int,
    lead_time: int,
    recovery_time: int,
    change_failure_rate: float,
    year: int = DEFAULT_YEAR,
) -> str:
    """The name of the `year` cluster nearest to these key metrics (see `nearest_profile`).

    Not a "worst metric wins" ladder: the published clusters are not ordered on
    every metric, so a ladder would put teams in clusters they do not resemble.
    """
    return nearest_profile(
        deployment_frequency=deployment_frequency,
        lead_time=lead_time,
        recovery_time=recovery_time,
        change_failure_rate=change_failure_rate,
        year=year,
    ).name


# --- team summary -----------------------------------------------------------


@dataclass(frozen=True)
class DoraSummary:
    """A team's DORA answers summarised for one survey year.

    Every mapping is keyed by each name in METRICS, in that order:
    `medians` holds the median answer (an int bucket or a float percent; None
    where nobody answered), `scores` its 0-10 Quick Check score (None likewise),
    `respondents` how many answered.

    `throughput` is the mean score of the throughput metrics answered (lead time,
    deployment frequency, recovery time). `stability` is the mean score of the
    instability metrics answered (change failure rate, rework rate): DORA calls
    the group "instability", but as a 0-10 score it is higher-is-better, 10
    meaning no failed changes. Each is None when none of its metrics was answered.

    `cluster` is the nearest published cluster of `year`, or None unless all four
    KEY_METRICS have a median (a cluster guessed from part of a profile would
    mislead).
    """

    year: int
    medians: dict[str, float | None]
    scores: dict[str, float | None]
    respondents: dict[str, int]
    throughput: float | None
    stability: float | None
    cluster: str | None


def _mean_present(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.fmean(present) if present else None


def summarise(answers: Mapping[str, Sequence[float]], *, year: int = DEFAULT_YEAR) -> DoraSummary:
    """Summarise a team's answers: metric name -> the values its members gave.

    "Don't know" answers are left out of the lists; a metric may be missing or
    empty. Unknown metric names and out-of-range values raise ValueError.
    """
    _check_year(year)
    unknown = set(answers) - set(METRICS)
    if unknown:
        raise ValueError(
            f"Unknown DORA metric(s) {sorted(unknown)}; expected some of {', '.join(METRICS)}"
        )

    values: dict[str, list[Any]] = {}
    for metric in METRICS:
        given = answers.get(metric, ())
        if isinstance(given, str | bytes):
            # A string is a Sequence too; reject it rather than take its characters.
            raise ValueError(f"{metric}: expected a list of answers, got {given!r}")
        values[metric] = list(given)

    buckets = {metric: median_bucket(values[metric]) for metric in BUCKET_METRICS}
    percents = {metric: median_percent(values[metric]) for metric in PERCENT_METRICS}
    # METRICS lists the bucket metrics first, so these merges keep METRICS order.
    medians: dict[str, float | None] = {**buckets, **percents}
    scores: dict[str, float | None] = {
        **{metric: None if b is None else bucket_score(b) for metric, b in buckets.items()},
        **{metric: None if p is None else percent_score(p) for metric, p in percents.items()},
    }

    deployment_frequency, lead_time, recovery_time = (
        buckets["deployment_frequency"],
        buckets["lead_time"],
        buckets["recovery_time"],
    )
    change_failure_rate = percents["change_failure_rate"]
    cluster = None
    if (
        deployment_frequency is not None
        and lead_time is not None
        and recovery_time is not None
        and change_failure_rate is not None
    ):
        cluster = classify(
            deployment_frequency=deployment_frequency,
            lead_time=lead_time,
            recovery_time=recovery_time,
            change_failure_rate=change_failure_rate,
            year=year,
        )

    return DoraSummary(
        year=year,
        medians=medians,
        scores=scores,
        respondents={metric: len(values[metric]) for metric in METRICS},
        throughput=_mean_present(scores[metric] for metric in THROUGHPUT_METRICS),
        stability=_mean_present(scores[metric] for metric in INSTABILITY_METRICS),
        cluster=cluster,
    )
