"""A checklist question answered through the form, stored as ticks and scored 0-4."""

import random
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessment.kinds import NONE_OF_THESE
from demo.synthetic import answers_for_person, insert_answers, question_plans, random_profile
from reports.models import TeamCategoryScore, TeamQuestionScore
from surveys.forms import CategoryAnswerForm, field_name
from surveys.models import Answer, Membership
from surveys.services import AnswerValue, response_save_draft, response_start, response_submit
from tests.factories import (
    FIXTURES,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    load_questionnaire,
)
from tests.reports.export_org import facilitator_request, read_csv, run_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def checklist_round():
    questionnaire = load_questionnaire(FIXTURES / "checklist.yaml")
    team = TeamFactory()
    survey_round = SurveyRoundFactory(questionnaire=questionnaire, teams=[team])
    question = questionnaire.questions.prefetch_related("choices").get(key="obs-signals")
    return survey_round, team, question


def _form(question, data=None, answers=None):
    return CategoryAnswerForm(data=data, questions=[question], answers=answers)


def _pks(question, *labels):
    return [str(c.pk) for c in question.choices.all() if c.label in labels]


def test_checklist_renders_one_checkbox_per_practice_plus_none_and_dont_know(checklist_round):
    _, _, question = checklist_round
    html = str(_form(question)[field_name(question)])
    assert html.count('type="checkbox"') == 5
    for label in ("Logs", "Metrics", "Traces", "None of these", "Don&#x27;t know"):
        assert label in html


def test_checklist_form_turns_ticks_into_a_counted_answer(checklist_round):
    _, _, question = checklist_round
    form = _form(question, {field_name(question): _pks(question, "Logs", "Traces")})
    assert form.is_valid(), form.errors
    value = form.answer_values()[question]
    assert value.number == 2
    assert sorted(c.label for c in value.ticked) == ["Logs", "Traces"]

    form = _form(question, {field_name(question): [NONE_OF_THESE]})
    assert form.is_valid()
    assert form.answer_values()[question].number == 0

    form = _form(question, {field_name(question): _pks(question, "Don't know")})
    assert form.is_valid()
    assert form.answer_values()[question].choice.abstain == "dont_know"


def test_checklist_form_refuses_a_practice_ticked_with_dont_know(checklist_round):
    _, _, question = checklist_round
    form = _form(question, {field_name(question): _pks(question, "Logs", "Don't know")})
    assert not form.is_valid()
    assert "None of these" in form.errors[field_name(question)][0]


def _answer(survey_round, team, question, username, *labels):
    user = UserFactory(username=username)
    response = response_start(survey_round=survey_round, team=team, user=user)
    raw = [NONE_OF_THESE] if labels == (NONE_OF_THESE,) else _pks(question, *labels)
    form = _form(question, {field_name(question): raw})
    assert form.is_valid(), form.errors
    return response_submit(response=response, answers=form.answer_values())


def test_ticks_are_stored_and_shown_again_on_the_form(checklist_round):
    survey_round, team, question = checklist_round
    response = _answer(survey_round, team, question, "ana", "Logs", "Metrics")
    answer = Answer.objects.get(response=response, question=question)
    assert answer.number == 2
    assert sorted(answer.ticked.values_list("label", flat=True)) == ["Logs", "Metrics"]
    form = _form(question, answers={question.pk: answer})
    assert sorted(form.initial[field_name(question)]) == sorted(_pks(question, "Logs", "Metrics"))


def test_checklist_scores_into_its_practice_category_like_a_scale_question(checklist_round):
    survey_round, team, question = checklist_round
    _answer(survey_round, team, question, "ana", "Logs", "Metrics", "Traces")  # 4
    _answer(survey_round, team, question, "ben", "Logs")  # 4 x 1/3
    _answer(survey_round, team, question, "cai", NONE_OF_THESE)  # 0
    _answer(survey_round, team, question, "dee", "Don't know")  # no score

    row = TeamQuestionScore.objects.get(round=survey_round, team=team, question_key="obs-signals")
    assert (row.answered, row.abstained) == (3, 1)
    assert row.mean == pytest.approx((4 + 4 / 3 + 0) / 3)
    category = TeamCategoryScore.objects.get(
        round=survey_round, team=team, category_key="observability"
    )
    assert category.mean == pytest.approx((4 + 4 / 3 + 0) / 3)
    assert category.respondents == 3


def test_changing_ticks_to_dont_know_removes_the_ticks(checklist_round):
    survey_round, team, question = checklist_round
    response = _answer(survey_round, team, question, "ana", "Logs", "Metrics")
    form = _form(question, {field_name(question): _pks(question, "Don't know")})
    assert form.is_valid()
    response_save_draft(response=response, answers=form.answer_values())
    answer = Answer.objects.get(response=response, question=question)
    assert (answer.choice.abstain, answer.number) == ("dont_know", None)
    assert list(answer.ticked.all()) == []


def test_a_tick_from_another_question_is_refused(checklist_round):
    survey_round, team, question = checklist_round
    other = load_questionnaire().questions.get(key="cicd-tests").choices.first()
    response = response_start(survey_round=survey_round, team=team, user=UserFactory())
    with pytest.raises(ValueError, match="not a practice"):
        response_save_draft(
            response=response, answers={question: AnswerValue(number=1, ticked=(other,))}
        )


def _closed(survey_round):
    survey_round.opens_at = timezone.now() - timedelta(days=100)
    survey_round.closes_at = timezone.now() - timedelta(days=80)
    survey_round.save()
    return survey_round


def test_the_answers_csv_says_how_many_practices_each_respondent_has_in_place(checklist_round):
    survey_round, team, question = checklist_round
    _answer(survey_round, team, question, "ana", "Logs", "Metrics")
    _answer(survey_round, team, question, "ben", NONE_OF_THESE)
    _answer(survey_round, team, question, "cai", "Don't know")

    _, _, content = run_export("answers-csv", facilitator_request(_closed(survey_round)))

    rows = read_csv(content)
    assert set(rows.question_kind) == {"checklist"}
    cells = sorted(
        zip(rows.choice_label, rows.score.fillna(-1), rows.percent.fillna(-1), strict=True)
    )
    assert cells == [
        ("0 of 3 practices in place", 0.0, -1),
        ("2 of 3 practices in place", 2.67, -1),
        ("Don't know", -1, -1),
    ]


def test_starting_from_last_time_ticks_the_same_practices_again(checklist_round):
    survey_round, team, question = checklist_round
    _answer(survey_round, team, question, "ana", "Logs", "Traces")
    _answer(survey_round, team, question, "ben", "Don't know")
    _closed(survey_round)
    following = SurveyRoundFactory(questionnaire=survey_round.questionnaire, teams=[team])

    ana = response_start(
        survey_round=following,
        team=team,
        user=User.objects.get(username="ana"),
        prefill_from_previous=True,
    )
    ben = response_start(
        survey_round=following,
        team=team,
        user=User.objects.get(username="ben"),
        prefill_from_previous=True,
    )

    answer = Answer.objects.get(response=ana, question=question)
    assert answer.number == 2
    assert sorted(answer.ticked.values_list("label", flat=True)) == ["Logs", "Traces"]
    assert Answer.objects.get(response=ben, question=question).choice.abstain == "dont_know"
    assert ana.prefilled_from_previous


def test_the_demo_generator_ticks_as_many_practices_as_it_counts(checklist_round):
    survey_round, team, question = checklist_round
    plans = question_plans([question])
    rng = random.Random(7)
    rows = []
    for index in range(12):
        response = response_start(
            survey_round=survey_round, team=team, user=UserFactory(username=f"p{index}")
        )
        profile = random_profile(rng, ["observability"], ["obs-signals"])
        person = answers_for_person(plans=plans, profile=profile, round_index=0, rng=rng)
        rows.extend((response.pk, *row) for row in person)
    insert_answers(rows, updated_at=timezone.now())

    answers = Answer.objects.filter(question=question).prefetch_related("ticked")
    counted = [answer.number for answer in answers if answer.choice_id is None]
    assert counted and len(set(counted)) > 1, "the generator should vary how many are in place"
    for answer in answers:
        if answer.choice_id is None:
            assert answer.ticked.count() == answer.number
        else:
            assert answer.choice.abstain == "dont_know" and not answer.ticked.exists()


def test_a_page_of_answered_checklists_costs_the_same_queries_for_one_or_three(client):
    """The ticks of every checklist on a page are read in one query, not one per question."""
    questionnaire = load_questionnaire(FIXTURES / "checklists.yaml")
    team = TeamFactory()
    survey_round = SurveyRoundFactory(questionnaire=questionnaire, teams=[team])
    user = UserFactory(username="ana")
    Membership.objects.create(user=user, team=team)
    response = response_start(survey_round=survey_round, team=team, user=user)
    questions = list(questionnaire.questions.prefetch_related("choices"))
    ticked = {q: tuple(q.choices.all()[:2]) for q in questions}
    response_save_draft(
        response=response,
        answers={q: AnswerValue(number=len(t), ticked=t) for q, t in ticked.items()},
        page=1,
    )
    client.force_login(user)
    pages = [reverse("surveys:page", args=[survey_round.slug, team.slug, n]) for n in (1, 2)]
    client.get(pages[0])  # the questionnaire's structure and the menu, read once
    counts = []
    for url in pages:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        counts.append(len(queries))
        html = page.content.decode()
        for question in questionnaire.questions.filter(
            category__name=page.context["category"].name
        ):
            for choice in ticked[question]:
                assert re.search(rf'value="{choice.pk}" id="[^"]+" checked>', html), choice.label
    # 1 session, 2 user, 3 round, team and response, 4 the page's answers, 5 their ticks.
    assert counts == [5, 5]
