"""Every page type, for every role, at phone and laptop width, looks laid out for a person.

No text squeezed into a sliver, no sideways scrolling of the page, and no page
taller than its type should be (the answering pages were once 70,000 px tall
with every test still passing).
"""

import json
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from tests.e2e.demo_site import CHECKED_ROLES, MAX_HEIGHT, ROLE_PAGES, WIDTHS, wait_until_drawn
from tests.e2e.layout import ARTIFACTS, measure_layout

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

CASES = [
    pytest.param(role, page_type, width, id=f"{role}-{page_type}-{width}")
    for role in CHECKED_ROLES
    for page_type in ROLE_PAGES[role]
    for width in WIDTHS
]


@pytest.fixture(scope="module")
def measurements():
    """Every page's height and narrowest text box, kept in test-artifacts/ to compare runs."""
    rows = {}
    yield rows
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "layout-measurements.json").write_text(json.dumps(rows, indent=1))


@pytest.mark.parametrize(("role", "page_type", "width"), CASES)
def test_page_is_laid_out_for_a_person(open_as, measurements, role, page_type, width):
    page = open_as(role, page_type, WIDTHS[width])
    wait_until_drawn(page)

    layout = measure_layout(page)
    measurements[f"{role} {page_type} {width}"] = {
        "height": layout.height,
        "scroll_width": layout.scroll_width,
        "narrow": len(layout.narrow),
        "narrowest": layout.narrow[:1],
    }
    problems = layout.problems(max_height=MAX_HEIGHT[page_type][width])
    if problems:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / re.sub(r"[^\w.-]+", "_", f"layout-{role}-{page_type}-{width}.png")
        page.screenshot(path=str(shot), full_page=True)
        pytest.fail(f"{page.url} at {width} width ({shot}): " + " | ".join(problems))


PRINT_WIDTH = 680  # charts.js draws charts this wide for paper


def test_the_team_dashboard_prints_every_section_without_navigation(open_as, tmp_path):
    page = open_as("member", "team-dashboard", WIDTHS["laptop"])
    wait_until_drawn(page)
    headings = [" ".join(t.split()) for t in page.locator("main h1, main h2").all_inner_texts()]
    assert headings[0] == "Payments" and len(headings) >= 7, headings
    charts = page.locator("[data-chart]").count()

    page.emulate_media(media="print")
    try:
        expect(page.locator("[data-chart][data-printable=true]")).to_have_count(charts)
        expect(page.get_by_role("navigation", name="Main navigation")).to_be_hidden()
        expect(page.get_by_label("Round", exact=True)).to_be_hidden()
        expect(page.get_by_role("link", name="Scores CSV")).to_be_hidden()
        for heading in headings:
            expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        widths = page.evaluate(
            "[...document.querySelectorAll('[data-chart] svg.main-svg')]"
            ".map(svg => svg.getBoundingClientRect().width)"
        )
        assert len(widths) >= charts and max(widths) <= PRINT_WIDTH, widths
        pdf = page.pdf(
            format="A4", margin={"top": "1cm", "bottom": "1cm", "left": "1cm", "right": "1cm"}
        )
    finally:
        page.emulate_media(media="screen")

    path = tmp_path / "payments.pdf"
    path.write_bytes(pdf)
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing: install poppler-utils (make chromium does).")
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.count("\f")
    words = " ".join(text.split())
    missing = [heading for heading in headings if heading not in words]
    assert missing == [], f"not in the PDF: {missing}"
    # The charts are on paper as well: their axis titles are text in the PDF.
    assert "Maturity level (0-4)" in words and "Score (0-10)" in words
    assert "Log out" not in words and "Scores CSV" not in words
    assert 2 <= pages <= 12, f"{pages} pages"
