"""Fixtures every test gets, the four suites and the hypothesis profile.

Every test belongs to exactly one suite, marked by the path below (or by its
own marker): `unit` (pure functions, no database), `integration` (database and
test client; the default), `e2e` (a real browser, tests/e2e/) and `system`
(real processes: nginx, gunicorn killed with kill -9, a SQLite-to-PostgreSQL
move; tests/system/). `pytest -m "not e2e and not system"` is the fast loop.
"""

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from pytest_django.plugin import validate_django_db

from tests.properties import load_profile

# Helper modules that assert (pytest rewrites test modules and conftests only).
pytest.register_assert_rewrite(
    "tests.pages", "tests.reports.export_org", "tests.security.world", "tests.e2e.layout"
)

SUITES = ("unit", "integration", "e2e", "system")
# Where a suite other than `integration` lives: a folder or a module, from tests/.
SUITE_OF_PATH = {
    "e2e/": "e2e",
    "system/": "system",
    "architecture/": "unit",
    "test_suite_layout.py": "unit",
    "assessment/test_client_address.py": "unit",
    "assessment/test_dora.py": "unit",
    "assessment/test_scoring.py": "unit",
    "reports/test_charts.py": "unit",
    "sso/test_id_token_checks.py": "unit",
    # A real identity provider runs as a subprocess (tests/oidc_provider).
    "sso/test_provider_login.py": "system",
}
# A unit test that asks for one of these is not a unit test.
DATABASE_FIXTURES = {"db", "transactional_db", "client", "admin_client", "live_server"}


def pytest_configure(config):
    config.pluginmanager.register(DatabaseOrder(), "shipshape-database-order")
    # HYPOTHESIS_PROFILE=ci (make test) or dev (the default); --hypothesis-profile wins.
    if not config.getoption("hypothesis_profile", None):
        load_profile()


def suite_of(item: pytest.Item) -> str:
    marked = [name for name in SUITES if item.get_closest_marker(name)]
    if len(marked) > 1:
        raise pytest.UsageError(f"{item.nodeid} is marked {' and '.join(marked)}: pick one suite")
    if marked:
        return marked[0]
    path = item.path.relative_to(item.config.rootpath / "tests").as_posix()
    for prefix, suite in SUITE_OF_PATH.items():
        if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
            return suite
    return "integration"


def database_order(item: pytest.Item) -> int:
    """0: in a transaction that is rolled back, 1: transactional, 2: no database.

    pytest-django sorts tests so (TestCase before TransactionTestCase, as Django
    does): a transactional test flushes the database when it ends, and with
    serialized_rollback (every live-server and system test here) it leaves it
    empty until the next such test loads the migrated rows back. A rolled-back
    test after it finds no permissions, content types or role groups.
    """
    marker = item.get_closest_marker("django_db")
    transactional = bool({"transactional_db", "live_server"} & set(item.fixturenames))
    if marker is not None:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        transactional = transactional or transaction or reset_sequences
    if transactional:
        return 1
    return 0 if marker is not None or "db" in item.fixturenames else 2


class DatabaseOrder:
    """pytest-django sorts first, but pytest then regroups the tests that share a
    parametrized session fixture (the browser of every e2e test): the live-server
    journeys ran among the rolled-back tests, which after them found an empty
    database (in a run of `-m "e2e or system"` the identity-provider login made
    a Managers group without permissions). This sorts again, last, and stably,
    so nothing else moves."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        items.sort(key=database_order)


def pytest_collection_modifyitems(config, items):
    for item in items:
        suite = suite_of(item)
        if suite == "unit" and (
            item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(item.fixturenames)
        ):
            raise pytest.UsageError(f"{item.nodeid} uses the database: it is not a unit test")
        item.add_marker(suite)


@pytest.fixture(scope="session", autouse=True)
def _fast_test_settings():
    # For the whole session, so that rows built once per module (module_rows) get them too.
    with override_settings(
        # Factories hash a password for every user; the real hasher is slow on purpose.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Every test client builds its middleware, and WhiteNoise then indexes every
        # file under STATIC_ROOT (hundreds once collectstatic has run). Autorefresh
        # looks a file up when it is asked for, and no test asks the client for one.
        WHITENOISE_AUTOREFRESH=True,
    ):
        yield


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def module_rows(django_db_setup, django_db_blocker) -> Callable:
    """module_rows(build) -> what build() returns, its rows shared by the module's tests.

    As Django's TestCase.setUpTestData: the rows are written once, in a
    transaction held open around the module and rolled back after it. Each test
    runs in a savepoint inside it (pytest-django's `db`), so what a test writes
    is undone after it. Hand each test a copy.deepcopy() of the built objects,
    so that what one test changes in them does not reach the next. Every
    database test of the module sees the rows: a test that needs an empty
    database belongs in another module.
    """
    with django_db_blocker.unblock():
        module_transaction = transaction.atomic()
        module_transaction.__enter__()

    def build(builder: Callable):
        with django_db_blocker.unblock():
            return builder()

    yield build
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        module_transaction.__exit__(None, None, None)
