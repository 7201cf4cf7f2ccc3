"""Answering: every questionnaire page, an autosave, and a full submit with scoring.

    DATABASE_URL=postgres://... python bench/answering.py

Works on any database with a published questionnaire. It creates an open round
of its own ("Bench answering") with BENCH_TEAMS teams of eight: seven members
have submitted already and the eighth holds a complete draft. Each timed
submit is one of those drafts, posted through the review page like a browser
does, so it includes the view, `response_submit` and the materialisation of
the team's scores (a team of eight, as in the synthetic organisation).
Everything it created is deleted at the end, also when it fails.

Targets of issue 12 (docs/performance.md): the largest page (page 2, nine
questions) at most 10 ms and 1 ms per question, every page of the
questionnaire 1 ms per question, at most 8 queries on any page whatever its
size; a submit of 47 answers with score materialisation in at most 12 queries.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from common import HEADER, measure, newest_questionnaire_questions, row  # sets up Django
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessment.models import Question
from demo.synthetic import (
    REFLECTIONS,
    answers_for_person,
    insert_answers,
    question_plans,
    random_profile,
)
from reports.services import round_scores_recompute
from surveys.forms import field_name
from surveys.models import Membership, Response, SurveyRound, Team

PREFIX = "bench-answering-"
ROUND_NAME = "Bench answering"
# measure() asks for warm-up (3) + runs (30) + one counted run: one draft each.
BENCH_TEAMS = 40
MEMBERS = 8

PAGE_TARGET_MS = 10  # the largest page (nine questions), median
PER_QUESTION_TARGET_MS = 1  # median time of a page / its questions
PAGE_MAX_QUERIES = 8
SUBMIT_MAX_QUERIES = 12


@dataclass
class Fixture:
    survey_round: SurveyRound
    questions: list[Question]
    drafts: list[Response]  # one complete draft per team, oldest team first
    pages: list[list[Question]]  # the questionnaire's pages in order
    page: int  # the page with the most questions
    page_questions: list[Question]


def cleanup() -> None:
    """Delete the round, teams and users of this benchmark (also after a crash)."""
    SurveyRound.objects.filter(name=ROUND_NAME).delete()
    Team.objects.filter(slug__startswith=PREFIX).delete()
    User.objects.filter(username__startswith=PREFIX).delete()


@transaction.atomic
def create_fixture(*, seed: int = 7) -> Fixture:
    questionnaire, questions = newest_questionnaire_questions()
    plans = question_plans(questions)
    rng = random.Random(seed)
    now = timezone.now()
    teams = Team.objects.bulk_create(
        Team(name=f"Bench answering {number:02d}", slug=f"{PREFIX}{number:02d}")
        for number in range(BENCH_TEAMS)
    )
    users = User.objects.bulk_create(
        User(username=f"{team.slug}-{member}", password="!")
        for team in teams
        for member in range(MEMBERS)
    )
    Membership.objects.bulk_create(
        Membership(user=user, team=teams[index // MEMBERS]) for index, user in enumerate(users)
    )
    survey_round = SurveyRound.objects.create(
        name=ROUND_NAME,
        slug=PREFIX.rstrip("-"),
        questionnaire=questionnaire,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=7),
    )
    survey_round.teams.set(teams)

    responses = Response.objects.bulk_create(
        Response(
            round=survey_round,
            team=teams[index // MEMBERS],
            respondent=user,
            # The last member of each team is the one who submits in the benchmark.
            status=(
                Response.Status.DRAFT
                if index % MEMBERS == MEMBERS - 1
                else Response.Status.SUBMITTED
            ),
            started_at=now,
            updated_at=now,
            submitted_at=None if index % MEMBERS == MEMBERS - 1 else now,
            last_page=1,
        )
        for index, user in enumerate(users)
    )
    category_keys = sorted({plan.category_key for plan in plans})
    question_keys = [plan.key for plan in plans]
    rows = []
    for start in range(0, len(responses), MEMBERS):
        profile = random_profile(rng, category_keys, question_keys)
        for response in responses[start : start + MEMBERS]:
            answered = answers_for_person(plans=plans, profile=profile, round_index=0, rng=rng)
            if response.status == Response.Status.DRAFT:
                # A complete draft: every question, reflections included.
                seen = {question_id for question_id, *_ in answered}
                answered += [
                    (plan.pk, None, None, rng.choice(REFLECTIONS["delivery"]))
                    for plan in plans
                    if plan.pk not in seen
                ]
            rows.extend((response.pk, *answer) for answer in answered)
    insert_answers(rows, updated_at=now)
    round_scores_recompute(survey_round=survey_round)

    pages: dict[int, list[Question]] = {}
    for question in questions:
        pages.setdefault(question.category.order, []).append(question)
    ordered_pages = [pages[order] for order in sorted(pages)]
    biggest = max(range(len(ordered_pages)), key=lambda index: len(ordered_pages[index]))
    return Fixture(
        survey_round=survey_round,
        questions=questions,
        drafts=[r for r in responses if r.status == Response.Status.DRAFT],
        pages=ordered_pages,
        page=biggest + 1,
        page_questions=ordered_pages[biggest],
    )


def _page_post_data(response: Response, questions: list[Question], page: int) -> dict[str, str]:
    """The page's form as the browser would send it, from the draft's stored answers."""
    stored = {a.question_id: a for a in response.answers.filter(question__in=questions)}
    data = {"page": str(page)}
    for question in questions:
        answer = stored.get(question.pk)
        if answer is None:
            continue
        if question.has_choices:
            data[field_name(question)] = str(answer.choice_id)
        elif question.kind == Question.Kind.PERCENT:
            data[field_name(question)] = str(answer.number)
        else:
            data[field_name(question)] = answer.text
    return data


def results() -> list[tuple[str, dict]]:
    cleanup()
    clients: list[Client] = []
    try:
        fixture = create_fixture()
        survey_round = fixture.survey_round
        question_count = len(fixture.questions)

        def client_for(response: Response) -> Client:
            client = Client()
            client.force_login(response.respondent)
            clients.append(client)
            return client

        # The pages and the autosave: one person's draft, read and saved again and again.
        reader = fixture.drafts[-1]
        reader_client = client_for(reader)
        team_slug = reader.team.slug
        autosave_url = reverse("surveys:autosave", args=[survey_round.slug, team_slug])
        autosave_data = _page_post_data(reader, fixture.page_questions, fixture.page)

        def get_page(number: int):
            url = reverse("surveys:page", args=[survey_round.slug, team_slug, number])

            def get():
                response = reader_client.get(url)
                assert response.status_code == 200, response.status_code

            return get

        def autosave():
            response = reader_client.post(autosave_url, autosave_data)
            assert response.status_code == 200, (response.status_code, response.content[:300])

        # The submit: a fresh, complete draft of another team each time.
        waiting = list(fixture.drafts)
        current: dict = {}

        def next_draft():
            draft = waiting.pop(0)
            current["client"] = client_for(draft)
            current["url"] = reverse("surveys:review", args=[survey_round.slug, draft.team.slug])
            current["done"] = reverse("surveys:done", args=[survey_round.slug, draft.team.slug])

        def submit():
            response = current["client"].post(current["url"])
            assert response.status_code == 302, (response.status_code, response.content[:300])
            assert response["Location"] == current["done"], response["Location"]

        pages = {number: measure(get_page(number)) for number in range(1, len(fixture.pages) + 1)}
        page_size = len(fixture.page_questions)
        largest = pages[fixture.page]
        measured = [
            (
                f"answering page GET (page {fixture.page}: {page_size} of "
                f"{question_count} questions)",
                {**largest, "target_ms": PAGE_TARGET_MS, "max_queries": PAGE_MAX_QUERIES},
            ),
            (
                f"answering page GET, per question (page {fixture.page}: median ÷ {page_size})",
                {
                    **largest,
                    "median": largest["median"] / page_size,
                    "p95": largest["p95"] / page_size,
                    "cpu_median": largest["cpu_median"] / page_size,
                    "target_ms": PER_QUESTION_TARGET_MS,
                },
            ),
            *(
                (
                    f"answering page GET (page {number}: {len(questions)} questions)",
                    {**pages[number], "max_queries": PAGE_MAX_QUERIES},
                )
                for number, questions in enumerate(fixture.pages, start=1)
                if number != fixture.page
            ),
            (
                f"answering pages GET, per question (all {len(pages)} pages: "
                f"sum of medians ÷ {question_count}; queries: most on a page)",
                {
                    "median": sum(r["median"] for r in pages.values()) / question_count,
                    "p95": sum(r["p95"] for r in pages.values()) / question_count,
                    "cpu_median": sum(r["cpu_median"] for r in pages.values()) / question_count,
                    "queries": max(r["queries"] for r in pages.values()),
                    "runs": largest["runs"],
                    "target_ms": PER_QUESTION_TARGET_MS,
                    "max_queries": PAGE_MAX_QUERIES,
                },
            ),
            (f"autosave POST ({page_size} answers)", measure(autosave)),
            (
                f"submit POST ({question_count} answers, team of {MEMBERS}, incl. scoring)",
                {**measure(submit, before=next_draft), "max_queries": SUBMIT_MAX_QUERIES},
            ),
        ]
        submitted = Response.objects.filter(
            round=survey_round,
            pk__in=[d.pk for d in fixture.drafts],
            status=Response.Status.SUBMITTED,
        ).count()
        used = len(fixture.drafts) - len(waiting)
        assert submitted == used, f"{used} drafts submitted in the benchmark, {submitted} stored"
        return measured
    finally:
        for client in clients:
            client.logout()
        cleanup()


def main():
    print(HEADER)
    for name, result in results():
        print(row(name, result))


if __name__ == "__main__":
    main()
