"""The test suite's own rules: helpers shared through helper modules; CI's full example counts.

A helper that several test modules need lives in tests/factories.py,
tests/pages.py or a dataset module beside the tests (tests/reports/dashboard_org.py,
tests/security/world.py, ...); fixtures live in a conftest.py, which pytest
loads and no module imports.
"""

import ast
from pathlib import Path

import pytest
from hypothesis import settings

from tests.properties import examples

TESTS = Path(__file__).resolve().parent
TEST_MODULES = sorted(TESTS.rglob("test_*.py"))


def imported_modules(source: str, path: Path) -> set[str]:
    """Dotted names of what the module at `path` imports, relative imports resolved.

    For `from a import b` both `a` and `a.b` are listed: b may be a module.
    """
    package = path.relative_to(TESTS.parent).parent.parts
    names = set()
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def is_test_module_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def test_there_are_test_modules_to_check():
    assert len(TEST_MODULES) > 50
    assert TESTS / "reports" / "test_dashboard_content.py" in TEST_MODULES


@pytest.mark.parametrize("path", TEST_MODULES, ids=lambda path: str(path.relative_to(TESTS)))
def test_no_test_module_imports_another_test_module_or_a_conftest(path):
    imported = imported_modules(path.read_text(), path)

    assert sorted(filter(is_test_module_or_conftest, imported)) == []


def test_the_check_sees_every_way_of_importing_a_test_module():
    source = """
from tests.reports.test_selectors import uniform
import tests.security.test_idor
from tests.privacy import test_attacks
from .test_dashboard_content import figures
from . import test_charts
from ..security.conftest import submit_as
from tests.reports.dashboard_org import Org
from tests.pages import figures
"""
    imported = imported_modules(source, TESTS / "reports" / "test_example.py")

    assert sorted(filter(is_test_module_or_conftest, imported)) == [
        "tests.privacy.test_attacks",
        "tests.reports.test_charts",
        "tests.reports.test_dashboard_content",
        "tests.reports.test_selectors",
        "tests.security.conftest",
        "tests.security.test_idor",
    ]


def test_ci_tries_the_full_example_counts_and_the_dev_loop_a_tenth():
    current = settings.get_current_profile_name()
    try:
        settings.load_profile("ci")
        assert (settings().max_examples, examples(15), examples(200)) == (100, 15, 200)
        settings.load_profile("dev")
        assert (settings().max_examples, examples(15), examples(200)) == (10, 2, 20)
    finally:
        settings.load_profile(current)
