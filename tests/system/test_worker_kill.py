"""A server worker killed with SIGKILL during a burst of submits loses nothing it acknowledged.

gunicorn runs two workers on the PostgreSQL test database; twenty respondents
answer and submit through HTTP while three workers are killed with kill -9. The
in-process half of durability (a submit failing half-way) is
tests/security/test_durability.py.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User
from django.contrib.staticfiles.finders import get_finders
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from surveys.models import Membership, Response
from tests.factories import SurveyRoundFactory, TeamFactory, load_questionnaire
from tests.processes import clean_environ, database_url_of_this_test
from tests.security.world import (
    COMPLETE_ANSWERS,
    answers_for,
    page_post,
    stored_answers,
)

ROOT = Path(__file__).resolve().parents[2]

RESPONDENTS = 20
PASSWORD = "a-long-test-password-41"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class ServerError(Exception):
    """The server answered 5xx or dropped the connection: the browser tries again."""


class Browser:
    """Just enough of a browser: cookies, CSRF tokens from forms, no redirects followed."""

    def __init__(self, port: int, on_answer: Callable[[], None] = lambda: None) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.on_answer = on_answer
        self.interrupted: list[str] = []

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
        except (OSError, http.client.HTTPException) as error:
            raise ServerError(f"{method} {path}: {error!r}") from error
        finally:
            conn.close()
        self.on_answer()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.status >= 500:
            raise ServerError(f"{method} {path}: {response.status}")
        return response.status, response.getheader("Location", ""), text

    def token(self, path: str) -> str:
        status, _, html = self.request("GET", path)
        assert status == 200, (path, status)
        return CSRF.search(html).group(1)

    def post_form(self, path: str, form: dict) -> tuple[int, str]:
        form = {**form, "csrfmiddlewaretoken": self.token(path)}
        status, location, _ = self.request("POST", path, form)
        return status, location


def again(browser: Browser, step: Callable[[], object], attempts: int = 10):
    """Run one step, retrying while the server is down or a worker was killed."""
    for attempt in range(attempts):
        try:
            return step()
        except ServerError as error:
            browser.interrupted.append(str(error))
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def answer_and_submit(browser: Browser, username: str, pages: list[dict], urls: dict) -> bool:
    """Log in, answer every page, submit. True once the server acknowledged the submit."""
    login = reverse("login")
    status, _ = again(
        browser, lambda: browser.post_form(login, {"username": username, "password": PASSWORD})
    )
    assert status == 302, f"{username} could not log in"

    def start():
        status, _, _ = browser.request("GET", urls["start"])
        if status == 200:  # not started yet
            browser.post_form(urls["start"], {"prefill": "0"})

    again(browser, start)
    for number, data in enumerate(pages, start=1):
        page_url = reverse("surveys:page", args=[*urls["args"], number])
        form = {**data, "action": "next"}
        status, _ = again(browser, lambda url=page_url, form=form: browser.post_form(url, form))
        assert status == 302, (username, number, status)
    status, location = again(browser, lambda: browser.post_form(urls["review"], {}))
    return status == 302 and location.endswith("/done/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_pids(master: subprocess.Popen) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True)
    return {int(pid) for pid in found.stdout.split()}


def wait_for_workers(master: subprocess.Popen, count: int) -> set[int]:
    """The worker pids once the master runs ``count`` of them (it respawns killed ones)."""
    deadline = time.monotonic() + 20
    while len(pids := worker_pids(master)) < count:
        assert time.monotonic() < deadline, f"gunicorn runs {len(pids)} workers"
        time.sleep(0.05)
    return pids


def server_env() -> dict[str, str]:
    url = database_url_of_this_test()
    env = clean_environ()
    return {
        **env,
        "DATABASE_URL": url,  # the test database, which this test commits to
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "kill-9-test-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def ensure_static_manifest(env: dict[str, str]) -> None:
    """With debug off, {% static %} needs collectstatic's manifest to name every file."""
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    needed = {
        f"{storage.prefix}/{path}" if getattr(storage, "prefix", None) else path
        for finder in get_finders()
        for path, storage in finder.list(ignore)
    }
    listed = manifest.read_text() if manifest.exists() else ""
    if all(f'"{path}"' in listed for path in needed):
        return
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def wait_until_serving(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            status, _, _ = Browser(port).request("GET", reverse("login"))
        except ServerError:
            time.sleep(0.2)
            continue
        assert status == 200, log.read_text()
        return
    raise AssertionError(f"gunicorn did not answer in 30 s:\n{log.read_text()}")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: the server processes share the test database",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_killing_a_worker_during_a_burst_of_submits_loses_no_acknowledged_submit(tmp_path):
    now = timezone.now()
    questionnaire = load_questionnaire()
    team = TeamFactory(name="Payments", slug="payments")
    survey_round = SurveyRoundFactory(
        name="2026 Q4",
        slug="2026-q4",
        questionnaire=questionnaire,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
        teams=[team],
    )
    # One real (slow on purpose) hash for everybody: the server checks it as usual.
    hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    users = User.objects.bulk_create(
        User(username=f"respondent-{i:02d}", password=hashed) for i in range(RESPONDENTS)
    )
    Membership.objects.bulk_create(Membership(team=team, user=user) for user in users)
    values = {
        user.username: {
            **COMPLETE_ANSWERS,
            "cicd-tests": i % 5,
            "dora-change-failure-rate": i,
            "cicd-reflection": f"Reflection of respondent {i}.",
        }
        for i, user in enumerate(users)
    }
    args = [survey_round.slug, team.slug]
    urls = {
        "args": args,
        "start": reverse("surveys:start", args=args),
        "review": reverse("surveys:review", args=args),
    }
    pages = {
        name: [page_post(questionnaire, n, answers) for n in (1, 2, 3)]
        for name, answers in values.items()
    }

    env = server_env()
    ensure_static_manifest(env)
    port, log = free_port(), tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "assessment.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    lock = threading.Lock()
    answered = 0
    acknowledged: set[str] = set()
    interrupted: list[str] = []

    def count_answer():
        nonlocal answered
        with lock:
            answered += 1

    def respondent(username: str) -> None:
        browser = Browser(port, count_answer)
        done = answer_and_submit(browser, username, pages[username], urls)
        with lock:
            interrupted.extend(browser.interrupted)
            if done:
                acknowledged.add(username)

    # When to kill a worker: while pages are saved, as the first submits come in,
    # and when half of them are acknowledged.
    kill_when = [
        lambda: answered >= 60,
        lambda: len(acknowledged) >= 1,
        lambda: len(acknowledged) >= RESPONDENTS // 2,
    ]
    killed: list[int] = []
    try:
        wait_until_serving(port, server, log)
        workers_before = wait_for_workers(server, 2)
        with ThreadPoolExecutor(max_workers=RESPONDENTS) as pool:
            futures = [pool.submit(respondent, name) for name in values]
            for due in kill_when:
                while not due() and not all(f.done() for f in futures):
                    time.sleep(0.005)
                victim = min(wait_for_workers(server, 2))
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
            for future in futures:
                future.result(timeout=90)
        workers_after = wait_for_workers(server, 2)
    finally:
        stop(server)

    assert len(set(killed)) == 3 and len(workers_before) == 2
    assert not workers_after & set(killed)  # the master replaced each killed worker
    assert interrupted, "no request was in flight when the workers were killed"
    # Every respondent got through in the end, retrying after the kills...
    assert acknowledged == set(values), interrupted
    # ...and every acknowledged submit is stored once, submitted, with all its answers.
    per_person = (
        Response.objects.filter(round=survey_round, team=team)
        .values("respondent")
        .annotate(n=Count("pk"))
    )
    assert {row["n"] for row in per_person} == {1}
    for username in acknowledged:
        response = Response.objects.get(round=survey_round, respondent__username=username)
        assert response.status == Response.Status.SUBMITTED and response.submitted_at
        expected = {
            question.key: (value.choice.score if value.choice else None, value.number, value.text)
            for question, value in answers_for(questionnaire, values[username]).items()
        }
        assert stored_answers(response) == expected, username
