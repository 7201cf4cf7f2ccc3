"""Real-browser journeys: Playwright (sync) driving Debian's Chromium against live_server.

Run only these with `pytest -m e2e`; skip them locally with `-m "not e2e"`.
On failure a screenshot and the page HTML are written under test-artifacts/e2e/.
"""

import os
import re
from pathlib import Path

import pytest

from tests.e2e.layout import ARTIFACTS

# Playwright's sync API runs an event loop in this thread; Django's async-safety
# check would refuse ORM calls from the test body. Only ever set for tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("SHIPSHAPE_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    # Screenshots (make screens) are taken only when asked for with -m screens.
    skip_screens = pytest.mark.skip(reason="screenshots: run with make screens")
    wants_screens = "screens" in (config.option.markexpr or "")
    # (tests/conftest.py marks everything under tests/e2e/ `e2e`.)
    for item in items:
        if item.get_closest_marker("screens") and not wants_screens:
            item.add_marker(skip_screens)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does this).")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
        ],
    }


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class PageWatch:
    """Console errors, failed requests and requests to other hosts, seen by a page."""

    def __init__(self, page, base_url: str):
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.foreign_requests: list[str] = []
        self.base_url = base_url
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))
        page.on("requestfailed", self._on_failed)
        # A download ends its navigation with ERR_ABORTED: that is not a failure.
        self.downloads: list[str] = []
        page.on("download", lambda download: self.downloads.append(download.url))
        page.on("request", self._on_request)

    def _on_failed(self, request):
        # A request the browser itself cancelled because the page navigated on
        # (a favicon or a redirect still loading when a link is clicked) is not
        # a failure of the server; every other failure counts.
        if request.failure == "net::ERR_ABORTED" and request.resource_type != "fetch":
            return
        self.failed_requests.append(request.url)

    def _on_request(self, request):
        url = request.url
        if not url.startswith((self.base_url, "data:", "blob:", "about:")):
            self.foreign_requests.append(url)

    def assert_clean(self):
        assert self.console_errors == [], self.console_errors
        failed = [url for url in self.failed_requests if url not in self.downloads]
        assert failed == [], failed
        assert self.foreign_requests == [], self.foreign_requests


@pytest.fixture
def watch(page, live_server):
    return PageWatch(page, live_server.url)


@pytest.fixture
def page(page, request):
    """pytest-playwright's page, saving a screenshot and the HTML if the test fails."""
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=str(folder / "screenshot.png"), full_page=True)
        (folder / "page.html").write_text(page.content(), encoding="utf-8")
    except Exception as exc:  # the page may be gone; say so rather than hide the failure
        (folder / "error.txt").write_text(repr(exc), encoding="utf-8")
    print(f"\ne2e artifacts: {folder}")


@pytest.fixture
def login(page, live_server):
    def do_login(username: str, password: str = "pw-for-tests"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

    return do_login


# --- The demo organisation, seeded once per module ------------------------------
# Checking every page type for every role at two widths is ~70 page loads; seeding
# the demo for each (as the journeys above do) would take minutes. These fixtures
# seed it once per module, serve it from a live server of their own, and keep one
# logged-in browser page per role. Tests using them are marked django_db (not
# transactional: nothing is flushed between them) and must only read.


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    from django.core.management import call_command
    from pytest_django.live_server_helper import LiveServer

    from tests.e2e.demo_site import DemoSite, seed_demo_site

    with django_db_blocker.unblock():
        paths = seed_demo_site()
    server = LiveServer("localhost")
    try:
        yield DemoSite(url=server.url, paths=paths)
    finally:
        server.stop()
        with django_db_blocker.unblock():
            _restore_migrated_database(call_command)


def _restore_migrated_database(call_command) -> None:
    """Back to the database as migrations left it, primary keys included.

    pytest-django runs these (non-transactional) tests among the other
    non-transactional ones, which expect the migrated state; the transactional
    tests after them reload the serialized migrated state over it by primary
    key. A plain flush would recreate content types with new keys and break
    both, so: flush without post-migrate, then reload what Django serialized
    after migrating (as TransactionTestCase with serialized_rollback does).
    """
    from django.db import connections

    from assessment.signals import rights_audit_muted

    for connection in connections.all():
        serialized = getattr(connection, "_test_serialized_contents", None)
        call_command(
            "flush",
            database=connection.alias,
            interactive=False,
            verbosity=0,
            inhibit_post_migrate=serialized is not None,
        )
        if serialized is not None:
            # Setting the role groups' permissions again is no change to audit:
            # the rows would stay (the log is append-only) and later tests
            # counting audit events would find them.
            with rights_audit_muted():
                connection.creation.deserialize_db_from_string(serialized)


@pytest.fixture(scope="module")
def open_as(browser, demo_site):
    """open_as(role, page_type, viewport) -> the page, showing that page type to that role.

    One browser context per role, logged in once. (On SQLite the test database
    lives in the test's transaction, so a login made during one test is rolled
    back after it: then this logs in again.)
    """
    from tests.e2e.demo_site import log_in

    pages = {}

    def show(role: str, page_type: str, viewport: tuple[int, int]):
        if role not in pages:
            pages[role] = browser.new_context().new_page()
        page = pages[role]
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        url = demo_site.page_url(role, page_type)
        response = page.goto(url)
        if role != "anonymous" and "/accounts/login/" in page.url and page_type != "login":
            log_in(page, demo_site.url, role)
            response = page.goto(url)
        assert response.status == 200, f"{page.url} answered {response.status}"
        return page

    yield show
    for page in pages.values():
        page.context.close()


@pytest.fixture
def logout(page):
    """Log out and wait until the page it leads to has loaded.

    Without the wait, the next page.goto() aborts that navigation, and the
    aborted request would count as a failed one.
    """

    def do_logout():
        with page.expect_navigation():
            page.get_by_role("button", name="Log out").click()
        page.wait_for_load_state()

    return do_logout
