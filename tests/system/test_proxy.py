"""Behind a real reverse proxy: Debian's nginx in front of the live server.

nginx listens on 127.0.0.1 and connects to the app from 127.0.0.9, the only
trusted proxy. Clients connect from other loopback addresses (127.0.0.5,
127.0.0.6, ...), so each one has an address of its own, as people behind a real
proxy do. These tests start a process and are marked `system`; `make test` runs
them, `pytest -m "not e2e and not system"` skips them.
"""

import http.client
import os
import re
import shutil
import socket
import subprocess
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from assessment.models import AuditEvent
from tests.factories import UserFactory

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PROXY_SOURCE = "127.0.0.9"  # nginx -> app
PASSWORD = "right-password-123"

NGINX_CONF = """
daemon off;
master_process off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_bind {source};
            proxy_set_header Host localhost;
            # As docs/operations.md says: append the peer to whatever the client sent.
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited with {process.returncode}: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"nginx did not listen on {port}: {log.read_text()}")


@pytest.fixture
def nginx(live_server, tmp_path, settings):
    """nginx on a free port in front of live_server; returns its port."""
    if not Path(NGINX).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{NGINX} is missing: `make test` installs Debian's nginx.")
        pytest.skip("nginx is not installed (make test installs Debian's nginx)")
    settings.TRUSTED_PROXIES = [PROXY_SOURCE]
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(
        NGINX_CONF.format(
            tmp=tmp_path, port=port, upstream=urlsplit(live_server.url).port, source=PROXY_SOURCE
        )
    )
    log = tmp_path / "error.log"
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-e", str(log), "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Visitor:
    """A browser at one source address: keeps cookies, fills in the CSRF token."""

    def __init__(self, port: int, source: str):
        self.port, self.source = port, source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str = "", headers: dict | None = None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=20, source_address=(self.source, 0)
        )
        headers = {"Host": "localhost", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response.status, text

    def log_in(self, username: str, password: str, forwarded_for: str | None = None):
        status, page = self.request("GET", "/accounts/login/")
        assert status == 200, page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password})
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        return self.request("POST", "/accounts/login/", body, headers)


def recorded_addresses() -> list[str]:
    events = AuditEvent.objects.filter(action="login.failed").order_by("id")
    return [event.details["address"] for event in events]


def test_behind_nginx_each_client_is_counted_at_its_own_address(nginx):
    UserFactory(username="alice", password=PASSWORD)

    Visitor(nginx, "127.0.0.5").log_in("alice", "wrong")
    Visitor(nginx, "127.0.0.6").log_in("alice", "wrong")

    assert recorded_addresses() == ["127.0.0.5", "127.0.0.6"]


def test_a_spoofed_forwarded_for_through_nginx_does_not_change_the_address(nginx):
    UserFactory(username="alice", password=PASSWORD)

    Visitor(nginx, "127.0.0.5").log_in("alice", "wrong", forwarded_for="203.0.113.9")

    assert recorded_addresses() == ["127.0.0.5"]


def test_a_spoofed_forwarded_for_sent_straight_to_the_app_is_ignored(nginx, live_server):
    UserFactory(username="alice", password=PASSWORD)
    direct = Visitor(urlsplit(live_server.url).port, "127.0.0.7")

    direct.log_in("alice", "wrong", forwarded_for="127.0.0.5")

    assert recorded_addresses() == ["127.0.0.7"]


def test_behind_nginx_one_guessing_client_does_not_lock_out_the_company(nginx, settings):
    settings.LOGIN_FAILURE_LIMIT = 2  # ten failures pause an address
    UserFactory(username="alice", password=PASSWORD)
    attacker = Visitor(nginx, "127.0.0.5")
    for number in range(10):
        attacker.log_in(f"guess{number}", "wrong")

    status, page = attacker.log_in("alice", PASSWORD)
    assert status == 200 and "Too many failed attempts" in page

    colleague = Visitor(nginx, "127.0.0.6")
    status, _ = colleague.log_in("alice", PASSWORD)
    assert status == 302  # logged in and sent on
    status, page = colleague.request("GET", "/surveys/")
    assert status == 200 and "Signed in as alice" in page
