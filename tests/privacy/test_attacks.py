"""Each attack of docs/privacy.md, played as its user would play it, and failing.

The organisation is tests/privacy/organisation.py: Payments with lead Lee and
members Ana, Ben, Cai and Dan (each with distinct answers), Checkout with Bob,
a manager and a facilitator, and one round, open until a test closes it.
"""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from surveys.manage_forms import RoundForm
from surveys.models import Response, SurveyRound
from surveys.services import (
    IncompleteResponseError,
    membership_set,
    response_save_draft,
    round_extend,
)
from tests.factories import (
    MembershipFactory,
    UserFactory,
    answers_for,
    close_round,
    load_questionnaire,
    submit,
)
from tests.privacy.organisation import DORA, PEOPLE

pytestmark = pytest.mark.django_db


def rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def score_cells(response) -> list[str]:
    """Every score-like cell of a scores CSV, as text."""
    return [
        row[column]
        for row in rows(response)
        for column in ("score", "sd", "median", "q1", "q3", "minimum", "maximum")
        if row.get(column)
    ]


# --- 1. the lead's two downloads -----------------------------------------------------


def test_lead_cannot_tell_who_submitted_next_from_two_answer_downloads(client, org):
    client.force_login(org.lead)
    for name in ("ana", "ben", "cai"):
        org.answer(name)
    first = client.get(org.export_url("answers-csv"))
    org.answer("dan")
    second = client.get(org.export_url("answers-csv"))

    # While the round is open, no answers leave the database for anyone.
    for response in (first, second):
        assert response.status_code == 403
        assert "appear when the round closes" in response.text
    # Who has not submitted is all a lead learns: a count and names, never answers.
    my_surveys = client.get(reverse("surveys:my_surveys")).text
    assert "Ana wrote" not in my_surveys

    close_round(org.survey_round)
    after_close = client.get(org.export_url("answers-csv"))
    assert after_close.status_code == 403
    assert "facilitators" in after_close.text


def test_facilitator_making_themselves_lead_learns_nothing_more(client, org):
    for name in ("ana", "ben", "cai"):
        org.answer(name)
    membership_set(team=org.payments, user=org.facilitator, role="lead", actor=org.facilitator)
    client.force_login(org.facilitator)

    before = client.get(org.export_url("answers-csv"))
    assert before.status_code == 403  # results appear at the close, for leads too

    org.answer("dan")
    close_round(org.survey_round)
    one, two = (client.get(org.export_url("answers-csv")) for _ in range(2))
    first, second = rows(one), rows(two)
    # Aliases are drawn afresh for every download: the two cannot be joined.
    assert {r["respondent"] for r in first}.isdisjoint({r["respondent"] for r in second})
    assert len({r["respondent"] for r in first}) == 4
    # No free text ever travels with a row of scores.
    assert "text" not in first[0]
    assert not any("wrote" in value for row in first for value in row.values())


# --- 2. differencing n and n + 1 -----------------------------------------------------


def test_manager_cannot_difference_an_open_round(client, org):
    client.force_login(org.manager)
    for name in ("ana", "ben", "cai"):
        org.answer(name)
    at_n = client.get(org.export_url("csv"))
    dashboard_at_n = client.get(org.dashboard_url + f"?round={org.survey_round.slug}")
    org.answer("dan")
    at_n_plus_1 = client.get(org.export_url("csv"))

    assert at_n.status_code == at_n_plus_1.status_code == 403
    assert "appear when the round closes" in dashboard_at_n.text
    assert "3 of 5 members have submitted" in dashboard_at_n.text
    assert "Category scores over time" not in dashboard_at_n.text
    org_page = client.get(reverse("reports:org_dashboard") + f"?round={org.survey_round.slug}")
    assert "appear when the round closes" in org_page.text
    assert "Maturity by team and category" not in org_page.text


def test_edits_after_submitting_are_invisible_until_the_close(client, org):
    client.force_login(org.facilitator)
    for name in ("ana", "ben", "cai"):
        org.answer(name)
    org.answer("ana", **{"cicd-tests": 0})  # an edit after submitting
    assert client.get(org.export_url("json")).status_code == 403


def test_a_closed_round_cannot_be_reopened_to_release_a_second_time(client, org):
    close_round(org.survey_round)
    with pytest.raises(ValidationError, match="cannot be reopened"):
        round_extend(
            survey_round=org.survey_round,
            closes_at=timezone.now() + timedelta(days=3),
            actor=org.facilitator,
        )
    client.force_login(org.facilitator)
    response = client.post(
        reverse("surveys:round_extend", args=[org.survey_round.slug]),
        {"closes_at": (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "cannot be reopened" in response.text
    org.survey_round.refresh_from_db()
    assert org.survey_round.is_closed()


# --- 3. members and leads under k ------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "lead"])
def test_team_members_see_nothing_of_their_own_team_under_k(client, org, who):
    org.answer("ana")
    org.answer("ben")
    close_round(org.survey_round)
    client.force_login(org.members["cai"] if who == "member" else org.lead)

    page = client.get(org.dashboard_url)
    document = json.loads(client.get(org.export_url("json")).content)

    assert "withheld from everyone, the team included" in page.text
    assert "Ana wrote" not in page.text
    team = document["team_rounds"][0]
    assert team["withheld"] is True
    assert all(c["score"] is None for c in team["categories"])
    assert all(q["score"] is None and q["n"] is None for q in team["questions"])
    assert team["overall"]["score"] is None


# --- 4. reflections of a team under k ------------------------------------------------


def test_facilitator_cannot_read_reflections_of_a_team_under_k(client, org):
    org.answer("ana")
    org.answer("ben")
    close_round(org.survey_round)
    client.force_login(org.facilitator)

    page = client.get(org.dashboard_url)
    pack = client.get(org.export_url("md"))

    assert "Ana wrote" not in page.text and "Ben wrote" not in page.text
    assert "Ana wrote" not in pack.content.decode()
    assert "reflections are withheld" in pack.content.decode()


def test_reflections_appear_after_the_close_with_k_responses_for_the_team(client, org):
    for name in ("ana", "ben", "cai"):
        org.answer(name)
    close_round(org.survey_round)
    client.force_login(org.members["dan"])  # a member at the close who did not answer

    page = client.get(org.dashboard_url).text
    assert all(f"{name} wrote" in page for name in ("Ana", "Ben", "Cai"))
    # Never in the spreadsheet formats, where they could sit next to scores.
    client.force_login(org.facilitator)
    document = client.get(org.export_url("json")).content.decode()
    assert "wrote" not in document


# --- 5. quartiles of small groups ----------------------------------------------------


def test_five_number_summary_needs_2k_responses(client, org):
    for name in ("ana", "ben", "cai", "dan"):
        org.answer(name)
    close_round(org.survey_round)
    client.force_login(org.manager)

    table = rows(client.get(org.export_url("csv")))
    tests = next(row for row in table if row["question_key"] == "cicd-tests")

    assert tests["score"] == "1.75"  # the mean of 4, 1, 2, 0 is still shown
    for column in ("sd", "median", "q1", "q3", "minimum", "maximum"):
        assert tests[column] == "", column


def test_five_number_summary_is_shown_from_2k(client, org):
    for name in ("x0", "x1"):
        MembershipFactory(team=org.payments, user=UserFactory(username=name))
    for name in ("ana", "ben", "cai", "dan"):
        org.answer(name)
    for name in ("x0", "x1"):
        submit(org.survey_round, org.payments, name, {**PEOPLE["ana"], **DORA})
    close_round(org.survey_round)
    client.force_login(org.manager)

    table = rows(client.get(org.export_url("csv")))
    tests = next(row for row in table if row["question_key"] == "cicd-tests")
    assert tests["minimum"] == "0.0" and tests["maximum"] == "4.0"


# --- 6. the late joiner ------------------------------------------------------------------


def test_someone_who_joins_after_the_close_sees_nothing_of_that_round(client, org):
    for name in ("ana", "ben", "cai"):
        org.answer(name)
    close_round(org.survey_round)
    newcomer = MembershipFactory(team=org.payments, user=UserFactory(username="newcomer")).user
    client.force_login(newcomer)

    page = client.get(org.dashboard_url + f"?round={org.survey_round.slug}")
    export = client.get(org.export_url("csv"))

    assert page.status_code == 200
    assert "Ana wrote" not in page.text
    assert "Category scores over time" not in page.text
    assert export.status_code == 403
    # A member at the close still sees them.
    client.force_login(org.members["dan"])
    assert "Category scores over time" in client.get(org.dashboard_url).text


def test_joining_during_the_open_round_counts_as_a_member_at_the_close(client, org):
    joiner = MembershipFactory(team=org.payments, user=UserFactory(username="joiner")).user
    for name in ("ana", "ben", "cai"):
        org.answer(name)
    close_round(org.survey_round)
    client.force_login(joiner)
    assert "Category scores over time" in client.get(org.dashboard_url).text


# --- 7. free text next to scores ------------------------------------------------------


def test_answers_csv_carries_no_free_text(client, org):
    for name in ("ana", "ben", "cai"):
        org.answer(name)
    close_round(org.survey_round)
    client.force_login(org.facilitator)

    table = rows(client.get(org.export_url("answers-csv")))

    assert "text" not in table[0]
    assert {row["question_kind"] for row in table} <= {"scale", "choice", "percent"}


def test_answers_csv_withholds_teams_under_k_even_for_facilitators(client, org):
    org.answer("ana")
    org.answer("ben")
    close_round(org.survey_round)
    client.force_login(org.facilitator)

    table = rows(client.get(org.export_url("answers-csv")))

    assert len(table) == 1 and table[0]["withheld"] == "true"


# --- 8. k = 1 and emptied responses ------------------------------------------------------


def test_k_below_three_is_refused_by_the_form_the_model_and_the_database(db):
    questionnaire = load_questionnaire()
    form = RoundForm(data={"name": "Tiny", "min_respondents": 1})
    assert not form.is_valid()
    assert "at least 3" in str(form.errors["min_respondents"])

    survey_round = SurveyRound(
        name="Tiny",
        slug="tiny",
        questionnaire=questionnaire,
        opens_at=timezone.now(),
        closes_at=timezone.now() + timedelta(days=1),
        min_respondents=1,
    )
    with pytest.raises(ValidationError, match="at least 3"):
        survey_round.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        survey_round.save()


def test_k_follows_the_server_setting_when_it_is_higher(client, org, settings):
    settings.SHIPSHAPE_MIN_K = 5
    for name in ("ana", "ben", "cai", "dan"):
        org.answer(name)
    close_round(org.survey_round)
    client.force_login(org.manager)
    document = json.loads(client.get(org.export_url("json")).content)
    assert document["rounds"][0]["k"] == 5
    assert document["team_rounds"][0]["withheld"] is True


def test_a_submitted_response_cannot_be_emptied(client, org):
    org.answer("ana")
    response = Response.objects.get(respondent=org.members["ana"])
    with pytest.raises(IncompleteResponseError):
        response_save_draft(
            response=response,
            answers=answers_for(org.survey_round.questionnaire, {"cicd-tests": None}),
        )
    assert response.answers.filter(question__key="cicd-tests").exists()

    client.force_login(org.members["ana"])
    autosave = client.post(
        reverse("surveys:autosave", args=[org.survey_round.slug, org.payments.slug]),
        {"page": 1, "q-cicd-tests": ""},
    )
    assert autosave.status_code == 400
    assert "cannot be left empty" in autosave.json()["error"]
    assert response.answers.filter(question__key="cicd-tests").exists()
