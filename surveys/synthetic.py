"""Plausible answers for demos and benchmarks, written with bulk inserts.

Each team has a profile: a base level per category, a trend per round, how much
its members disagree and how often they say "Don't know". Answers are drawn
around that, so dashboards show trends, disagreement and don't-know hotspots.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime

from assessment.models import Category, Question
from surveys.models import Answer, Response

REFLECTIONS = {
    "continuous-improvement": [
        "Our retro actions keep slipping; we should pick fewer and finish them.",
        "The new feedback round after each release helped a lot.",
        "We want a fixed slot for learning time every sprint.",
    ],
    "ci-cd": [
        "Flaky end-to-end tests still block merges a few times a week.",
        "Preview environments per pull request changed how we review.",
        "We skipped the canary stage under deadline pressure twice this quarter.",
    ],
    "incident-response": [
        "On-call felt heavy this quarter; the rota needs more people.",
        "Post-incident reviews are good, but their actions rarely reach the roadmap.",
        "The incident commander role made the last outage much calmer.",
    ],
    "observability": [
        "We still find out about checkout errors from customers first.",
        "Tracing across the payment flow finally works end to end.",
        "Alert noise is high; half the pages are not actionable.",
    ],
    "silos": [
        "We rarely know what the platform team is planning until it lands.",
        "Pairing with the mobile team on the release bug was eye-opening.",
        "Nobody from our team attended another team's planning this quarter.",
    ],
    "delivery": [
        "Release trains slow us down more than the tests do.",
        "Deploying is easy; knowing whether a deploy is safe is the hard part.",
    ],
}


@dataclass
class TeamProfile:
    base: float  # typical level 0-4 at round 0
    trend: float  # change of level per round
    spread: float  # how much members disagree (standard deviation in levels)
    dont_know: float  # chance of "Don't know" on a scale question
    participation: float  # share of members who submit
    category_offsets: dict[str, float] = field(default_factory=dict)
    question_offsets: dict[str, float] = field(default_factory=dict)


def random_profile(rng: random.Random, categories: list[Category], questions: list[Question]):
    return TeamProfile(
        base=rng.uniform(0.9, 2.6),
        trend=rng.choice([0.12, 0.08, 0.04, 0.0, -0.06]),
        spread=rng.choice([0.35, 0.5, 0.8, 1.1]),
        dont_know=rng.choice([0.02, 0.05, 0.12]),
        participation=rng.uniform(0.7, 1.0),
        category_offsets={c.key: rng.gauss(0, 0.45) for c in categories},
        question_offsets={q.key: rng.gauss(0, 0.35) for q in questions},
    )


def _level(
    profile: TeamProfile, category_key: str, question_key: str, round_index: int, person: float, rng
):
    centre = (
        profile.base
        + profile.trend * round_index
        + profile.category_offsets.get(category_key, 0)
        + profile.question_offsets.get(question_key, 0)
        + person
    )
    return max(0, min(4, round(rng.gauss(centre, profile.spread * 0.6))))


def answers_for_person(
    *,
    questions: list[Question],
    profile: TeamProfile,
    round_index: int,
    rng: random.Random,
    response: Response,
) -> list[Answer]:
    person = rng.gauss(0, profile.spread * 0.5)
    answers = []
    practice_levels = []
    for question in questions:
        category_key = question.category.key
        if question.kind == Question.Kind.SCALE:
            choices = question.choices.all()
            if rng.random() < profile.dont_know:
                abstain = "dont_know" if rng.random() < 0.8 else "not_applicable"
                choice = next(c for c in choices if c.abstain == abstain)
            else:
                level = _level(profile, category_key, question.key, round_index, person, rng)
                practice_levels.append(level)
                choice = next(c for c in choices if c.score == level)
            answers.append(Answer(response=response, question=question, choice=choice))
        elif question.kind == Question.Kind.CHOICE:
            maturity = profile.base + profile.trend * round_index + person
            bucket = max(1, min(6, round(rng.gauss(1.4 + maturity * 1.35, 0.7))))
            choices = question.choices.all()
            if rng.random() < profile.dont_know / 2:
                choice = next(c for c in choices if c.abstain)
            else:
                choice = next(c for c in choices if c.score == bucket)
            answers.append(Answer(response=response, question=question, choice=choice))
        elif question.kind == Question.Kind.PERCENT:
            maturity = profile.base + profile.trend * round_index + person
            value = round(rng.gauss(52 - maturity * 15, 6))
            if question.required or rng.random() > 0.2:
                answers.append(
                    Answer(response=response, question=question, number=max(0, min(100, value)))
                )
        elif question.kind == Question.Kind.TEXT and rng.random() < 0.3:
            pool = REFLECTIONS.get(category_key) or REFLECTIONS["delivery"]
            answers.append(Answer(response=response, question=question, text=rng.choice(pool)))
    return answers


def fill_round(
    *,
    survey_round,
    team,
    members: list,
    questions: list[Question],
    profile: TeamProfile,
    round_index: int,
    rng: random.Random,
    submitted_at: datetime,
    draft_users: tuple = (),
) -> tuple[int, int]:
    """Insert responses and answers for one team and round. Returns (responses, answers)."""
    respondents = [m for m in members if rng.random() < profile.participation or m in draft_users]
    responses = Response.objects.bulk_create(
        Response(
            round=survey_round,
            team=team,
            respondent=user,
            status=Response.Status.DRAFT if user in draft_users else Response.Status.SUBMITTED,
            started_at=submitted_at,
            updated_at=submitted_at,
            submitted_at=None if user in draft_users else submitted_at,
            last_page=1,
        )
        for user in respondents
    )
    answers = []
    for response in responses:
        person_answers = answers_for_person(
            questions=questions,
            profile=profile,
            round_index=round_index,
            rng=rng,
            response=response,
        )
        if response.status == Response.Status.DRAFT:
            # A draft half-way through: only the first categories are answered.
            first_categories = {q.category_id for q in questions[: len(questions) // 3]}
            person_answers = [
                a for a in person_answers if a.question.category_id in first_categories
            ]
        answers.extend(person_answers)
    Answer.objects.bulk_create(answers, batch_size=2000)
    return len(responses), len(answers)
