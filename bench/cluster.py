"""Scale-out test: two `make serve` app servers behind nginx, one PostgreSQL, one Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shipshape_perf \\
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/cluster.py   # or: make cluster

Needs the synthetic organisation (generate_synthetic) in DATABASE_URL, Redis
database of its own in REDIS_URL (cleared first) and Debian's nginx (`make
cluster` installs it when missing). Steps:

1. The same round and bench users as bench/load.py.
2. Starts SERVERS copies of `make serve` on 127.0.0.1:PORT+1, PORT+2, ...
   (each with its own gunicorn workers and its own background worker, as two
   machines would have), one after the other, and nginx on 127.0.0.1:PORT in
   front of them (round robin; a server that refuses or drops a connection
   is skipped and the request goes to the next one: every POST of the app is
   safe to repeat, see docs/operations.md).
3. Before the timed window, straight to the servers, not through nginx:
   - a session made by logging in on server 1 is accepted by server 2;
   - failed logins alternating between the servers are counted together:
     after LOGIN_FAILURE_LIMIT of them, the right password is refused on both;
   - a dashboard computed by server 1 is served by server 2 from the shared
     cache (its Redis entry is not written again: its time to live goes on
     falling).
4. The mixed load of bench/load.py through nginx for DURATION seconds. At
   KILL_AFTER seconds server 1 is killed (SIGKILL to its gunicorn master,
   workers and background worker: a machine lost, no graceful shutdown).
   Meanwhile the database connections are counted every second
   (pg_stat_activity).
5. Stops everything, prints the load report, requests per server before and
   after the kill (from nginx's log), the connection counts, and checks in the
   database that every acknowledged submit is stored exactly once (as load.py).

Exits with status 1 on any error, a failed cross-server check, or a submit
lost or duplicated.
"""

import argparse
import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import load
from load import Browser, Outcome, RequestFailed, Sample, Server, descendants

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

NGINX_CONF = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$upstream_addr $status $request_time "$request"';
    access_log {tmp}/access.log upstream;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream shipshape {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 2m;
        location / {{
            proxy_pass http://shipshape;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
            proxy_buffering off;
            # A server that refuses, drops or times out: try the next one, for
            # POSTs too (non_idempotent), because every POST of the app is safe
            # to repeat (docs/operations.md, "Scaling out").
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, port: int, upstreams: list[int], directory: Path) -> None:
        self.port, self.upstreams, self.directory = port, upstreams, directory
        self.process: subprocess.Popen | None = None

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"

    def start(self) -> None:
        if not Path(NGINX).exists():
            raise SystemExit(f"{NGINX} is missing: apt-get install -y nginx (make cluster does).")
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=30s;"
            for port in self.upstreams
        )
        config = self.directory / "nginx.conf"
        config.write_text(NGINX_CONF.format(tmp=self.directory, port=self.port, servers=servers))
        self.process = subprocess.Popen(
            [NGINX, "-c", str(config), "-p", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "stderr.log", "wb"),  # noqa: SIM115
            start_new_session=True,
        )
        give_up = time.monotonic() + 15
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.directory / 'stderr.log').read_text()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/accounts/login/")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("nginx did not answer within 15 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def requests_per_upstream(self, since_line: int = 0, until_line: int | None = None) -> Counter:
        """Requests per app server in nginx's log; a retried one counts for each server."""
        counts: Counter = Counter()
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        for line in lines[since_line:until_line]:
            for upstream in line.split(" ", 1)[0].split(","):
                counts[upstream.strip()] += 1
        return counts

    def log_lines(self) -> int:
        return len(self.access_log.read_text().splitlines()) if self.access_log.exists() else 0


def kill_server(server: Server) -> int:
    """SIGKILL a `make serve` and everything it started; returns how many processes."""
    assert server.process is not None
    pids = [server.process.pid, *descendants(server.process.pid)]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=10)
    return len(pids)


# --- checks straight to the servers -------------------------------------------------


def check_session_shared(username: str, ports: list[int]) -> str:
    first = Browser(ports[0], [])
    first.log_in(username)
    other = Browser(ports[1], [])
    other.cookies = dict(first.cookies)
    other.request("profile on the other server", "/accounts/profile/", expect=200)
    return f"logged in on :{ports[0]}, page served by :{ports[1]} without a new login"


def check_throttle_shared(username: str, ports: list[int], limit: int) -> str:
    browsers = [Browser(port, []) for port in ports]
    for attempt in range(limit):
        browsers[attempt % len(browsers)].log_in(
            username, password="not-the-password", expect=200, endpoint="login POST (wrong)"
        )
    for browser in browsers:
        # The form again, with the lockout message: not a redirect.
        body = browser.log_in(username, expect=200, endpoint="login POST (right, locked)")
        if b"Too many failed attempts" not in body:
            raise RuntimeError(f"server :{browser.port} did not see the other's failures")
    return (
        f"{limit} failures alternating between the servers; the right password is then "
        f"refused on every server"
    )


def check_cache_shared(username: str, ports: list[int]) -> str:
    from django.core.cache import cache

    client = cache._cache.get_client()
    cache.clear()
    first, other = Browser(ports[0], []), Browser(ports[1], [])
    first.log_in(username)
    other.cookies = dict(first.cookies)
    first.request("org dashboard (computes)", "/reports/organisation/")
    keys = client.keys("*dashboard:*")
    if not keys:
        raise RuntimeError("the dashboard computed on server 1 is not in Redis")
    ttl_before = {key: client.pttl(key) for key in keys}
    time.sleep(1.5)
    other.request("org dashboard (shared)", "/reports/organisation/")
    rewritten = [key for key in keys if client.pttl(key) >= ttl_before[key]]
    if rewritten or set(client.keys("*dashboard:*")) != set(keys):
        raise RuntimeError("server 2 computed the dashboard again instead of reading Redis")
    return "a dashboard computed on server 1 was read by server 2 from Redis, not recomputed"


# --- connections ----------------------------------------------------------------------


class ConnectionCounter(threading.Thread):
    """pg_stat_activity of this database every second: the app's connections."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[int] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        import psycopg
        from django.db import connection

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        with psycopg.connect(**params, autocommit=True) as conn:
            while not self.stop_event.wait(1.0):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()
                self.samples.append(row[0])

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=5)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=2, help="app servers (default 2)")
    parser.add_argument("--users", type=int, default=50, help="virtual users (default 50)")
    parser.add_argument("--duration", type=float, default=60, help="seconds (default 60)")
    parser.add_argument(
        "--kill-after",
        type=float,
        default=None,
        help="seconds into the run at which server 1 is killed (default: half-way; 0: never)",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8140)))
    parser.add_argument("--think", default="1,3", help="think time, min,max seconds")
    options = parser.parse_args()
    think = tuple(float(value) for value in options.think.split(","))
    kill_after = options.duration / 2 if options.kill_after is None else options.kill_after
    if not 2 <= options.servers <= 8:
        parser.error("--servers must be between 2 and 8")
    if not 0 < options.duration <= 600 or not 0 <= kill_after < options.duration:
        parser.error("--duration must be 1-600 s and --kill-after within it")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL to a PostgreSQL database (see docs/performance.md)")
    if not os.environ.get("REDIS_URL"):
        parser.error("set REDIS_URL: the servers must share one cache")

    from common import database_description, load_average, machine_description
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.cache import cache

    ports = [options.port + 1 + n for n in range(options.servers)]
    pooled = "pool" in settings.DATABASES["default"].get("OPTIONS", {})
    print(f"Scale-out test, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"- machine: {machine_description()}")
    print(f"- database: {database_description()}; cache: Redis ({os.environ['REDIS_URL']})")
    print(
        f"- nginx on 127.0.0.1:{options.port} in front of {options.servers} x make serve on "
        f"{', '.join(f':{p}' for p in ports)}; database connections: "
        f"{'psycopg pool (DATABASE_POOL=true)' if pooled else 'persistent, one per process'}"
    )
    print(f"- load average before: {load_average()}", flush=True)

    respondents = round(options.users * 0.7)
    managers = round(options.users * 0.2)
    members = options.users - respondents - managers
    directory = Path(tempfile.mkdtemp(prefix="shipshape-cluster-"))
    servers = [
        Server(
            port,
            {
                **os.environ,
                "PORT": str(port),
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DJANGO_TRUSTED_PROXIES": "127.0.0.1",
            },
            directory / f"server-{number + 1}.log",
        )
        for number, port in enumerate(ports)
    ]
    nginx = Nginx(options.port, ports, directory)
    outcome = Outcome()
    browsers: list = []
    checks: dict[str, str] = {}
    failed_checks: list[str] = []
    signal.signal(signal.SIGTERM, load._interrupt)
    load.cleanup()
    cache.clear()
    counter = ConnectionCounter()
    killed_at_line = killed_processes = 0
    try:
        plan = load.create_fixture(respondents=respondents, managers=managers, members=members)
        throttled = User.objects.create_user(f"{load.PREFIX}throttled", password=load.PASSWORD)
        try:
            for server in servers:  # one after the other: each runs migrate and collectstatic
                server.start()
            nginx.start()
            print(
                f"- up: {sum(s.worker_count() for s in servers)} gunicorn workers in "
                f"{len(servers)} servers, logs in {directory}",
                flush=True,
            )
            for name, check in (
                ("session", lambda: check_session_shared(plan.managers[0], ports)),
                (
                    "login throttle",
                    lambda: check_throttle_shared(
                        throttled.username, ports, settings.LOGIN_FAILURE_LIMIT
                    ),
                ),
                ("cache", lambda: check_cache_shared(plan.managers[1], ports)),
            ):
                try:
                    checks[name] = check()
                except (RuntimeError, RequestFailed) as error:
                    failed_checks.append(f"{name}: {error}")
            cache.clear()  # the load starts on a cold cache, as load.py's does
            logins: list[Sample] = []
            load.log_in_everyone(plan, options.port, browsers, logins)
            counter.start()
            start_line = nginx.log_lines()

            def kill() -> None:
                nonlocal killed_at_line, killed_processes
                killed_at_line = nginx.log_lines()
                killed_processes = kill_server(servers[0])
                print(f"- {kill_after:.0f} s in: killed server 1 ({killed_processes} processes)")

            timer = threading.Timer(kill_after, kill) if kill_after else None
            if timer:
                timer.start()
            client_cpu = load.run_users(
                plan, browsers, duration=options.duration, think=think, outcome=outcome
            )
            if timer:
                timer.cancel()
            counter.stop()
            before_kill = nginx.requests_per_upstream(start_line, killed_at_line or None)
            after = nginx.requests_per_upstream(killed_at_line) if killed_at_line else Counter()
        finally:
            counter.stop()
            nginx.stop()
            for server in servers:
                server.stop()
        print(f"- load average right after the run: {load_average()}")
        print(f"- CPU used by the load generator itself: {client_cpu:.1f} s\n")
        errors = load.print_report(outcome, seconds=options.duration, logins=logins)
        results = load.verify(outcome)
    finally:
        load.cleanup([b.cookies["sessionid"] for _, b in browsers if "sessionid" in b.cookies])

    print("\nCross-server checks (straight to the servers, before the run):")
    for name, text in checks.items():
        print(f"- {name}: ok, {text}")
    for text in failed_checks:
        print(f"- FAILED {text}")
    print("\nRequests per app server (nginx log; a request retried on another server counts")
    print("for both):")
    for port in ports:
        address = f"127.0.0.1:{port}"
        line = f"- :{port}: {before_kill.get(address, 0)}"
        if killed_at_line:
            line += f" before the kill, {after.get(address, 0)} after"
        print(line)
    if counter.samples:
        samples = sorted(counter.samples)
        print(
            f"\nDatabase connections during the run (pg_stat_activity, {len(samples)} samples): "
            f"median {samples[len(samples) // 2]}, max {samples[-1]}"
        )
    print("\nDatabase check of the acknowledged submits:")
    for name, value in results.items():
        count = len(value) if isinstance(value, list) else value
        print(f"- {name}: {count}")
    failed = errors or failed_checks or any(results[name] for name in load.MUST_BE_ZERO)
    print(f"Load average at the end: {load_average()}")
    print("FAILED" if failed else "OK: no errors, checks passed, no lost or duplicated submits")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("Interrupted; servers and nginx were stopped.", file=sys.stderr)
        sys.exit(130)
