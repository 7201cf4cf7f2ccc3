"""The API's documentation pages render in Chromium under the strict CSP, offline."""

import pytest

from tests.factories import make_facilitator

# serialized_rollback like every other live-server test: a transactional test
# without it recreates content types under new keys when it flushes, and the
# next test that reloads the serialized database then collides with them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_swagger_ui_renders_every_endpoint_with_no_csp_violation(page, live_server, watch):
    make_facilitator()
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for(timeout=15_000)

    assert page.locator(".swagger-ui .opblock").count() == 18
    assert page.get_by_text("/api/v1/rounds/{slug}/results/{team_slug}/").count() >= 1
    assert violations == []
    watch.assert_clean()  # no console error, no failed request, nothing from another host
