"""Scoring: hand-worked examples first, then properties that must always hold."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessment.maturity import LEVELS, MAX_LEVEL, MIN_LEVEL
from assessment.scoring import (
    DISCUSS_AGREEMENT,
    DISCUSS_RANGE,
    MIN_MEANINGFUL_DELTA,
    ScoredAnswer,
    Spread,
    delta,
    is_meaningful_change,
    is_withheld,
    org_category_summary,
    overall_maturity,
    respondent_category_scores,
    summarise,
    summarise_question,
    systemic_questions,
    team_category_summaries,
    weighted_mean,
)

# --- A worked example: a three-person team -----------------------------------
#
# Category "ci" has questions q1 (weight 1), q2 (weight 2), q3 (weight 1).
# Category "obs" has one question, o1, that everybody answered "Don't know".
#
#             q1  q2  q3          weighted mean
#   alice      2   3   DK   (2*1 + 3*2)        / 3 = 8/3  = 2.666...
#   bob        3   3   4    (3*1 + 3*2 + 4*1)  / 4 = 13/4 = 3.25
#   carol      0   1   2    (0*1 + 1*2 + 2*1)  / 4 = 4/4  = 1.0
#
# In 36ths the scores are 96, 117, 36; the team mean is 249/108 = 83/36 = 2.3055...
# (Defined); deviations are 13, 34, -47 (/36); population variance is
# (169 + 1156 + 2209) / 3 / 36**2 = 1178 / 1296, so sd = sqrt(1178) / 36.
# Median is 8/3; carol is 5/3 away, so agreement is 2/3.
# Inclusive quartiles of [1, 8/3, 13/4]: q1 = (1 + 8/3)/2 = 11/6,
# q3 = (8/3 + 13/4)/2 = 71/24.

W = {"q1": 1.0, "q2": 2.0, "q3": 1.0}
TEAM_ANSWERS = [
    *(
        ScoredAnswer(person, q, "ci", score, W[q])
        for person, scores in {
            "alice": {"q1": 2, "q2": 3, "q3": None},
            "bob": {"q1": 3, "q2": 3, "q3": 4},
            "carol": {"q1": 0, "q2": 1, "q3": 2},
        }.items()
        for q, score in scores.items()
    ),
    *(ScoredAnswer(person, "o1", "obs", None) for person in ("alice", "bob", "carol")),
]


def test_respondent_category_score_is_the_weighted_mean_of_their_scored_answers():
    scores = respondent_category_scores(TEAM_ANSWERS)

    assert scores[("alice", "ci")] == pytest.approx(8 / 3)
    assert scores[("bob", "ci")] == pytest.approx(13 / 4)
    assert scores[("carol", "ci")] == pytest.approx(1.0)


def test_a_category_answered_only_dont_know_has_no_score_rather_than_zero():
    scores = respondent_category_scores(TEAM_ANSWERS)
    summaries = team_category_summaries(TEAM_ANSWERS)

    assert not any(category == "obs" for _, category in scores)
    assert summaries["obs"].spread is None
    assert summaries["obs"].level_name == ""


def test_a_respondent_with_only_dont_know_in_a_category_is_left_out_of_it():
    answers = [
        ScoredAnswer("alice", "q1", "ci", None),
        ScoredAnswer("bob", "q1", "ci", 3),
    ]

    assert respondent_category_scores(answers) == {("bob", "ci"): 3.0}
    assert team_category_summaries(answers)["ci"].spread.n == 1


def test_team_category_summary_of_the_worked_example():
    ci = team_category_summaries(TEAM_ANSWERS)["ci"]

    assert ci.category_key == "ci"
    assert ci.spread.n == 3
    assert ci.spread.mean == pytest.approx(83 / 36)
    assert ci.spread.sd == pytest.approx(math.sqrt(1178) / 36)
    assert ci.spread.minimum == pytest.approx(1.0)
    assert ci.spread.maximum == pytest.approx(3.25)
    assert ci.spread.median == pytest.approx(8 / 3)
    assert ci.spread.q1 == pytest.approx(11 / 6)
    assert ci.spread.q3 == pytest.approx(71 / 24)
    assert ci.spread.agreement == pytest.approx(2 / 3)
    assert ci.level_name == "Defined"


def test_dont_know_is_excluded_from_the_score_but_counted_in_the_dont_know_rate():
    q3 = summarise_question([None, 4, 2])

    assert q3.answered == 2
    assert q3.abstained == 1
    assert q3.dont_know_rate == pytest.approx(1 / 3)
    assert q3.spread.mean == pytest.approx(3.0)
    assert q3.discuss is False  # two scored answers are too few to call it a disagreement


def test_a_question_nobody_answered_has_no_spread_and_no_dont_know_rate():
    summary = summarise_question([])

    assert summary.spread is None
    assert summary.dont_know_rate is None
    assert summary.discuss is False


def test_a_question_answered_only_dont_know_has_a_dont_know_rate_of_one():
    summary = summarise_question([None, None])

    assert summary.spread is None
    assert summary.dont_know_rate == 1.0


def test_answers_spanning_three_levels_are_flagged_for_discussion():
    summary = summarise_question([0, 2, 3])

    assert summary.spread.maximum - summary.spread.minimum >= DISCUSS_RANGE
    assert summary.discuss is True


def test_low_agreement_is_flagged_for_discussion_even_within_a_narrow_range():
    # Median 2; the three 0s are two levels away, so agreement is 4/7 < 0.6.
    summary = summarise_question([0, 0, 0, 2, 2, 2, 2])

    assert summary.spread.agreement == pytest.approx(4 / 7)
    assert summary.spread.agreement < DISCUSS_AGREEMENT
    assert summary.discuss is True


def test_agreement_of_exactly_sixty_percent_is_not_flagged():
    summary = summarise_question([0, 0, 2, 2, 2])

    assert summary.spread.agreement == pytest.approx(0.6)
    assert summary.discuss is False


def test_close_answers_are_not_flagged_for_discussion():
    assert summarise_question([2, 2, 3, None]).discuss is False


def test_summarise_of_nothing_is_none():
    assert summarise([]) is None


def test_summarise_of_one_value_has_zero_sd_and_equal_quartiles():
    spread = summarise([2.5])

    assert spread == Spread(
        n=1,
        mean=2.5,
        sd=0.0,
        minimum=2.5,
        maximum=2.5,
        median=2.5,
        q1=2.5,
        q3=2.5,
        agreement=1.0,
    )


def test_summarise_uses_the_population_standard_deviation():
    # Population sd of [1, 3] is 1; the sample sd would be sqrt(2).
    assert summarise([1, 3]).sd == pytest.approx(1.0)


def test_values_exactly_one_level_from_the_median_count_as_agreeing():
    # Means like 11/3 and 8/3 are one level apart only up to float noise.
    assert summarise([8 / 3, 11 / 3, 5 / 3]).agreement == 1.0


def test_weighted_mean_ignores_missing_values():
    assert weighted_mean([(2.0, 1.0), (None, 5.0), (4.0, 3.0)]) == pytest.approx(3.5)
    assert weighted_mean([(None, 1.0)]) is None
    assert weighted_mean([]) is None


def test_overall_maturity_weights_categories_and_skips_those_without_a_score():
    # (2.0 * 2 + 3.0 * 1) / 3 = 7/3; "obs" has no score, "sec" defaults to weight 1.
    assert overall_maturity(
        {"ci": 2.0, "tests": 3.0, "obs": None}, {"ci": 2.0, "tests": 1.0, "obs": 5.0}
    ) == pytest.approx(7 / 3)
    assert overall_maturity({"ci": 2.0, "sec": 4.0}, {"ci": 3.0}) == pytest.approx(2.5)
    assert overall_maturity({"obs": None}, {"obs": 1.0}) is None


def test_delta_is_current_minus_previous_and_none_when_either_is_missing():
    assert delta(2.5, 2.0) == pytest.approx(0.5)
    assert delta(1.75, 2.5) == pytest.approx(-0.75)
    assert delta(None, 2.0) is None
    assert delta(2.0, None) is None


def _spread(n: int, sd: float, mean: float = 2.0) -> Spread:
    return Spread(
        n=n,
        mean=mean,
        sd=sd,
        minimum=mean,
        maximum=mean,
        median=mean,
        q1=mean,
        q3=mean,
        agreement=1.0,
    )


def test_a_change_larger_than_the_noise_is_meaningful():
    # Noise: sqrt(0.25/4 + 0.25/4) = sqrt(0.125) = 0.354; 0.5 is beyond it.
    current, previous = summarise([2, 2, 3, 3]), summarise([1.5, 1.5, 2.5, 2.5])
    change = delta(current.mean, previous.mean)

    assert change == pytest.approx(0.5)
    assert is_meaningful_change(delta=change, current=current, previous=previous, k=3)


def test_a_change_within_the_noise_is_not_meaningful():
    # Noise: sqrt(1/5 + 1/5) = 0.632; a 0.5 change is within it.
    current, previous = _spread(5, 1.0), _spread(5, 1.0)

    assert not is_meaningful_change(delta=0.5, current=current, previous=previous, k=3)
    assert is_meaningful_change(delta=-0.7, current=current, previous=previous, k=3)


def test_a_unanimous_team_still_needs_a_quarter_level_change():
    current, previous = _spread(5, 0.0), _spread(5, 0.0)

    assert not is_meaningful_change(delta=0.2, current=current, previous=previous, k=3)
    assert is_meaningful_change(
        delta=2.75 - 2.5, current=current, previous=previous, k=3
    )  # exactly at the floor
    assert MIN_MEANINGFUL_DELTA == 0.25


def test_no_arrow_when_either_round_has_fewer_than_k_respondents():
    big, small = _spread(10, 0.0), _spread(4, 0.0)

    assert not is_meaningful_change(delta=3.0, current=small, previous=big, k=5)
    assert not is_meaningful_change(delta=3.0, current=big, previous=small, k=5)
    assert is_meaningful_change(delta=3.0, current=big, previous=small, k=4)


def test_no_arrow_without_a_delta_or_a_spread():
    spread = _spread(10, 0.0)

    assert not is_meaningful_change(delta=None, current=spread, previous=spread, k=3)
    assert not is_meaningful_change(delta=1.0, current=None, previous=spread, k=3)
    assert not is_meaningful_change(delta=1.0, current=spread, previous=None, k=3)


def test_is_withheld_when_fewer_than_k_respond():
    assert is_withheld(4, 5)
    assert not is_withheld(5, 5)
    assert not is_withheld(6, 5)


def test_org_summary_has_quartiles_and_counts_for_every_level():
    # Sorted: 1.0, 2.0, 2.5, 3.0, 3.5 -> median 2.5; inclusive quartiles at
    # positions 1 and 3 -> 2.0 and 3.0. Levels reached: Developing 1,
    # Defined 2 (2.0, 2.5), Managed 2 (3.0, 3.5).
    summary = org_category_summary([3.5, 1.0, 2.5, 3.0, 2.0])

    assert summary.teams == 5
    assert summary.median == pytest.approx(2.5)
    assert summary.q1 == pytest.approx(2.0)
    assert summary.q3 == pytest.approx(3.0)
    assert summary.level_counts == {
        "Initial": 0,
        "Developing": 1,
        "Defined": 2,
        "Managed": 2,
        "Optimizing": 0,
    }
    assert list(summary.level_counts) == [level.name for level in LEVELS]


def test_org_summary_of_no_teams_is_none():
    assert org_category_summary([]) is None


def test_a_question_low_in_most_teams_is_systemic_and_others_are_not():
    team_question_means = {
        "q_low": [1.0, 1.5, 3.0],  # low in 2 of 3 teams -> systemic
        "q_fine": [1.0, 2.5, 3.0],  # low in 1 of 3
        "q_half": [1.0, 1.0, 3.0, 3.0],  # low in exactly half: not more than half
        "q_few": [0.5, 1.0],  # low everywhere, but only two teams
        "a_boundary": [2.0, 2.0, 2.0],  # 2.0 is not below 2.0
        "b_low": [0.0, 0.0, 0.0],
    }

    assert systemic_questions(team_question_means) == ["b_low", "q_low"]


def test_systemic_questions_respects_custom_thresholds():
    team_question_means = {"q": [2.5, 2.5, 3.5]}

    assert systemic_questions(team_question_means) == []
    assert systemic_questions(team_question_means, low_below=3.0) == ["q"]
    assert systemic_questions({"q": [0.0, 0.0]}, min_teams=2) == ["q"]


def test_scored_answer_rejects_scores_outside_the_levels_and_bad_weights():
    with pytest.raises(ValueError):
        ScoredAnswer("alice", "q1", "ci", 5)
    with pytest.raises(ValueError):
        ScoredAnswer("alice", "q1", "ci", -1)
    with pytest.raises(ValueError):
        ScoredAnswer("alice", "q1", "ci", 2, weight=0)


# --- Properties --------------------------------------------------------------

QUESTIONS = {"q1": "ci", "q2": "ci", "q3": "tests", "q4": "tests", "q5": "obs"}
RESPONDENTS = ["r1", "r2", "r3", "r4", "r5", "r6"]
score_or_abstain = st.one_of(st.none(), st.integers(MIN_LEVEL, MAX_LEVEL))
weights = st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0])


@st.composite
def team_answers(draw) -> list[ScoredAnswer]:
    """A team's answers: each respondent answers each question at most once."""
    cells = draw(
        st.dictionaries(
            st.tuples(st.sampled_from(RESPONDENTS), st.sampled_from(sorted(QUESTIONS))),
            score_or_abstain,
            max_size=len(RESPONDENTS) * len(QUESTIONS),
        )
    )
    question_weights = draw(st.fixed_dictionaries(dict.fromkeys(QUESTIONS, weights)))
    return [
        ScoredAnswer(person, q, QUESTIONS[q], score, question_weights[q])
        for (person, q), score in cells.items()
    ]


def _in_range(value: float) -> bool:
    return MIN_LEVEL <= value <= MAX_LEVEL


@given(team_answers())
def test_scores_stay_within_the_level_range(answers):
    for score in respondent_category_scores(answers).values():
        assert _in_range(score)
    for summary in team_category_summaries(answers).values():
        if summary.spread is None:
            continue
        spread = summary.spread
        for value in (spread.mean, spread.minimum, spread.maximum, spread.median):
            assert _in_range(value)
        for value in (spread.q1, spread.q3):
            assert _in_range(value)
        assert summary.level_name in {level.name for level in LEVELS}


@given(team_answers(), st.randoms(use_true_random=False))
def test_permuting_respondents_changes_nothing(answers, rng):
    # Relabel the respondents with a shuffled bijection and shuffle answer order.
    relabel = dict(zip(RESPONDENTS, rng.sample(RESPONDENTS, len(RESPONDENTS)), strict=True))
    permuted = [
        ScoredAnswer(relabel[a.respondent], a.question_key, a.category_key, a.score, a.weight)
        for a in answers
    ]
    rng.shuffle(permuted)

    assert team_category_summaries(permuted) == team_category_summaries(answers)
    assert respondent_category_scores(permuted) == {
        (relabel[person], category): score
        for (person, category), score in respondent_category_scores(answers).items()
    }


@given(
    team_answers(),
    st.sampled_from(RESPONDENTS),
    st.sampled_from(sorted(QUESTIONS)),
)
def test_adding_a_dont_know_changes_no_score(answers, person, question):
    extra = ScoredAnswer(person, "extra-" + question, QUESTIONS[question], None)
    with_dont_know = [*answers, extra]

    assert respondent_category_scores(with_dont_know) == respondent_category_scores(answers)
    before = team_category_summaries(answers)
    after = team_category_summaries(with_dont_know)
    for category, summary in after.items():
        if category in before:
            assert summary == before[category]
        else:
            assert summary.spread is None  # a new category of only Don't know has no score


@given(st.lists(score_or_abstain, max_size=30))
def test_adding_a_dont_know_to_a_question_only_changes_the_dont_know_rate(scores):
    before = summarise_question(scores)
    after = summarise_question([*scores, None])

    assert after.spread == before.spread
    assert after.answered == before.answered
    assert after.discuss == before.discuss
    assert after.abstained == before.abstained + 1
    assert after.dont_know_rate >= (before.dont_know_rate or 0.0)


@given(
    st.integers(MIN_LEVEL, MAX_LEVEL),
    st.lists(st.sampled_from(RESPONDENTS), min_size=1, unique=True),
    st.lists(st.sampled_from(sorted(QUESTIONS)), min_size=1, unique=True),
    weights,
)
def test_a_unanimous_team_has_full_agreement_and_no_spread(level, people, questions, weight):
    answers = [ScoredAnswer(p, q, QUESTIONS[q], level, weight) for p in people for q in questions]

    for summary in team_category_summaries(answers).values():
        assert summary.spread.agreement == 1.0
        assert summary.spread.sd == 0.0
        assert summary.spread.mean == level
        assert summary.level_name == LEVELS[level].name
    question = summarise_question([level] * len(people))
    assert question.spread.agreement == 1.0
    assert question.spread.sd == 0.0
    assert question.discuss is False


@given(st.integers(-5, 1000), st.integers(-5, 1000), st.floats(-4, 4))
def test_is_withheld_never_lets_fewer_than_k_through(n, k, change):
    assert is_withheld(n, k) == (n < k)
    if n < k and n > 0:
        big = _spread(max(k, 1) + 10, 0.0)
        small = _spread(n, 0.0)
        assert not is_meaningful_change(delta=change, current=small, previous=big, k=k)
        assert not is_meaningful_change(delta=change, current=big, previous=small, k=k)


@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=50))
def test_agreement_is_always_a_share_between_zero_and_one(values):
    spread = summarise(values)

    assert 0.0 <= spread.agreement <= 1.0
    assert spread.sd >= 0.0
    assert spread.minimum <= spread.median <= spread.maximum
