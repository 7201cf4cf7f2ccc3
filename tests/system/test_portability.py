"""Moving an installation from SQLite to PostgreSQL with dumpdata/loaddata keeps everything.

The dump is made by a separate process from a real SQLite database; it is loaded
into the database under test (PostgreSQL in the PostgreSQL pass of make test).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from reports.models import TeamCategoryScore, TeamQuestionScore, TeamRoundSummary
from surveys.models import Answer, Response, SurveyRound, Team

ROOT = Path(__file__).resolve().parents[2]
DUMP_ARGS = [
    "dumpdata",
    "--natural-foreign",
    "--natural-primary",
    "--exclude=contenttypes",
    "--exclude=auth.permission",
    "--exclude=sessions",
    "--exclude=admin.logentry",
    "--indent=0",
]


def run(*args: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sqlite_installation_moves_to_this_database_with_every_answer_and_score(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'old.sqlite3'}", DJANGO_DEBUG="true")
    run("migrate", "--noinput", env=env)
    run("load_questionnaire", "fixtures/questionnaires/devops-maturity-v1.yaml", env=env)
    run("load_questionnaire", "fixtures/questionnaires/devops-maturity-v2.yaml", env=env)
    run("seed_demo", env=env)
    counts = run(
        "shell",
        "-c",
        "from surveys.models import Answer, Response; from reports.models import "
        "TeamCategoryScore as C; print(Response.objects.count(), Answer.objects.count(), "
        "C.objects.count())",
        env=env,
    ).split()[-3:]
    dump = tmp_path / "shipshape.json"
    dump.write_text(run(*DUMP_ARGS, env=env))

    # This test database already has the role groups from migrations, as a
    # fresh PostgreSQL installation would after `migrate`.
    call_command("loaddata", str(dump), verbosity=0)

    assert [
        Response.objects.count(),
        Answer.objects.count(),
        TeamCategoryScore.objects.count(),
    ] == [int(n) for n in counts]
    assert Team.objects.count() == 6
    assert SurveyRound.objects.count() == 9
    assert TeamQuestionScore.objects.exists() and TeamRoundSummary.objects.exists()
    # The moved scores are exactly what a recomputation from the moved answers gives.
    from reports.services import round_scores_recompute

    for survey_round in SurveyRound.objects.all():
        assert round_scores_recompute(survey_round=survey_round).total == 0
