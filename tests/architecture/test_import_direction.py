"""Dependencies point one way: assessment <- surveys <- notifications, sso, actions <- reports
<- api <- demo.

A lower app never imports a higher one, not even inside a function: a lower app
announces (a signal, a hook) and a higher app listens. The project wiring in
assessment (URLs, the navigation context processor) is the exception: it exists
to put the apps together.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["assessment", "surveys", "notifications", "sso", "actions", "reports", "api", "demo"]
# Project wiring inside the assessment package: it includes every app's URLs.
WIRING = {"assessment/urls.py", "assessment/settings.py", "assessment/context_processors.py"}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


def modules(app: str) -> list[Path]:
    return sorted(
        path
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path.relative_to(ROOT).as_posix() not in WIRING
    )


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    allowed = set(LAYERS[: LAYERS.index(app) + 1])
    climbing = {
        path.relative_to(ROOT).as_posix(): sorted(imported_apps(path) - allowed)
        for path in modules(app)
        if imported_apps(path) - allowed
    }
    assert climbing == {}


def test_the_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("def f():\n    from reports.services import x\n    import demo.seed\n")
    assert imported_apps(module) == {"reports", "demo"}
