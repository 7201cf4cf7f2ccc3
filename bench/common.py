"""Shared helpers for the benchmark scripts (not tests): timing and Django setup."""

import os
import statistics
import sys
import time
from collections.abc import Callable
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

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def measure(
    action: Callable[[], object], *, runs: int = 30, warmup: int = 3, before: Callable | None = None
):
    """Median and p95 wall time (ms) of `action`, and the queries of one run."""
    for _ in range(warmup):
        if before:
            before()
        action()
    timings = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    if before:
        before()
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        action()
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return {"median": statistics.median(timings), "p95": p95, "queries": len(ctx.captured_queries)}


def row(name: str, result: dict) -> str:
    return f"| {name} | {result['median']:.1f} | {result['p95']:.1f} | {result['queries']} |"


HEADER = "| what | median ms | p95 ms | queries |\n|---|---|---|---|"
