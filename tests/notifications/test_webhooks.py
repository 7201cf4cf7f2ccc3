"""Chat notices: a JSON POST to a local HTTP receiver; failures retried, never blocking."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.models import Delivery, TeamWebhook
from tests.notifications.world import CLOSES, OPENS
from tests.tasks import run_queued_tasks


@pytest.fixture
def receiver(settings):
    """A chat server: records each POST; the path /slow never answers in time.

    It listens on 127.0.0.1, so it stands for an in-house chat server: allowed."""
    settings.SHIPSHAPE_WEBHOOK_ALLOW_PRIVATE = True
    posts: list[tuple[str, dict]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/slow":
                time.sleep(3)
            posts.append((self.path, body))
            if self.path == "/moved":
                self.send_response(307)
                self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            else:
                self.send_response(500 if self.path == "/broken" else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", posts
    server.shutdown()
    server.server_close()


def test_chats_hear_of_opening_closing_tomorrow_and_released_results(world, time_machine, receiver):
    url, posts = receiver
    TeamWebhook.objects.create(team=world.payments, url=f"{url}/payments")
    TeamWebhook.objects.create(team=world.search, url=f"{url}/search")
    for when in (OPENS, CLOSES - timedelta(days=1)):
        time_machine.move_to(when + timedelta(minutes=1), tick=False)
        run_queued_tasks()
    for name in ("ana", "ben", "cat"):
        world.submit(name)
    time_machine.move_to(CLOSES + timedelta(minutes=1), tick=False)
    run_queued_tasks()

    texts = sorted((path, body["text"]) for path, body in posts)
    assert [path for path, _ in texts] == ["/payments"] * 3 + ["/search"] * 2
    payments = [text for path, text in texts if path == "/payments"]
    assert any("2026 Q2 is open for Payments" in text for text in payments)
    assert any("closes tomorrow" in text for text in payments)
    # Search has fewer than k answers: its results are withheld, so its chat hears nothing.
    assert any("results of 2026 Q2 for Payments are ready" in text for text in payments)
    assert all("results" not in text for path, text in texts if path == "/search")
    for _, text in texts:
        for person in world.people.values():
            assert person.first_name not in text or not person.first_name


def test_a_failing_or_slow_chat_is_retried_and_blocks_nothing(
    world, time_machine, receiver, settings
):
    settings.SHIPSHAPE_WEBHOOK_TIMEOUT = 1
    url, _ = receiver
    TeamWebhook.objects.create(team=world.payments, url=f"{url}/broken")
    TeamWebhook.objects.create(team=world.search, url=f"{url}/slow")
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)

    started = time.monotonic()
    run_queued_tasks()

    assert time.monotonic() - started < 10
    broken = Delivery.objects.get(channel="webhook", team=world.payments)
    slow = Delivery.objects.get(channel="webhook", team=world.search)
    assert (broken.status, broken.attempts) == ("pending", 1)
    assert "HTTP 500" in broken.last_error
    assert slow.status == "pending" and "could not reach the chat server" in slow.last_error
    # The emails went out all the same.
    assert Delivery.objects.filter(channel="email", status="sent").count() == 7


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost:5432/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hooks/x",
        "http://[::1]/hooks/x",
    ],
)
def test_internal_addresses_are_refused_as_webhooks(settings, url):
    from notifications.forms import TeamWebhookForm

    settings.SHIPSHAPE_WEBHOOK_ALLOW_PRIVATE = False
    form = TeamWebhookForm({"url": url})
    assert not form.is_valid()
    assert "is an internal address" in form.errors["url"][0]

    settings.SHIPSHAPE_WEBHOOK_ALLOW_PRIVATE = True
    assert TeamWebhookForm({"url": url}).is_valid()


def test_a_webhook_that_became_internal_fails_at_send_and_nothing_is_posted(
    world, time_machine, receiver, settings
):
    url, posts = receiver
    TeamWebhook.objects.create(team=world.payments, url=f"{url}/payments")
    settings.SHIPSHAPE_WEBHOOK_ALLOW_PRIVATE = False
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)

    run_queued_tasks()

    assert posts == []
    delivery = Delivery.objects.get(channel="webhook", team=world.payments)
    assert delivery.status != "sent"
    assert "internal address" in delivery.last_error


def test_a_redirect_is_not_followed(world, time_machine, receiver):
    url, posts = receiver
    TeamWebhook.objects.create(team=world.payments, url=f"{url}/moved")
    time_machine.move_to(OPENS + timedelta(minutes=1), tick=False)

    run_queued_tasks()

    assert [path for path, _ in posts] == ["/moved"]
    delivery = Delivery.objects.get(channel="webhook", team=world.payments)
    assert delivery.status != "sent"
