"""assessment.db.prepared_cursor: statements PostgreSQL keeps planned (the answering reads)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment.db import prepared_cursor
from surveys.selectors import member_survey
from tests.factories import MembershipFactory, SurveyRoundFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


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


def database_options(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])",
        ],
        cwd=ROOT,
        env={
            **clean,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/any",
            **env,
            "DJANGO_SETTINGS_MODULE": "assessment.settings",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return eval(result.stdout)  # a dict of plain values, printed by ourselves


def test_prepared_statements_can_be_switched_off_for_a_pooler():
    assert database_options()["prepare_threshold"] == 5
    options = database_options(DATABASE_PREPARED_STATEMENTS="false")
    assert options["prepare_threshold"] is None
