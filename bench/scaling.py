"""Scaling: the dashboards (and the naive baseline) at 1x and 10x answers.

    DATABASE_URL=postgres://... python bench/scaling.py [--keep]

Same teams x rounds, ten times the respondents: 20 teams x 4 rounds x 8
respondents, and x 80. Each size gets a scratch database beside the current
one (PostgreSQL: "<name>_scaling_1x" and "<name>_scaling_10x" on the same
server, created and dropped here; SQLite: temporary files), so the current
database is never touched. Sizes are measured in the order 1x, 10x, 1x, 10x,
each pass in a child process of its own, and each figure is the mean of its
two passes: a change in the machine's load during the run then shifts both
sizes alike instead of showing up as a cost of the data.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
QUESTIONNAIRE_FILE = ROOT / "fixtures" / "questionnaires" / "devops-maturity-v1.yaml"
TEAMS, ROUNDS, RESPONDENTS, FACTOR = 20, 4, 8, 10


class Scratch:
    """A database of its own for one size: PostgreSQL beside the current one, or SQLite."""

    def __init__(self, current_url: str, suffix: str) -> None:
        self.maintenance_url = None
        if current_url.startswith(("postgres://", "postgresql://")):
            parts = urlsplit(current_url)
            self.name = f"{parts.path.lstrip('/') or 'shipshape'}_scaling_{suffix}"
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self.maintenance_url = urlunsplit(parts._replace(path="/postgres"))
        else:
            directory = tempfile.mkdtemp(prefix="shipshape-scaling-")
            self.name = f"{directory}/scaling_{suffix}.sqlite3"
            self.url = f"sqlite:///{self.name}"

    def _postgres(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.maintenance_url, autocommit=True) as connection:
            connection.execute(statement)

    @property
    def env(self) -> dict[str, str]:
        # The local-memory cache: a shared Redis would mix up the round versions of
        # several databases, and the dashboard benchmark clears the cache.
        env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
        env["DATABASE_URL"] = self.url
        return env

    def create(self) -> None:
        if self.maintenance_url:
            self._postgres(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._postgres(f'CREATE DATABASE "{self.name}"')
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=self.env, check=True)
        subprocess.run(
            [*manage, "load_questionnaire", str(QUESTIONNAIRE_FILE)],
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def drop(self) -> None:
        if self.maintenance_url:
            self._postgres(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            return
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.name}{suffix}").unlink(missing_ok=True)
        Path(self.name).parent.rmdir()

    def child(self, *arguments: str) -> dict:
        """Run this script in the scratch database; its last output line is JSON."""
        output = subprocess.run(
            [sys.executable, __file__, *arguments],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(output.strip().splitlines()[-1])


def _generate(teams: int, rounds: int, respondents: int) -> None:
    import common  # noqa: F401  (sets up Django on DATABASE_URL)

    from assessment.models import Questionnaire
    from demo.synthetic import generate_organisation

    started = time.perf_counter()
    report = generate_organisation(
        questionnaire=Questionnaire.objects.published().get(slug="devops-maturity"),
        teams=teams,
        rounds=rounds,
        respondents=respondents,
    )
    seconds = time.perf_counter() - started
    print(json.dumps({"answers": report.answers, "generated_s": seconds}))


def _measure() -> None:
    import dashboards
    import naive

    measured = dashboards.results() + naive.results(runs=10)[:1]
    print(json.dumps([[name, result] for name, result in measured]))


def _mean_of_passes(first: list, second: list) -> list:
    """One result per figure: the mean of two passes' medians, p95s and CPU medians."""
    merged = []
    for (name, one), (_, two) in zip(first, second, strict=True):
        mean = {key: (one[key] + two[key]) / 2 for key in ("median", "p95", "cpu_median")}
        merged.append((name, {**one, **mean, "runs": one["runs"] + two["runs"]}))
    return merged


def results(
    *, teams: int = TEAMS, rounds: int = ROUNDS, respondents: int = RESPONDENTS, keep: bool = False
) -> list[dict]:
    """One dict per size: factor, label, answers, and the (label, result) pairs measured."""
    current = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'db.sqlite3'}"
    sizes = {factor: Scratch(current, f"{factor}x") for factor in (1, FACTOR)}
    generated = {}
    try:
        for factor, scratch in sizes.items():
            scratch.create()
            people = respondents * factor
            generated[factor] = scratch.child("--generate", f"{teams},{rounds},{people}")
        passes = {factor: [] for factor in sizes}
        for _ in range(2):  # alternate, so a change in the machine's load hits both sizes
            for factor, scratch in sizes.items():
                passes[factor].append(scratch.child("--measure"))
    finally:
        for scratch in sizes.values():
            if keep:
                print(f"Scratch database kept: DATABASE_URL={scratch.url}", file=sys.stderr)
            else:
                scratch.drop()
    return [
        {
            "factor": factor,
            "label": f"{factor}x: {teams} teams x {rounds} rounds x {respondents * factor} "
            "respondents",
            "answers": generated[factor]["answers"],
            "generated_s": generated[factor]["generated_s"],
            "results": _mean_of_passes(*passes[factor]),
        }
        for factor in sizes
    ]


def ratios(sizes: list[dict]) -> list[tuple[str, float]]:
    """(label, 10x median / 1x median) for each measured figure."""
    small, large = sizes[0], sizes[-1]
    large_results = dict(large["results"])
    return [
        (name, large_results[name]["median"] / result["median"])
        for name, result in small["results"]
        if name in large_results
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.generate:
        _generate(*(int(value) for value in options.generate.split(",")))
        return
    if options.measure:
        _measure()
        return
    sizes = results(keep=options.keep)
    print("| size | what | answers | median ms | p95 ms | queries |\n|---|---|---|---|---|---|")
    for size in sizes:
        for name, result in size["results"]:
            print(
                f"| {size['factor']}x | {name} | {size['answers']:,} | {result['median']:.1f} "
                f"| {result['p95']:.1f} | {result['queries']} |"
            )
    for name, ratio in ratios(sizes):
        print(f"10x / 1x, {name}: {ratio:.2f}")


if __name__ == "__main__":
    main()
