"""Maturity scoring: pure functions from answers to the numbers teams see.

No Django, no request, no pandas: callers load answers from the database, turn
them into ``ScoredAnswer`` values and pass them in. That keeps the arithmetic
easy to test by hand and reuse from views, exports and management commands.

Conventions:

* Scores are maturity levels 0-4 (see ``assessment.maturity``). A ``None``
  score is "Don't know" / "Not applicable": it counts as an abstention and
  never as a zero.
* Only practice categories are scored here; delivery (DORA) metrics are
  handled elsewhere, so callers pass practice-category answers only.
* Nothing is rounded here. Rounding is a display concern, and rounding early
  would make deltas and thresholds depend on where the rounding happened.
* Privacy withholding (fewer than k respondents) is decided by callers with
  ``is_withheld``, because they know which round's k applies.
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from assessment.maturity import MAX_LEVEL, MIN_LEVEL, level_counts, level_name

# A question is flagged "discuss" (the team disagrees about it) when fewer than
# 60% of the answers sit within one level of the median ...
DISCUSS_AGREEMENT = 0.6
# ... or when answers span at least three levels (e.g. someone says Initial and
# someone else says Managed), which is worth a conversation whatever the median.
DISCUSS_RANGE = 3
# A discussion needs a few voices; with one or two answers any difference
# is a conversation between two people, not a team pattern.
DISCUSS_MIN_ANSWERS = 3

# Below a quarter of a level a change is not worth an arrow even when the team
# answered very consistently: one person moving one level in a team of four
# moves the mean by exactly 0.25.
MIN_MEANINGFUL_DELTA = 0.25

# "Within one level" of the median. The tiny tolerance keeps float noise from
# means (e.g. 3.6666666666666665 vs 2.666666666666667) from splitting values
# that are exactly one level apart.
_AGREEMENT_BAND = 1.0
_EPSILON = 1e-9


@dataclass(frozen=True)
class ScoredAnswer:
    """One respondent's answer to one scale question.

    ``score`` is the level 0-4, or None for Don't know / Not applicable.
    ``weight`` is the question's weight (positive; Decimals are accepted and
    converted to float).
    """

    respondent: Hashable
    question_key: str
    category_key: str
    score: int | None
    weight: float = 1.0

    def __post_init__(self) -> None:
        # Fail loudly on bad data rather than silently skewing a team's score.
        if self.score is not None and not MIN_LEVEL <= self.score <= MAX_LEVEL:
            raise ValueError(f"score {self.score!r} is outside {MIN_LEVEL}-{MAX_LEVEL}")
        weight = float(self.weight)
        if not math.isfinite(weight) or weight <= 0:
            raise ValueError(f"weight must be a positive number, got {self.weight!r}")
        object.__setattr__(self, "weight", weight)


@dataclass(frozen=True)
class Spread:
    """Distribution of a set of scores. Values are unrounded."""

    n: int
    mean: float
    sd: float
    minimum: float
    maximum: float
    median: float
    q1: float
    q3: float
    agreement: float


@dataclass(frozen=True)
class QuestionSummary:
    spread: Spread | None
    answered: int
    abstained: int
    dont_know_rate: float | None
    discuss: bool


@dataclass(frozen=True)
class CategorySummary:
    category_key: str
    spread: Spread | None
    level_name: str


@dataclass(frozen=True)
class OrgCategorySummary:
    teams: int
    median: float
    q1: float
    q3: float
    level_counts: dict[str, int]


def weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """Weighted mean of ``(value, weight)`` pairs.

    Pairs whose value is None are ignored (they are abstentions, not zeros).
    Returns None when nothing with a positive weight remains. Negative weights
    are a data error and raise ValueError.
    """
    values: list[float] = []
    weights: list[float] = []
    for value, weight in pairs:
        if value is None:
            continue
        w = float(weight)
        if w < 0:
            raise ValueError(f"weight must not be negative, got {weight!r}")
        values.append(float(value) * w)
        weights.append(w)
    # fsum keeps the result independent of the order of the pairs and, with
    # correctly rounded sums, keeps a mean of in-range values in range.
    total_weight = math.fsum(weights)
    if total_weight <= 0:
        return None
    return math.fsum(values) / total_weight


def respondent_category_scores(
    answers: Iterable[ScoredAnswer],
) -> dict[tuple[Hashable, str], float]:
    """Per (respondent, category): the weighted mean of that person's scored answers.

    A respondent who answered only Don't know / Not applicable in a category
    gets no entry for it: they have no opinion there, which is not level 0.
    """
    grouped: dict[tuple[Hashable, str], list[tuple[float | None, float]]] = defaultdict(list)
    for answer in answers:
        grouped[(answer.respondent, answer.category_key)].append((answer.score, answer.weight))
    scores: dict[tuple[Hashable, str], float] = {}
    for key, pairs in grouped.items():
        mean = weighted_mean(pairs)
        if mean is not None:
            scores[key] = mean
    return scores


def summarise(values: Sequence[float]) -> Spread | None:
    """Describe a set of scores; None when there are none.

    ``sd`` is the population standard deviation (0 for a single value): it
    describes how much the people who answered differ, not an estimate for a
    wider population they were sampled from. Quartiles use
    ``statistics.quantiles(method="inclusive")``, which treats the data as the
    whole population too; with one value all quartiles equal it.

    ``agreement`` is the share of values within one level of the median
    (|v - median| <= 1), in [0, 1]; a team that answers unanimously has 1.0.
    """
    data = sorted(float(v) for v in values)
    n = len(data)
    if n == 0:
        return None
    median = statistics.median(data)
    if n == 1:
        q1 = q3 = data[0]
    else:
        q1, _, q3 = statistics.quantiles(data, n=4, method="inclusive")
    close = sum(1 for v in data if abs(v - median) <= _AGREEMENT_BAND + _EPSILON)
    mean = math.fsum(data) / n
    return Spread(
        n=n,
        mean=mean,
        # statistics.pstdev computes in exact fractions, about 30 times slower;
        # fsum of float deviations agrees with it to within a few units in the
        # last place, far inside FLOAT_TOLERANCE, and every submit runs this.
        sd=math.sqrt(math.fsum((v - mean) ** 2 for v in data) / n) if n > 1 else 0.0,
        minimum=data[0],
        maximum=data[-1],
        median=median,
        q1=q1,
        q3=q3,
        agreement=close / n,
    )


def summarise_question(scores: Sequence[int | None]) -> QuestionSummary:
    """Summarise one question's answers; None entries are Don't know / N/A.

    ``dont_know_rate`` is abstentions over all answers (None when nobody
    answered). ``discuss`` flags disagreement: at least DISCUSS_MIN_ANSWERS
    scored answers and either agreement below DISCUSS_AGREEMENT or a range of
    at least DISCUSS_RANGE levels.
    """
    scored = [s for s in scores if s is not None]
    answered = len(scored)
    abstained = len(scores) - answered
    total = answered + abstained
    spread = summarise(scored)
    discuss = (
        spread is not None
        and answered >= DISCUSS_MIN_ANSWERS
        and (
            spread.agreement < DISCUSS_AGREEMENT or spread.maximum - spread.minimum >= DISCUSS_RANGE
        )
    )
    return QuestionSummary(
        spread=spread,
        answered=answered,
        abstained=abstained,
        dont_know_rate=abstained / total if total else None,
        discuss=discuss,
    )


def team_category_summaries(answers: Iterable[ScoredAnswer]) -> dict[str, CategorySummary]:
    """Per category: the spread of the team's respondent category scores.

    The team's category score is ``spread.mean``, the mean of the respondent
    category scores, so every person counts once however many questions they
    answered. A category that appears in the answers but where nobody gave a
    scored answer is present with ``spread=None`` and an empty level name:
    it has no score, which is different from scoring zero.

    ``spread.n`` is the number of respondents with a score; callers compare it
    with the round's k (``is_withheld``) before showing anything.
    """
    answers = list(answers)
    per_category: dict[str, list[float]] = {a.category_key: [] for a in answers}
    for (_, category_key), score in respondent_category_scores(answers).items():
        per_category[category_key].append(score)
    summaries: dict[str, CategorySummary] = {}
    for category_key, values in per_category.items():
        spread = summarise(values)
        summaries[category_key] = CategorySummary(
            category_key=category_key,
            spread=spread,
            level_name=level_name(spread.mean) if spread else "",
        )
    return summaries


def overall_maturity(
    category_scores: Mapping[str, float | None], weights: Mapping[str, float]
) -> float | None:
    """Weighted mean of the practice-category scores that are present.

    Callers pass practice categories only (delivery is scored elsewhere).
    Categories whose score is None are left out rather than counted as zero.
    A category missing from ``weights`` gets the default weight 1.
    """
    return weighted_mean((score, weights.get(key, 1.0)) for key, score in category_scores.items())


def delta(current: float | None, previous: float | None) -> float | None:
    """current - previous, or None if either is missing."""
    if current is None or previous is None:
        return None
    return current - previous


def is_withheld(n: int, k: int) -> bool:
    """True when an aggregate over ``n`` respondents must not be shown (n < k)."""
    return n < k


def is_meaningful_change(
    *, delta: float | None, current: Spread | None, previous: Spread | None, k: int
) -> bool:
    """Whether a change between rounds deserves an up/down arrow.

    The rule, so that arrows are honest:

    * no arrow when the delta is unknown, or either round's spread is missing;
    * no arrow when either round is withheld (n < k): we must not reveal, even
      by direction, what a too-small group answered;
    * no arrow when |delta| is smaller than the noise, where the noise is the
      standard error of the difference of two means,
      sqrt(sd_c**2 / n_c + sd_p**2 / n_p), but never less than
      MIN_MEANINGFUL_DELTA (a quarter of a level). The floor matters for
      unanimous teams, whose sd of 0 would otherwise make any wobble "real".

    A delta exactly at the threshold counts as meaningful.
    """
    if delta is None or current is None or previous is None:
        return False
    if is_withheld(current.n, k) or is_withheld(previous.n, k):
        return False
    if current.n <= 0 or previous.n <= 0:
        return False
    standard_error = math.sqrt(current.sd**2 / current.n + previous.sd**2 / previous.n)
    threshold = max(MIN_MEANINGFUL_DELTA, standard_error)
    # The tolerance keeps e.g. 2.75 - 2.5 computed as 0.2499999... at the floor.
    return abs(delta) >= threshold - _EPSILON


def org_category_summary(team_scores: Sequence[float]) -> OrgCategorySummary | None:
    """How teams compare in one category; None when no team has a score.

    Only teams that are not withheld should be passed in. ``level_counts``
    has every level name, in LEVELS order, including levels no team reached,
    so charts keep a stable axis.
    """
    spread = summarise(team_scores)
    if spread is None:
        return None
    return OrgCategorySummary(
        teams=spread.n,
        median=spread.median,
        q1=spread.q1,
        q3=spread.q3,
        level_counts=level_counts(team_scores),
    )


def systemic_questions(
    team_question_means: Mapping[str, Sequence[float]],
    *,
    low_below: float = 2.0,
    share: float = 0.5,
    min_teams: int = 3,
) -> list[str]:
    """Questions that are weak across the organisation, not just in one team.

    ``team_question_means`` maps a question key to the means of the teams that
    have a non-withheld score for it. A question is systemic when its mean is
    below ``low_below`` for strictly more than ``share`` of those teams, and at
    least ``min_teams`` teams have a score (fewer is an anecdote, and could
    point at individual teams). Keys are returned sorted so output is stable.
    """
    flagged: list[str] = []
    for question_key, means in team_question_means.items():
        present = [m for m in means if m is not None and not math.isnan(m)]
        low = sum(1 for m in present if m < low_below)
        if is_systemic(low=low, teams=len(present), share=share, min_teams=min_teams):
            flagged.append(question_key)
    return sorted(flagged)


def is_systemic(*, low: int, teams: int, share: float = 0.5, min_teams: int = 3) -> bool:
    """The systemic rule on counts: strictly more than ``share`` of at least
    ``min_teams`` teams scored the question low."""
    return teams >= min_teams and teams > 0 and low / teams > share
