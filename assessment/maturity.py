"""The maturity level table: the one place that names levels 0-4."""

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    value: int
    name: str
    summary: str


LEVELS: tuple[Level, ...] = (
    Level(0, "Initial", "Absent or ad hoc; depends on individuals."),
    Level(1, "Developing", "Practised sometimes, inconsistently."),
    Level(2, "Defined", "An agreed, documented practice the team follows."),
    Level(3, "Managed", "Practised consistently, measured and reviewed."),
    Level(4, "Optimizing", "Continuously improved from evidence; others learn from it."),
)
MIN_LEVEL = LEVELS[0].value
MAX_LEVEL = LEVELS[-1].value


def level_for_score(score: float | None) -> Level | None:
    """The level a score has reached: 2.0-2.99 is Defined, 3.0 is Managed.

    A level is reached, not rounded up to, so a team at 2.9 is still Defined.
    """
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    clamped = min(max(score, MIN_LEVEL), MAX_LEVEL)
    # The small tolerance keeps 2.9999999 (float noise from a mean of 3s) at 3.
    return LEVELS[math.floor(clamped + 1e-9)]


def level_name(score: float | None) -> str:
    level = level_for_score(score)
    return level.name if level else ""


def level_counts(scores: Iterable[float | None]) -> dict[str, int]:
    """How many scores reached each level, every level named in order (0 where
    none did); scores without a level (None, NaN) are not counted."""
    counts = dict.fromkeys((level.name for level in LEVELS), 0)
    for score in scores:
        level = level_for_score(score)
        if level is not None:
            counts[level.name] += 1
    return counts
