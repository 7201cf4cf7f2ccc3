"""Notifications sent by real `manage.py db_worker` processes to a real SMTP server.

The workers run on the PostgreSQL test database; an aiosmtpd server on a free
port receives the mail and a local HTTP server plays the team's chat. The
tests read what was delivered: who got what, that nobody who submitted got a
reminder, and that two workers racing over one due reminder (with every task
queued twice, as a retry would) send each person exactly one email.
"""

import email
import email.policy
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications import tasks
from notifications.models import Delivery, Notice, TeamWebhook
from notifications.services import notice_fire, reminder_send_now, round_schedule
from surveys.services import round_create
from tests.factories import (
    MembershipFactory,
    TeamFactory,
    UserFactory,
    load_questionnaire,
    make_facilitator,
    submit,
    uniform,
)
from tests.processes import clean_environ, database_url_of_this_test

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = uniform(1, tests=3, rollout=2, reviews=4)["p0"]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the worker processes share the test database",
    ),
    # serialized_rollback: like the other system tests, leave the migrations' rows
    # (content types, groups) as they were for the tests that run after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: every message received, parsed."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
            self.raw.append(envelope.content)
        return "250 Message accepted for delivery"

    def to(self, subject_part: str) -> list[str]:
        with self.lock:
            return sorted(
                m["To"].split("@")[0] for m in self.messages if subject_part in m["Subject"]
            )


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, mailbox
    controller.stop()


@pytest.fixture
def chat():
    """A chat server's incoming webhook: records each JSON body it is sent."""
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(
                {
                    "path": self.path,
                    "type": self.headers["Content-Type"],
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def worker_env(smtp_port: int) -> dict[str, str]:
    url = database_url_of_this_test()
    env = clean_environ()
    return {
        **env,
        "DATABASE_URL": url,  # the test database, which these tests commit to
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "notification-worker-test-" + "x" * 50,
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(smtp_port),
        "DJANGO_EMAIL_USE_TLS": "false",
        "SHIPSHAPE_BASE_URL": "https://shipshape.example.com",
        "SHIPSHAPE_NOTIFY_RETRY_SECONDS": "1",
        "SHIPSHAPE_WEBHOOK_TIMEOUT": "2",
        # The chat receiver listens on 127.0.0.1: an in-house chat server.
        "SHIPSHAPE_WEBHOOK_ALLOW_PRIVATE": "true",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def start_worker(env: dict[str, str], log: Path, worker_id: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--interval",
            "0.1",
            "--no-reload",
            "--worker-id",
            worker_id,
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def wait_for(done: Callable[[], bool], what: str, logs: list[Path], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(0.2)
    raise AssertionError(
        f"{what} within {seconds} s; worker logs:\n" + "\n".join(log.read_text() for log in logs)
    )


def _members(team, names: list[str], role: str = "member") -> dict:
    return {
        name: MembershipFactory(
            team=team, user=UserFactory(username=name, first_name=name.title()), role=role
        ).user
        for name in names
    }


def test_a_worker_sends_round_notices_and_reminders_by_smtp_and_chat(tmp_path, smtp, chat):
    smtp_port, mailbox = smtp
    chat_url, chat_posts = chat
    now = timezone.now()
    payments = TeamFactory(name="Payments", slug="payments")
    search = TeamFactory(name="Search", slug="search")
    people = _members(payments, ["ana", "ben", "cat", "dan"]) | _members(search, ["sam", "sue"])
    make_facilitator("fran")
    TeamWebhook.objects.create(team=payments, url=f"{chat_url}/hooks/payments")
    # Nobody listens there: the chat notice fails, is retried, and blocks nothing.
    TeamWebhook.objects.create(team=search, url=f"http://127.0.0.1:{free_port()}/hooks/search")
    survey_round = round_create(
        name="2026 Q4",
        questionnaire=load_questionnaire(),
        opens_at=now + timedelta(seconds=2),
        closes_at=now + timedelta(days=3),
        teams=[payments, search],
    )
    # One reminder, due a few seconds from now.
    round_schedule(
        survey_round=survey_round,
        offsets=[survey_round.closes_at - timezone.now() - timedelta(seconds=15)],
    )
    env = worker_env(smtp_port)
    log = tmp_path / "worker.log"
    worker = start_worker(env, log, "worker-a")
    try:
        wait_for(lambda: len(mailbox.to("is open")) == 6, "six round-opened emails", [log])
        for name in ("ana", "ben", "sam"):
            submit(survey_round, payments if name != "sam" else search, name, ANSWERS)
        wait_for(lambda: len(mailbox.to("Reminder")) == 3, "three reminders", [log])
        wait_for(
            lambda: Delivery.objects.filter(
                channel="webhook", team=search, status="pending", attempts__gte=2
            ).exists(),
            "the failing chat notice retried",
            [log],
        )
        time.sleep(1)  # anything sent twice would arrive now
    finally:
        stop(worker)

    assert mailbox.to("is open") == ["ana", "ben", "cat", "dan", "sam", "sue"]
    # Nobody who submitted got a reminder.
    assert mailbox.to("Reminder") == ["cat", "dan", "sue"]
    assert len(mailbox.messages) == 9
    reminder = next(
        m for m in mailbox.messages if m["To"] == "dan@example.com" and "Reminder" in m["Subject"]
    )
    assert reminder["List-Unsubscribe"].startswith(
        "<https://shipshape.example.com/notifications/unsubscribe/"
    )
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # As mail clients read it: one plain <URL>, not folded into encoded words.
    assert all(
        re.search(rb"\r\nList-Unsubscribe: <https://shipshape\.example\.com/[^>\r\n]+>\r\n", raw)
        for raw in mailbox.raw
    )
    text = reminder.get_body(("plain",)).get_content()
    html = reminder.get_body(("html",)).get_content()
    assert "https://shipshape.example.com/surveys/2026-q4/payments/" in text
    assert 'href="https://shipshape.example.com/surveys/2026-q4/payments/"' in html
    for other in ("Ana", "Ben", "Cat", "Sam", "Sue"):
        assert other not in text and other not in html
    # The chat got "round opened" once, as JSON, with no names.
    assert [(p["path"], p["type"]) for p in chat_posts] == [("/hooks/payments", "application/json")]
    assert "2026 Q4 is open for Payments" in chat_posts[0]["body"]["text"]
    assert not any(person.first_name in chat_posts[0]["body"]["text"] for person in people.values())
    failing = Delivery.objects.get(channel="webhook", team=search)
    assert "could not reach the chat server" in failing.last_error
    assert Notice.objects.get(round=survey_round, kind="round_opened").state == "fired"


def test_two_workers_and_one_due_reminder_send_exactly_one_email_each(tmp_path, smtp):
    smtp_port, mailbox = smtp
    now = timezone.now()
    team = TeamFactory(name="Payments", slug="payments")
    names = [f"person{i:02d}" for i in range(30)]
    _members(team, names)
    survey_round = round_create(
        name="2026 Q4",
        questionnaire=load_questionnaire(),
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=20),
        teams=[team],
    )
    for name in names[:5]:
        submit(survey_round, team, name, ANSWERS)
    # The round-opened notice is not part of this test.
    Notice.objects.filter(round=survey_round).exclude(kind="manual_reminder").update(
        state="cancelled"
    )
    DBTaskResult.objects.all().delete()
    notice = reminder_send_now(survey_round=survey_round)
    # A retried or duplicated task: the notice is queued three times...
    for _ in range(2):
        tasks.fire_notice.enqueue(notice.pk)
    # ...and, once fired, every delivery twice.
    notice_fire(notice_id=notice.pk)
    for delivery_id in Delivery.objects.values_list("pk", flat=True):
        tasks.send_delivery.enqueue(delivery_id)
    assert DBTaskResult.objects.count() == 3 + 2 * 25

    env = worker_env(smtp_port)
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [start_worker(env, logs[0], "worker-a"), start_worker(env, logs[1], "worker-b")]
    try:
        wait_for(
            lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists(),
            "every task run",
            logs,
        )
        time.sleep(1)
    finally:
        for worker in workers:
            stop(worker)

    assert mailbox.to("Reminder") == names[5:]  # exactly once each, and no one who submitted
    assert len(mailbox.messages) == 25
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert not DBTaskResult.objects.filter(status="FAILED").exists()
    # Both workers took part.
    ran_by = {w for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) for w in ids}
    assert ran_by == {"worker-a", "worker-b"}
