"""assessment.db.prepared_cursor: statements PostgreSQL keeps planned (the answering reads)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.db import prepared_cursor
from surveys.selectors import member_survey
from tests.factories import MembershipFactory, SurveyRoundFactory
from tests.processes import setting_in_new_process

pytestmark = pytest.mark.django_db


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_cursor_runs_and_is_counted_like_any_other():
    with CaptureQueriesContext(connection) as ctx, prepared_cursor() as cursor:
        cursor.execute("SELECT %s + %s", [1, 2])
        assert cursor.fetchone()[0] == 3
    assert len(ctx.captured_queries) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_the_access_lookup_is_prepared_after_a_few_runs():
    membership = MembershipFactory()
    survey_round = SurveyRoundFactory(teams=[membership.team])
    assert not any("surveys_membership" in s for s in prepared_statements())
    for _ in range(6):
        found = member_survey(membership.user, survey_round.slug, membership.team.slug)
        assert found[0] == survey_round
    assert any("surveys_membership" in s for s in prepared_statements())


def prepare_threshold(**env: str):
    return setting_in_new_process(
        "settings.DATABASES['default']['OPTIONS'].get('prepare_threshold', 'unset')",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/any",
        **env,
    )


def test_prepared_statements_can_be_switched_off_for_a_pooler():
    assert prepare_threshold() == 5
    assert prepare_threshold(DATABASE_PREPARED_STATEMENTS="false") is None
