"""The synthetic organisation behind the benchmarks: what it writes must look like real use."""

import pytest
from django.db import connection, transaction

from demo.synthetic import _group_name, bulk_load, generate_organisation
from reports.models import TeamRoundSummary
from reports.services import round_scores_recompute
from surveys.models import Answer, Response, SurveyRound, Team
from surveys.selectors import participation
from tests.factories import DEFAULT_QUESTIONNAIRE, load_questionnaire

pytestmark = pytest.mark.django_db

TABLES = ("surveys_response", "surveys_answer", "surveys_answer_ticked")


def _schema():
    """Every foreign key and index of the bulk-loaded tables, by name and definition."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = ANY(%s::regclass[])
            UNION ALL
            SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)
            ORDER BY 1
            """,
            [list(TABLES), list(TABLES)],
        )
        return cursor.fetchall()


@pytest.fixture
def organisation():
    questionnaire = load_questionnaire(DEFAULT_QUESTIONNAIRE)
    report = generate_organisation(
        questionnaire=questionnaire, teams=35, rounds=2, respondents=4, seed=3
    )
    return report


def test_every_member_counts_as_invited_to_the_closed_rounds(organisation):
    rounds = list(SurveyRound.objects.all())
    counts = participation(rounds)

    assert len(rounds) == 2 and all(r.is_closed() for r in rounds)
    assert len(counts) == 70
    assert {c.invited for c in counts.values()} == {4}
    assert sum(c.submitted for c in counts.values()) == organisation.responses
    assert all(c.submitted <= c.invited for c in counts.values())


def test_stored_scores_equal_a_recomputation_from_the_answers(organisation):
    assert Answer.objects.count() == organisation.answers
    assert TeamRoundSummary.objects.count() == 70
    for survey_round in SurveyRound.objects.all():
        assert round_scores_recompute(survey_round=survey_round).total == 0


def test_teams_come_in_groups_of_about_25_in_large_organisations():
    assert {_group_name(n, 200) for n in range(1, 201)} == {f"Group {c}" for c in "ABCDEFGHIJ"}
    large = [_group_name(n, 1000) for n in range(1, 1001)]
    assert len(set(large)) == 40
    assert {large.count(name) for name in set(large)} == {25}
    assert sorted(set(large))[:2] == ["Group 01", "Group 02"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk load is PostgreSQL's")
def test_the_bulk_load_puts_back_every_foreign_key_and_index(organisation):
    before = _schema()
    assert any("FOREIGN KEY" in definition for _, definition in before)

    with transaction.atomic(), bulk_load(*TABLES):
        dropped = _schema()

    assert len(dropped) < len(before)
    assert _schema() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bulk load is PostgreSQL's")
def test_a_failed_bulk_load_leaves_the_schema_and_data_as_they_were(organisation):
    before = _schema()
    responses = Response.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic(), bulk_load(*TABLES):
        Response.objects.all().delete()
        raise RuntimeError("interrupted")

    assert _schema() == before
    assert Response.objects.count() == responses
    assert Team.objects.count() == 35
