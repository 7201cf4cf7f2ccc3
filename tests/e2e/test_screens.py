"""`make screens`: full-page PNGs of every page type, for every demo role, at both widths.

Not part of `make test` (skipped unless selected with `-m screens`). Writes
test-artifacts/screens/<role>-<page type>-<width>.png from the demo data; see
docs/development.md for when to run it and what to look for.
"""

from pathlib import Path

import pytest

from tests.e2e.demo_site import ROLE_PAGES, WIDTHS, wait_until_drawn
from tests.e2e.layout import measure_layout

pytestmark = [pytest.mark.e2e, pytest.mark.screens, pytest.mark.django_db]

SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_screenshots(open_as, role):
    SCREENS.mkdir(parents=True, exist_ok=True)
    for page_type in ROLE_PAGES[role]:
        for width, viewport in WIDTHS.items():
            page = open_as(role, page_type, viewport)
            wait_until_drawn(page)
            path = SCREENS / f"{role}-{page_type}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            layout = measure_layout(page)
            print(f"{path.relative_to(SCREENS.parents[1])}: {layout.height} px tall")
