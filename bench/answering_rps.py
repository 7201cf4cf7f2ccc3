"""Requests/s of the answering page for one logged-in member, against `make serve`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shipshape_perf \\
    REDIS_URL=redis://127.0.0.1:6379/11 .venv/bin/python bench/answering_rps.py   # or: make rps

Works on any database with a published questionnaire (SQLite too; REDIS_URL is
then optional, as only GETs are measured). Steps:

1. Creates an open round "Bench rps" of the newest published questionnaire for
   a team of its own, and a member with a known password who holds a complete
   draft, so the page shows every answer as chosen.
2. Starts `WEB_CONCURRENCY=<workers> make serve` (gunicorn, WhiteNoise, debug
   off; 2 workers unless --workers says otherwise) on 127.0.0.1:PORT with the
   same DATABASE_URL and REDIS_URL, and waits until it answers.
3. Logs the member in through the login form (CSRF token, the right password),
   then sends --warmup requests, untimed, so every worker has its database
   connection, compiled templates and questionnaire structure.
4. Sends GETs of the page (default: the largest, page 2) with the member's
   cookies over --connections connections to 127.0.0.1, with one of two clients:
   - python: threads with http.client, --requests requests (or --deadline
     seconds, whichever comes first); every answer must be a 200 with the
     page's form in it;
   - wrk (Debian's `wrk`, --client wrk, the default when it is installed): for
     --seconds, from two threads; far less CPU per request than Python, which
     matters on a small machine where the client shares the CPUs with the
     server. Any non-2xx answer or socket error counts as an error.
5. Stops the server (always: also on errors, Ctrl-C or SIGTERM), prints
   requests/s, latency percentiles, errors, how much CPU the client itself
   and the gunicorn processes used, and how busy the machine's CPUs were.
6. Deletes the round, the team, the member and their session.

Exits with status 1 when any request failed. The CPU figures show whether the
client, rather than the server, was the limit.
"""

import argparse
import http.client
import itertools
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import (  # first: it sets up Django
    database_description,
    load_average,
    machine_description,
    newest_questionnaire_questions,
    percentile,
)
from load import PASSWORD, Browser, Server, descendants

PREFIX = "bench-rps"
ROUND_NAME = "Bench rps"


def cleanup(session_keys=()) -> None:
    from django.contrib.auth.models import User
    from django.contrib.sessions.models import Session

    from surveys.models import SurveyRound, Team

    SurveyRound.objects.filter(name=ROUND_NAME).delete()
    Team.objects.filter(slug=PREFIX).delete()
    Session.objects.filter(session_key__in=list(session_keys)).delete()
    User.objects.filter(username=f"{PREFIX}-member").delete()


def create_fixture() -> tuple[str, str, list[int]]:
    """The round, team and member with a complete draft: (round slug, team slug, page sizes)."""
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from demo.synthetic import answers_for_person, insert_answers, question_plans, random_profile
    from surveys.models import Membership, Response, SurveyRound, Team

    questionnaire, questions = newest_questionnaire_questions()
    now = timezone.now()
    rng = random.Random(12)
    with transaction.atomic():
        team = Team.objects.create(name="Bench rps", slug=PREFIX)
        member = User(username=f"{PREFIX}-member")
        member.set_password(PASSWORD)
        member.save()
        Membership.objects.create(user=member, team=team)
        survey_round = SurveyRound.objects.create(
            name=ROUND_NAME,
            slug=PREFIX,
            questionnaire=questionnaire,
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=7),
        )
        survey_round.teams.set([team])
        draft = Response.objects.create(
            round=survey_round, team=team, respondent=member, started_at=now, updated_at=now
        )
        plans = question_plans(questions)
        profile = random_profile(
            rng, sorted({p.category_key for p in plans}), [p.key for p in plans]
        )
        answered = answers_for_person(plans=plans, profile=profile, round_index=0, rng=rng)
        insert_answers([(draft.pk, *answer) for answer in answered], updated_at=now)
    sizes: dict[int, int] = {}
    for question in questions:
        sizes[question.category.order] = sizes.get(question.category.order, 0) + 1
    return survey_round.slug, team.slug, [sizes[order] for order in sorted(sizes)]


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def hammer(
    *, port: int, path: str, cookie: str, marker: bytes, total: int, connections: int, deadline
) -> Run:
    """`total` GETs of `path` from `connections` threads; stops at the deadline too."""
    run = Run()
    counter = itertools.count()
    headers = {"Cookie": cookie}

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while next(counter) < total and time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                run.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            run.latencies_ms.append((time.perf_counter() - started) * 1000)
            if response.status != 200 or marker not in body:
                run.errors.append(f"HTTP {response.status}: {body[:120]!r}")
        connection.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 35)
    return run


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def _gunicorn_processes(root: int) -> list[int]:
    """The live gunicorn processes started under `root` (make).

    Found by parent links, not by process group: `make serve` starts gunicorn
    with setsid (a group of its own), and the task worker beside it is left out.
    """
    found = []
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if b"gunicorn" in cmdline.read():
                    found.append(pid)
        except OSError:
            continue
    return found


class CpuSampler:
    """CPU seconds that a changing set of processes used between start() and stop().

    Processes come and go during a run: gunicorn replaces a worker after
    --max-requests (every 2,000 requests, so several times a run at 200
    requests/s) and the new worker opens a new database connection, i.e. a new
    PostgreSQL backend. Summing the live processes at the start and at the end
    misses the ones that left, and went negative when a backend counted at the
    start was gone at the end. So this reads /proc every `interval` seconds in a
    thread and adds up each process's growth; a process that exits loses at most
    its last interval.
    """

    def __init__(self, select, interval: float = 0.2) -> None:
        self.select, self.interval = select, interval
        self._first: dict[int, int] = {}
        self._last: dict[int, int] = {}
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started_at = 0

    @staticmethod
    def _now_ticks() -> int:
        with open("/proc/uptime") as uptime:
            return int(float(uptime.read().split()[0]) * os.sysconf("SC_CLK_TCK"))

    def _sample(self) -> None:
        for pid in self.select():
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone since it was selected
            ticks = int(fields[11]) + int(fields[12])  # utime + stime
            if pid not in self._first:
                # Born during the run: everything it used counts.
                born_before = int(fields[19]) <= self._started_at
                self._first[pid] = ticks if born_before else 0
            self._last[pid] = ticks

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            self._sample()

    def start(self) -> "CpuSampler":
        self._started_at = self._now_ticks()
        self._sample()
        self._thread.start()
        return self

    def stop(self) -> float:
        self._stopped.set()
        self._thread.join()
        self._sample()
        ticks = sum(self._last[pid] - self._first[pid] for pid in self._last)
        return ticks / os.sysconf("SC_CLK_TCK")


def hammer_with_wrk(*, port: int, path: str, cookie: str, connections: int, seconds: float):
    """(requests, seconds, errors, latency lines, client CPU seconds) of one wrk run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(
        [
            "wrk",
            "--threads",
            "2",
            "--connections",
            str(connections),
            "--duration",
            f"{seconds:g}s",
            "--timeout",
            "30s",
            "--latency",
            "--header",
            f"Cookie: {cookie}",
            f"http://127.0.0.1:{port}{path}",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if not found:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    requests = int(found.group(1))
    elapsed = float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    errors = 0
    for pattern in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: (.*)"):
        match = re.search(pattern, output)
        if match:
            errors += sum(int(n) for n in re.findall(r"\d+", match.group(1)))
    latency = re.findall(r"^\s+(50|90|99)%\s+(\S+)$", output, re.MULTILINE)
    return requests, elapsed, errors, latency, cpu


def _database_backends():
    """A function listing the PostgreSQL backends of this database (the server's
    connections) when PostgreSQL runs on this machine, else None: children of
    the postmaster whose title names the database, this script's own left out."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own,) = cursor.fetchone()
    try:
        with open(f"/proc/{own}/stat") as stat:
            postmaster = int(stat.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None  # PostgreSQL runs elsewhere
    title = f" {connection.settings_dict['NAME']} ".encode()

    def backends() -> list[int]:
        found = []
        for pid in descendants(postmaster):
            if pid == own:
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    if title in cmdline.read().replace(b"\0", b" "):
                        found.append(pid)
            except OSError:
                continue
        return found

    return backends


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8124)))
    parser.add_argument("--page", type=int, default=0, help="page number (default: the largest)")
    parser.add_argument("--connections", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--requests", type=int, default=3000, help="timed requests (default 3000)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests first")
    parser.add_argument("--deadline", type=float, default=120, help="seconds at most (120)")
    parser.add_argument(
        "--client",
        choices=("auto", "python", "wrk"),
        default="auto",
        help="wrk when it is installed, else python (default: auto)",
    )
    parser.add_argument("--seconds", type=float, default=20, help="wrk: timed seconds (20)")
    options = parser.parse_args()
    client = options.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed: apt-get install wrk, or --client python")
    if not 0 < options.seconds <= 300:
        parser.error("--seconds must be between 0 and 300")
    if not 0 < options.deadline <= 600:
        parser.error("--deadline must be between 0 and 600 seconds")

    server_env = {
        **os.environ,
        "PORT": str(options.port),
        "WEB_CONCURRENCY": str(options.workers),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    cache = f"Redis ({os.environ['REDIS_URL']})" if os.environ.get("REDIS_URL") else "local memory"
    print(f"Answering page requests/s, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"- machine: {machine_description()}")
    print(f"- database: {database_description()}; cache: {cache}")
    print(f"- load average before: {load_average()}", flush=True)

    signal.signal(signal.SIGTERM, _interrupt)
    log_path = Path(tempfile.gettempdir()) / f"shipshape-rps-{options.port}.log"
    server = Server(options.port, server_env, log_path)
    session_keys: list[str] = []
    cleanup()
    try:
        round_slug, team_slug, sizes = create_fixture()
        page = options.page or max(range(len(sizes)), key=lambda index: sizes[index]) + 1
        path = f"/surveys/{round_slug}/{team_slug}/page/{page}/"
        try:
            server.start()
            print(
                f"- `WEB_CONCURRENCY={options.workers} make serve` up "
                f"({server.worker_count()} gunicorn workers) on 127.0.0.1:{options.port}, "
                f"log: {log_path}"
            )
            browser = Browser(options.port, [])
            browser.log_in(f"{PREFIX}-member")
            session_keys.append(browser.cookies.get("sessionid", ""))
            cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
            marker = b'name="page" value="%d"' % page
            timed = (
                f"{options.requests} timed"
                if client == "python"
                else f"{options.seconds:g} s timed with wrk"
            )
            print(
                f"- GET {path} (page {page}: {sizes[page - 1]} questions) as a logged-in "
                f"member: {options.warmup} warm-up requests, then {timed}, "
                f"over {options.connections} connections",
                flush=True,
            )
            warm = hammer(
                port=options.port,
                path=path,
                cookie=cookie,
                marker=marker,
                total=options.warmup,
                connections=options.connections,
                deadline=time.monotonic() + 60,
            )
            if warm.errors:
                raise RuntimeError(f"warm-up failed: {warm.errors[:3]}")
            root = server.process.pid
            backends = _database_backends()
            database_sampler = CpuSampler(backends).start() if backends else None
            server_sampler = CpuSampler(lambda: _gunicorn_processes(root)).start()
            cpu_before = _cpu_ticks()
            if client == "python":
                client_before, started = time.process_time(), time.perf_counter()
                run = hammer(
                    port=options.port,
                    path=path,
                    cookie=cookie,
                    marker=marker,
                    total=options.requests,
                    connections=options.connections,
                    deadline=time.monotonic() + options.deadline,
                )
                seconds = time.perf_counter() - started
                client_cpu = time.process_time() - client_before
                done, errors = len(run.latencies_ms), run.errors
                ms = sorted(run.latencies_ms)
                latency = (
                    f"p50 {percentile(ms, 0.5):.1f}, p95 {percentile(ms, 0.95):.1f}, "
                    f"p99 {percentile(ms, 0.99):.1f}, max {ms[-1]:.1f} ms"
                    if ms
                    else "-"
                )
            else:
                done, seconds, error_count, lines, client_cpu = hammer_with_wrk(
                    port=options.port,
                    path=path,
                    cookie=cookie,
                    connections=options.connections,
                    seconds=options.seconds,
                )
                errors = [f"wrk: {error_count} non-2xx answers or socket errors"] * bool(
                    error_count
                )
                latency = ", ".join(f"p{share} {value}" for share, value in lines) or "-"
            server_cpu = server_sampler.stop()
            database_cpu = database_sampler.stop() if database_sampler else 0.0
            cpu_after = _cpu_ticks()
            load_after = load_average()
        finally:
            server.stop()
    finally:
        cleanup(session_keys)

    busy = (cpu_after[0] - cpu_before[0]) / max(1, cpu_after[1] - cpu_before[1])
    cpus = os.process_cpu_count() or 1
    print(f"- load average right after the timed requests: {load_after}\n")
    print(
        f"{done} requests in {seconds:.2f} s ({client} client): "
        f"**{done / seconds:.0f} requests/s**, {len(errors)} errors"
    )
    print(f"latency: {latency}")
    restarts = log_path.read_text(errors="replace").count("Autorestarting worker")
    if restarts:
        print(
            f"gunicorn replaced a worker {restarts} times (--max-requests); "
            "the first requests of a new worker are slower"
        )
    per_request = max(done, 1) / 1000
    database = (
        f", PostgreSQL {database_cpu:.1f} s ({database_cpu / per_request:.2f} ms a request)"
        if backends
        else ""
    )
    print(
        f"CPU during the timed requests ({seconds * cpus:.1f} CPU-seconds on {cpus} CPUs, "
        f"{busy:.0%} busy): gunicorn {server_cpu:.1f} s ({server_cpu / per_request:.2f} ms "
        f"a request){database}, the client {client_cpu:.1f} s "
        f"({client_cpu / per_request:.2f} ms a request); the rest is the cache, the kernel "
        "and other work on the machine"
    )
    if done and busy > 0.9:
        # Not a measurement: what the same CPU cost per request would give if the
        # server and its database had every CPU to themselves.
        cost = (server_cpu + database_cpu) / done
        print(
            f"The CPUs were busy with other work too: at {cost * 1000:.1f} ms of server and "
            f"database CPU a request, {cpus} free CPUs would serve about "
            f"{cpus / cost:.0f} requests/s (an estimate, not a measurement)"
        )
    for error in errors[:10]:
        print(f"error: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; the server was stopped.", file=sys.stderr)
        sys.exit(130)
