"""Hostile names and texts stay text: in pages, in chart data, in Markdown and in XLSX.

A team, its group, a round, a questionnaire loaded from a YAML file (one choice
label a formula) and two reflections all carry script or formula payloads.
Every page that shows them must show them escaped; the figure JSON handed to
plotly must not be able to close its <script> element; the Markdown retro pack
must carry no raw HTML; a spreadsheet cell must never start a formula.

Results exist only once a round has closed, so the dashboards and exports are
read after ``close_round``; the answering pages while the round is open.
"""

import io
import json
import re
from dataclasses import dataclass

import openpyxl
import pytest
from django.urls import reverse
from django.utils.html import escape

from assessment.loader import parse_questionnaire
from assessment.services import questionnaire_load
from reports.exporters.markdown import md_escape
from surveys.models import Membership
from surveys.services import response_start
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    close_round,
    make_facilitator,
    make_manager,
)
from tests.security.world import submit_as

pytestmark = pytest.mark.django_db

TEAM = "<script>alert(1)</script>"
ROUND = '"><img src=x onerror=alert(1)>'
SVG = "<svg onload=alert(1)>"
CATEGORY = f"{SVG} Delivery"
QUESTION = f"{SVG} How automated are your tests?"
REFLECTION = "<script>alert('r')</script>"
FORMULA = '=HYPERLINK("http://evil")'
GROUP = "@SUM(1+1)*cmd|' /C calc'!A0"

# What must never reach a browser as markup, whatever the page.
RAW_MARKUP = ("<script>alert", "<img src=x", "<svg onload", "<svg")

HOSTILE_YAML = f"""
slug: hostile
version: 1
title: "{SVG} Maturity"
description: "{SVG} description"
published: true
categories:
  - key: practices
    name: "{CATEGORY}"
    description: "{SVG} category description"
    questions:
      - key: tests
        kind: scale
        text: "{QUESTION}"
        help: "{SVG} help"
        levels:
          - "{SVG} No automated tests."
          - Some unit tests.
          - Tests on every merge.
          - Tests gate every merge.
          - Suites are measured.
      - key: reflection
        kind: text
        text: "{SVG} What slowed you down?"
  - key: delivery
    name: Delivery performance
    kind: delivery
    questions:
      - key: deploys
        kind: choice
        metric: deployment_frequency
        text: How often do you deploy?
        choices:
          - {{label: "{SVG} rarely", score: 1}}
          - {{label: '{FORMULA}', score: 2}}
          - {{label: Weekly, score: 3}}
          - {{label: Daily, score: 4}}
          - {{label: Hourly, score: 5}}
          - {{label: On demand, score: 6}}
"""


@dataclass
class Hostile:
    team: object
    survey_round: object
    member: object
    lead: object
    manager: object
    facilitator: object


@pytest.fixture
def hostile(db) -> Hostile:
    """Three members of the hostile team submitted in the open round; its lead has not.

    One of them deploys "monthly", the choice whose label is a formula.
    """
    questionnaire = questionnaire_load(spec=parse_questionnaire(HOSTILE_YAML)).questionnaire
    team = TeamFactory(name=TEAM, slug="evil-team", group=GROUP)
    survey_round = SurveyRoundFactory(
        name=ROUND, slug="evil-round", questionnaire=questionnaire, teams=[team]
    )
    members = [
        MembershipFactory(team=team, user=UserFactory(username=f"m{i}")).user for i in range(3)
    ]
    for user, (level, reflection, deploys) in zip(
        members, [(1, REFLECTION, 4), (3, FORMULA, 2), (2, "Fine.", 4)], strict=True
    ):
        submit_as(
            user,
            survey_round,
            team,
            {"tests": level, "reflection": reflection, "deploys": deploys},
        )
    lead = MembershipFactory(
        team=team, user=UserFactory(username="lead"), role=Membership.Role.LEAD
    ).user
    return Hostile(team, survey_round, members[0], lead, make_manager(), make_facilitator())


@pytest.fixture
def released(hostile) -> Hostile:
    """The same, after the round has closed: its results are released."""
    close_round(hostile.survey_round)
    return hostile


def figure_blocks(html: str) -> list[str]:
    """The charts' JSON blocks (not plotly's template, which holds no name)."""
    return re.findall(
        r'<script id="chart-[^"]+" type="application/json">(.*?)</script>', html, re.S
    )


def strings_in(value) -> list[str]:
    """Every string in decoded JSON, with the key it sits under."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def plotly_text(name: str) -> str:
    """A name as reports.charts hands it to plotly: < and > as entities, shown as typed."""
    return name.replace("<", "&lt;").replace(">", "&gt;")


def assert_no_markup_in_figures(strings: list[str]) -> None:
    """plotly.js draws <b>, <a href>... in labels and hover text: only our <br> may be there."""
    assert not [s for s in strings if re.search(r"<(?!br>|/?extra>)", s)]


def hover_texts(figure: dict) -> list[str]:
    return [s for trace in figure["data"] for s in strings_in(trace.get("hovertext", []))]


def assert_no_raw_markup(html: str) -> None:
    for markup in RAW_MARKUP:
        assert markup not in html, f"unescaped {markup!r}"
    # Every <script> is our own file or a JSON data block.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def get(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def survey_url(name: str, *args) -> str:
    return reverse(f"surveys:{name}", args=["evil-round", "evil-team", *args])


# (page, who, url, the payloads that page shows); the dashboards after the close
PAGES = [
    ("my surveys", "lead", reverse("surveys:my_surveys"), [TEAM, ROUND]),
    ("survey start", "lead", survey_url("start"), [TEAM, ROUND, f"{SVG} Maturity"]),
    ("survey page", "lead", survey_url("page", 1), [TEAM, ROUND, CATEGORY, QUESTION]),
    ("review", "lead", survey_url("review"), [TEAM, ROUND]),
    ("done", "member", survey_url("done"), [TEAM, ROUND]),
    (
        "team dashboard",
        "member",
        reverse("reports:team_dashboard", args=["evil-team"]),
        [TEAM, GROUP, ROUND, CATEGORY, QUESTION, REFLECTION],
    ),
    ("org dashboard", "manager", reverse("reports:org_dashboard"), [TEAM, ROUND, CATEGORY]),
    ("round list", "facilitator", reverse("surveys:round_list"), [ROUND]),
    ("round detail", "facilitator", reverse("surveys:round_detail", args=["evil-round"]), [TEAM]),
    ("team list", "facilitator", reverse("surveys:team_list"), [TEAM]),
    ("team detail", "facilitator", reverse("surveys:team_detail", args=["evil-team"]), [TEAM]),
    (
        "export page",
        "facilitator",
        reverse("reports:export_round", args=["evil-round"]),
        [TEAM, ROUND],
    ),
]


@pytest.mark.parametrize(("page", "who", "url", "shown"), PAGES, ids=[p[0] for p in PAGES])
def test_hostile_names_and_texts_are_shown_escaped(client, hostile, page, who, url, shown):
    if page in ("survey page", "review"):
        response_start(survey_round=hostile.survey_round, team=hostile.team, user=hostile.lead)
    if page in ("team dashboard", "org dashboard"):
        close_round(hostile.survey_round)

    html = get(client, getattr(hostile, who), url)

    assert_no_raw_markup(html)
    for payload in shown:
        assert escape(payload) in html, f"{page} does not show {payload!r} escaped"


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("member", reverse("reports:team_dashboard", args=["evil-team"])),
        ("manager", reverse("reports:org_dashboard")),
    ],
    ids=["team dashboard", "org dashboard"],
)
def test_chart_data_cannot_close_its_script_element(client, released, who, url):
    html = get(client, getattr(released, who), url)

    blocks = figure_blocks(html)
    assert len(blocks) >= 4
    # No "<" at all, so no "</script>" can end a block early; JSON escapes
    # (\u003c) carry the text people typed, and the blocks still parse whole.
    assert not [block for block in blocks if "<" in block or ">" in block]
    decoded = [s for block in blocks for s in strings_in(json.loads(block))]
    assert any(plotly_text(TEAM) in s or plotly_text(CATEGORY) in s for s in decoded)
    assert_no_markup_in_figures(decoded)


def test_team_chart_hover_texts_carry_the_names_as_text(client, released):
    html = get(client, released.member, reverse("reports:team_dashboard", args=["evil-team"]))

    figures = [json.loads(block) for block in figure_blocks(html)]
    texts = [s for figure in figures for s in strings_in(figure)]
    hovers = [s for figure in figures for s in hover_texts(figure)]
    # Exact values where a name is a value: the round on the x axis, the
    # category as a trace name; in hover text too. plotly.js would draw <b>,
    # <a href>... in any of them, so they carry entities that it shows as typed.
    assert plotly_text(ROUND) in texts
    assert plotly_text(CATEGORY) in texts
    assert any(plotly_text(CATEGORY) in h and plotly_text(ROUND) in h for h in hovers)
    assert_no_markup_in_figures(texts)


def test_org_chart_hover_texts_carry_the_team_name_as_text(client, released):
    html = get(client, released.manager, reverse("reports:org_dashboard"))

    figures = [json.loads(block) for block in figure_blocks(html)]
    heatmap = next(f for f in figures if f["data"] and f["data"][0]["type"] == "heatmap")
    assert heatmap["data"][0]["y"] == [plotly_text(TEAM)]
    assert any(
        hover.startswith(f"{plotly_text(TEAM)} · {plotly_text(CATEGORY)}")
        for hover in hover_texts(heatmap)
    )
    assert_no_markup_in_figures([s for figure in figures for s in strings_in(figure)])


def export(client, user, fmt: str) -> bytes:
    client.force_login(user)
    url = reverse("reports:export_team", args=["evil-round", "evil-team", fmt])
    response = client.get(url)
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_the_markdown_retro_pack_carries_no_raw_html(client, released):
    markdown = export(client, released.facilitator, "md").decode()

    for markup in ("<script", "<img", "<svg"):
        assert markup not in markdown
    assert "# Retro pack: &lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    assert "- &lt;script&gt;alert('r')&lt;/script&gt;" in markdown
    assert '- \\=HYPERLINK("http\\[:\\]//evil")' in markdown


def test_xlsx_cells_never_start_a_formula(client, released):
    workbook = openpyxl.load_workbook(io.BytesIO(export(client, released.member, "xlsx")))

    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    values = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert f"'{GROUP}" in values  # the team's group, in the Participation sheet
    assert TEAM in values  # text in a cell is inert: kept as typed
    assert QUESTION in values
    # Reflections are never in the workbook, hostile or not.
    assert not [value for value in values if REFLECTION in value or "HYPERLINK" in value]


def test_the_answers_csv_neutralises_a_formula(client, released):
    # Facilitators only; the formula is a choice label (reflections are never in it).
    content = export(client, released.facilitator, "answers-csv").decode("utf-8-sig")

    assert '\'=HYPERLINK(""http://evil"")' in content
    assert ',=HYPERLINK("' not in content and ',"=HYPERLINK' not in content
    assert "alert('r')" not in content


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("see https://evil.example/login", "see https\\[:\\]//evil.example/login"),
        ("HTTP://EVIL.EXAMPLE", "HTTP\\[:\\]//EVIL.EXAMPLE"),
        ("ftp://files.example", "ftp\\[:\\]//files.example"),
        ("www.evil.example", "www\\[.\\]evil.example"),
        ("mail alice@example.com", "mail alice\\[@\\]example.com"),
        ("mailto:bob@example.com", "mailto\\[:\\]bob\\[@\\]example.com"),
        ("@channel look", "\\[@\\]channel look"),
        ("[click](https://evil.example)", "\\[click\\](https\\[:\\]//evil.example)"),
        ("awww.nice and v1.2", "awww.nice and v1.2"),
    ],
)
def test_markdown_defuses_links_that_github_and_gitlab_would_make(typed, written):
    # Checked against cmark-gfm (GitHub's renderer): none of these renders a link.
    assert md_escape(typed) == written


def test_the_retro_pack_carries_no_bare_url(client, released):
    markdown = export(client, released.facilitator, "md").decode()

    assert not re.search(r"(?i)\b(https?|ftp)://|\bwww\.", markdown)
