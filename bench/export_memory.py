"""Memory and time of a large answers CSV export (not a test: run it by hand).

Creates a closed round with about 10^6 submitted answers on the database in
DATABASE_URL (bulk inserts, anonymous responses), then, in a fresh process so
the inserts do not count, streams the answers CSV export of every team through
the same exporter code the views use (reports.exporters.answers_csv) into
/dev/null, and prints one result line with the peak RSS and the time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shipshape_bench \\
        .venv/bin/python bench/export_memory.py            # create once, then measure
    ... bench/export_memory.py --reuse                     # measure existing data again
    ... bench/export_memory.py --drop                      # remove the benchmark round
    ... bench/export_memory.py --round SLUG                # an existing round, every team
                                                           # (e.g. the synthetic 1,000 teams)

Use a database of its own: the round, its teams and 10^6 answers stay there
until --drop. The figure is recorded in docs/performance.md ("Exports").
"""

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assessment.settings")

ROUND_SLUG = "bench-export-memory"
TEAM_PREFIX = "bench-export-"
TEAMS = 40
INSERT_BATCH = 5000
QUESTIONNAIRE_FILE = ROOT / "fixtures" / "questionnaires" / "devops-maturity-v1.yaml"


def _setup() -> None:
    import django

    django.setup()


def _rss_mb() -> float:
    """Current resident set size, from /proc (Linux), in MB."""
    with open("/proc/self/statm") as statm:  # size, resident, ... in pages
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_rss_mb() -> float:
    """Peak resident set size of this process image, in MB.

    VmHWM is reset by exec; ru_maxrss is not, so in a child it would start at
    the parent's size (here: the parent that just inserted 10^6 rows).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def _questionnaire():
    from assessment.loader import read_questionnaire_file
    from assessment.models import Questionnaire
    from assessment.services import questionnaire_load

    existing = Questionnaire.objects.filter(slug="devops-maturity", version=1).first()
    if existing is not None:
        return existing
    return questionnaire_load(spec=read_questionnaire_file(QUESTIONNAIRE_FILE)).questionnaire


def create(answers_wanted: int) -> None:
    from django.db import transaction

    from assessment.models import Question
    from surveys.models import Answer, Response, SurveyRound, Team

    questionnaire = _questionnaire()
    questions = list(
        Question.objects.filter(questionnaire=questionnaire).prefetch_related("choices")
    )
    per_response = sum(question.kind != Question.Kind.TEXT for question in questions) + 1
    responses_wanted = -(-answers_wanted // per_response)
    rng = random.Random(2026)
    started = time.perf_counter()
    with transaction.atomic():
        teams = [
            Team.objects.get_or_create(
                slug=f"{TEAM_PREFIX}{number}", defaults={"name": f"Bench export {number}"}
            )[0]
            for number in range(TEAMS)
        ]
        survey_round = SurveyRound.objects.create(
            name="Bench export memory",
            slug=ROUND_SLUG,
            questionnaire=questionnaire,
            opens_at=datetime(2020, 1, 6, tzinfo=UTC),
            closes_at=datetime(2020, 2, 1, tzinfo=UTC),
        )
        survey_round.teams.set(teams)
    submitted_at = datetime(2020, 1, 20, tzinfo=UTC)
    texts = [question for question in questions if question.kind == Question.Kind.TEXT]
    written = 0
    batch: list[Answer] = []
    for start in range(0, responses_wanted, 1000):
        count = min(1000, responses_wanted - start)
        responses = Response.objects.bulk_create(
            Response(
                round=survey_round,
                team=teams[(start + index) % TEAMS],
                status=Response.Status.SUBMITTED,
                started_at=submitted_at,
                updated_at=submitted_at,
                submitted_at=submitted_at,
            )
            for index in range(count)
        )
        for response in responses:
            for question in questions:
                if question.kind == Question.Kind.TEXT:
                    continue
                if question.kind == Question.Kind.PERCENT:
                    answer = Answer(response=response, question=question, number=rng.randint(0, 60))
                else:
                    choice = rng.choice(list(question.choices.all()))
                    answer = Answer(response=response, question=question, choice=choice)
                batch.append(answer)
            batch.append(
                Answer(
                    response=response,
                    question=rng.choice(texts),
                    text="Flaky end-to-end tests still block merges a few times a week.",
                )
            )
            if len(batch) >= INSERT_BATCH:
                Answer.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        if start % 5000 == 0:
            print(f"  {written:,} answers inserted", flush=True)
    Answer.objects.bulk_create(batch)
    written += len(batch)
    print(
        f"Created {responses_wanted:,} responses with {written:,} answers in "
        f"{time.perf_counter() - started:.0f} s"
    )


def measure(slug: str = ROUND_SLUG) -> None:
    baseline_peak = _peak_rss_mb()
    from django.db import connection

    from reports.exporters import ExportRequest, get_exporter
    from surveys.models import SurveyRound

    survey_round = SurveyRound.objects.select_related("questionnaire").get(slug=slug)
    teams = list(survey_round.teams.order_by("name"))
    exporter = get_exporter("answers-csv")
    before = _rss_mb()
    started = time.perf_counter()
    filename, _, chunks = exporter(ExportRequest.for_admin(survey_round, teams)).render()
    size = lines = 0
    samples = []
    with open(os.devnull, "wb") as sink:
        for number, chunk in enumerate(chunks):
            sink.write(chunk)
            size += len(chunk)
            lines += chunk.count(b"\r\n")
            if number % 200 == 0:
                samples.append(_rss_mb())
    elapsed = time.perf_counter() - started
    peak = _peak_rss_mb()
    print(
        f"answers-csv export ({filename}): {lines - 1:,} answer rows, {size / 1e6:.1f} MB of CSV "
        f"in {elapsed:.1f} s; peak RSS {peak:.0f} MB (process before the export "
        f"{before:.0f} MB, RSS during the export {min(samples):.0f}-{max(samples):.0f} MB, "
        f"after Django setup {baseline_peak:.0f} MB); {len(teams):,} teams; {connection.vendor}"
    )


def drop() -> None:
    from surveys.models import SurveyRound, Team

    SurveyRound.objects.filter(slug=ROUND_SLUG).delete()
    Team.objects.filter(slug__startswith=TEAM_PREFIX).delete()
    print("Benchmark round and teams removed.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000, help="answers to create")
    parser.add_argument("--reuse", action="store_true", help="use the existing benchmark round")
    parser.add_argument("--drop", action="store_true", help="remove the benchmark data and stop")
    parser.add_argument(
        "--round", metavar="SLUG", help="measure this existing round (every team) instead"
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    _setup()
    if options.measure:
        measure(options.round or ROUND_SLUG)
        return
    if options.round:
        subprocess.run(
            [sys.executable, __file__, "--measure", "--round", options.round], check=True
        )
        return
    if options.drop:
        drop()
        return
    from surveys.models import SurveyRound

    exists = SurveyRound.objects.filter(slug=ROUND_SLUG).exists()
    if options.reuse and not exists:
        parser.error("no benchmark round yet: run once without --reuse")
    if not options.reuse:
        if exists:
            parser.error("the benchmark round exists: pass --reuse, or --drop it first")
        create(options.answers)
    # A fresh process, so the memory of the inserts does not count.
    subprocess.run([sys.executable, __file__, "--measure"], check=True)


if __name__ == "__main__":
    main()
