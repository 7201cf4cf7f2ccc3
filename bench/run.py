"""Every benchmark on the current database, as one markdown table (`make bench`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shipshape_perf .venv/bin/python bench/run.py
    ... bench/run.py --only dashboards,answering     # some sections only

Sections: dashboards (bench/dashboards.py), answering (bench/answering.py),
export (the answers CSV of every round, in a fresh process for its memory),
naive (bench/naive.py, with dashboard / naive ratios) and scaling
(bench/scaling.py, in scratch databases beside this one). Timings are the
median and p95 of 30 runs after 3 warm-up runs unless the "runs" column says
otherwise; "CPU ms" is the median CPU time of this process in one run (no
waiting for the database server or for a busy CPU); "queries" is the number of
SQL queries of one run. The 1-minute load average is printed with every row:
other work on the machine skews the timings, so compare figures taken at a low
load. The cache is cleared for the
uncached rows: with REDIS_URL set, use a Redis database of the benchmark's own.
See docs/performance.md for the dataset and the targets.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

SECTIONS = ("dashboards", "answering", "export", "naive", "scaling")

# Targets of the issue (docs/performance.md), in ms unless said otherwise.
TARGETS = {
    "organisation dashboard, uncached": 150,
    "organisation dashboard, cached": 20,
    "team dashboard, uncached": 150,
    "team dashboard, cached": 20,
    "answering page": 60,
    "submit": 150,
}
FIRST_BYTE_TARGET_MS = 1000
PEAK_MEMORY_TARGET_MB = 200
SCALING_TARGET = 1.3


def _peak_rss_mb() -> float:
    """This process's resident-memory high-water mark (VmHWM), in MB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _export_child() -> None:
    """Stream the answers CSV of every round, as the download view does; print JSON."""
    import common  # noqa: F401  (sets up Django)

    from reports.export_views import download
    from reports.exporters import ExportRequest, get_exporter
    from surveys.models import Response, SurveyRound

    before = _peak_rss_mb()
    exporter = get_exporter("answers-csv")
    rounds = list(
        SurveyRound.objects.filter(responses__status=Response.Status.SUBMITTED)
        .distinct()
        .select_related("questionnaire")
        .order_by("opens_at")
    )
    first_bytes, rows, size = [], 0, 0
    started = time.perf_counter()
    for survey_round in rounds:
        teams = list(survey_round.teams.order_by("name"))
        requested = time.perf_counter()
        response = download(exporter(ExportRequest.for_admin(survey_round, teams)).render())
        for number, chunk in enumerate(response.streaming_content):
            if number == 0:
                first_bytes.append((time.perf_counter() - requested) * 1000)
            size += len(chunk)
            rows += chunk.count(b"\r\n")
        rows -= 1  # the header line
    print(
        json.dumps(
            {
                "rounds": len(rounds),
                "rows": rows,
                "megabytes": size / 1e6,
                "seconds": time.perf_counter() - started,
                "first_bytes_ms": sorted(first_bytes),
                "peak_rss_mb": _peak_rss_mb(),
                "rss_before_mb": before,
            }
        )
    )


def _ms(value: float) -> str:
    # Two decimals for small figures: a per-question time of 0.96 is not "1.0".
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


class Report:
    """Collects rows and prints them as one table at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []
        self.notes: list[str] = []

    def add(
        self,
        name: str,
        *,
        median: str = "",
        p95: str = "",
        cpu: str = "",
        queries: str = "",
        runs: str = "",
        target: str = "",
        verdict: str = "",
    ) -> None:
        load = f"{os.getloadavg()[0]:.2f}"
        self.rows.append((name, median, p95, cpu, queries, runs, load, target, verdict))

    def add_timing(self, name: str, result: dict, target_ms: float | None = None) -> None:
        """A timing row. A result may carry its own targets: ``target_ms`` (median at
        most) and ``max_queries``; ``target_ms`` given here means median below."""
        targets, missed = [], []
        if "target_ms" in result:
            targets.append(f"median ≤ {result['target_ms']:g} ms")
            if result["median"] > result["target_ms"]:
                missed.append("time")
        elif target_ms is not None:
            targets.append(f"median < {target_ms:g} ms")
            if result["median"] >= target_ms:
                missed.append("time")
        if "max_queries" in result:
            targets.append(f"≤ {result['max_queries']} queries")
            if result["queries"] > result["max_queries"]:
                missed.append("queries")
        verdict = ""
        if targets:
            verdict = f"MISSED ({', '.join(missed)})" if missed else "met"
        self.add(
            name,
            median=_ms(result["median"]),
            p95=_ms(result["p95"]),
            cpu=_ms(result["cpu_median"]) if "cpu_median" in result else "",
            queries=str(result["queries"]),
            runs=str(result.get("runs", 30)),
            target=", ".join(targets),
            verdict=verdict,
        )

    def print(self) -> None:
        print(
            "| benchmark | median ms | p95 ms | CPU ms | queries | runs | load 1m | target "
            "| verdict |\n|---|---:|---:|---:|---:|---:|---:|---|---|"
        )
        for values in self.rows:
            print("| " + " | ".join(values) + " |")
        for note in self.notes:
            print(f"\n{note}")


def _target_for(name: str) -> float | None:
    return next((ms for prefix, ms in TARGETS.items() if name.startswith(prefix)), None)


def run_dashboards(report: Report, context: dict) -> None:
    import dashboards

    for name, result in dashboards.results():
        context[name] = result
        report.add_timing(name, result, _target_for(name))


def run_answering(report: Report, context: dict) -> None:
    import answering

    for name, result in answering.results():
        report.add_timing(name, result, _target_for(name))


def run_export(report: Report, context: dict) -> None:
    output = subprocess.run(
        [sys.executable, __file__, "--export-child"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(output.strip().splitlines()[-1])
    first = data["first_bytes_ms"]
    slowest = max(first) if first else 0.0
    report.add(
        f"answers CSV export, first byte ({data['rounds']} rounds, one export each)",
        median=f"{first[len(first) // 2]:.1f}" if first else "",
        p95=f"{slowest:.1f} (max)",
        runs=str(len(first)),
        target=f"< {FIRST_BYTE_TARGET_MS} ms",
        verdict="met" if slowest < FIRST_BYTE_TARGET_MS else "MISSED",
    )
    report.add(
        f"answers CSV export, whole dataset: {data['rows']:,} rows, {data['megabytes']:.0f} MB",
        median=f"{data['seconds'] * 1000:.0f}",
        runs="1",
        target="(time: no target)",
    )
    report.add(
        f"answers CSV export, peak RSS {data['peak_rss_mb']:.0f} MB "
        f"(process before the export: {data['rss_before_mb']:.0f} MB)",
        runs="1",
        target=f"peak < {PEAK_MEMORY_TARGET_MB} MB",
        verdict="met" if data["peak_rss_mb"] < PEAK_MEMORY_TARGET_MB else "MISSED",
    )


def run_naive(report: Report, context: dict) -> None:
    import naive

    measured = naive.results()
    for name, result in measured:
        report.add_timing(f"{name} ({result['rows']:,} rows)", result)
    naive_ms = measured[0][1]["median"]
    for name in ("organisation dashboard, uncached", "team dashboard, uncached"):
        if name in context:
            ratio = context[name]["median"] / naive_ms
            report.add(
                f"{name} / naive: {ratio:.3f} (the dashboard is {1 / ratio:.0f}x faster)",
                target="(context)",
            )


def run_scaling(report: Report, context: dict) -> None:
    import scaling

    sizes = scaling.results()
    for size in sizes:
        for name, result in size["results"]:
            report.add_timing(
                f"scaling {size['factor']}x ({size['answers']:,} answers): {name}", result
            )
    report.notes.append(
        "Scaling sizes, each in a scratch database: "
        + "; ".join(f"{size['label']} ({size['answers']:,} answers)" for size in sizes)
        + ". Measured in the order 1x, 10x, 1x, 10x: each figure is the mean of its two passes."
    )
    for name, ratio in scaling.ratios(sizes):
        is_dashboard = "dashboard" in name
        report.add(
            f"scaling 10x / 1x answers, {name}: {ratio:.2f}",
            target=f"< {SCALING_TARGET}" if is_dashboard else "(context: grows with answers)",
            verdict=("met" if ratio < SCALING_TARGET else "MISSED") if is_dashboard else "",
        )


RUNNERS: dict[str, Callable[[Report, dict], None]] = {
    "dashboards": run_dashboards,
    "answering": run_answering,
    "export": run_export,
    "naive": run_naive,
    "scaling": run_scaling,
}


def _dataset() -> str:
    from django.db.models import Count

    from surveys.models import Answer, Response, SurveyRound, Team

    respondents = (
        Response.objects.values("round_id", "team_id").annotate(n=Count("id")).order_by("-n")[:1]
    )
    largest = respondents[0]["n"] if respondents else 0
    return (
        f"{Team.objects.count()} teams, {SurveyRound.objects.count()} rounds, "
        f"{Response.objects.count():,} responses (at most {largest} per team and round), "
        f"{Answer.objects.count():,} answers"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", help=f"comma-separated sections to run, of: {', '.join(SECTIONS)}"
    )
    parser.add_argument("--export-child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.export_child:
        _export_child()
        return
    sections = options.only.split(",") if options.only else list(SECTIONS)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    from common import database_description, load_average, machine_description
    from django.conf import settings

    started = datetime.now(UTC)
    print(f"Shipshape benchmarks, {started:%Y-%m-%d %H:%M} UTC")
    print(f"- machine: {machine_description()}")
    print(f"- database: {database_description()}: {_dataset()}")
    print(f"- cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}")
    print(f"- load average (1 / 5 / 15 min) at start: {load_average()}")
    print(flush=True)
    report = Report()
    context: dict = {}
    for section in SECTIONS:
        if section in sections:
            print(f"running {section} ...", file=sys.stderr, flush=True)
            RUNNERS[section](report, context)
    report.print()
    elapsed = (datetime.now(UTC) - started).total_seconds()
    print(f"\nLoad average at the end: {load_average()}; {elapsed:.0f} s in all.")


if __name__ == "__main__":
    main()
