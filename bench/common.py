"""Shared helpers for the benchmark scripts (not tests): timing and Django setup."""

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assessment.settings")
# Benchmarks measure the app, not the debug toolbar of DEBUG mode: query logging off.
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault(
    "DJANGO_SECRET_KEY", "benchmark-only-secret-key-not-for-production-use-xxxxxxxx"
)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# The test client speaks plain HTTP, like `make serve` behind no proxy: with
# debug off the default would answer every request with a redirect to https.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of already sorted values (share 0.95 for p95)."""
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def measure(
    action: Callable[[], object], *, runs: int = 30, warmup: int = 3, before: Callable | None = None
):
    """Median and p95 wall time (ms) of `action`, the median CPU time this process
    spent in it (ms), and the queries of one run.

    CPU time leaves out waiting: for the database server's answer (PostgreSQL
    does its part in another process) and for a CPU that other work holds. It
    still grows when other work shares the CPUs' caches, so compare it at a
    low load too.

    `before` runs ahead of every call, untimed (clear a cache, hand out a fresh draft).
    """
    for _ in range(warmup):
        if before:
            before()
        action()
    timings, cpu = [], []
    for _ in range(runs):
        if before:
            before()
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    if before:
        before()
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        action()
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": percentile(timings, 0.95),
        "cpu_median": statistics.median(cpu),
        "queries": len(ctx.captured_queries),
        "runs": runs,
    }


def row(name: str, result: dict) -> str:
    def ms(value: float) -> str:
        return f"{value:.2f}" if value < 10 else f"{value:.1f}"

    return f"| {name} | {ms(result['median'])} | {ms(result['p95'])} | {result['queries']} |"


HEADER = "| what | median ms | p95 ms | queries |\n|---|---|---|---|"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews timings."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def database_description() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split()[0]
        return f"PostgreSQL {version} ({connection.settings_dict['NAME']})"
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} ({Path(connection.settings_dict['NAME']).name})"
    return connection.vendor


def machine_description() -> str:
    """CPUs, memory and Python, as `nproc` and `free -h` would say."""
    memory = ""
    try:
        with open("/proc/meminfo") as meminfo:
            total_kb = int(meminfo.readline().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.process_cpu_count()} CPUs{memory}, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}"
    )


def newest_questionnaire_questions():
    """The newest published questionnaire and its questions with categories and choices."""
    from assessment.models import Question, Questionnaire

    questionnaire = Questionnaire.objects.published().order_by("slug", "-version").first()
    if questionnaire is None:
        raise SystemExit("No published questionnaire: run load_questionnaire first.")
    questions = list(
        Question.objects.filter(questionnaire=questionnaire)
        .select_related("category")
        .prefetch_related("choices")
        .order_by("category__order", "order")
    )
    return questionnaire, questions
