"""Another team's ids and slugs in every URL that takes one, for each role.

The viewer belongs to team A (Payments) or has an organisation role; the URLs
name team B (Checkout), a round only B takes part in ("checkout-pilot"), or a
member of B. Where the role has no right, the answer is 404 (never a 403 that
admits the object exists) and nothing changes; where it has the right, the page
or the action works. The documented 403s are exports refused to a role that may
see the team, each saying why: a format a manager may not have (answers,
reflections), and any export of a round that has not closed yet.

Checkout's three members submitted in the shared round, which has then closed,
so its results are released; the pilot round is still open.

The role x URL matrices for each app's own objects are in tests/surveys and
tests/reports; these are the cross-team cases.
"""

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from surveys.models import Membership, SurveyRound
from tests.factories import MembershipFactory, UserFactory, close_round
from tests.security.world import ROLES, World, build_world, submit_as

pytestmark = pytest.mark.django_db

SHARED, PILOT = "2026-q4", "checkout-pilot"
FORMATS = ("csv", "answers-csv", "xlsx", "json", "md")


def build_teams() -> World:
    """Checkout (k = 3 reached) submitted in the shared round, now closed; its lead in the pilot."""
    world = build_world()
    third = MembershipFactory(team=world.team_b, user=UserFactory(username="bo")).user
    for user in (world.people["b_member"], world.people["b_lead"], third):
        submit_as(user, world.shared_round, world.team_b)
    submit_as(world.people["b_lead"], world.b_round, world.team_b)
    close_round(world.shared_round)
    return world


@pytest.fixture(scope="module")
def built_teams(module_rows) -> World:
    # Built once for this module's ~125 tests; each test gets its own copy.
    return module_rows(build_teams)


@pytest.fixture
def teams(built_teams) -> World:
    return copy.deepcopy(built_teams)


def nobody(**overrides) -> dict[str, int]:
    return {**dict.fromkeys(ROLES, 404), **overrides}


def org_roles(status: int) -> dict[str, int]:
    return nobody(manager=status, facilitator=status)


def facilitator_only(status: int) -> dict[str, int]:
    return nobody(facilitator=status)


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    url: Callable[[World], str]
    expected: dict[str, int]
    data: Callable[[World], dict] | None = None
    # For the roles with the right: proof that it worked (content or a change).
    works: Callable[[Any, World], None] | None = None
    # For a documented 403: what the refusal page says.
    refusal: str = ""


def survey(name: str, round_slug: str, team_slug: str, *args) -> Callable[[World], str]:
    return lambda w: reverse(f"surveys:{name}", args=[round_slug, team_slug, *args])


def answers(w: World) -> dict:
    choice = w.questionnaire.questions.get(key="cicd-tests").choices.get(score=2)
    return {"page": "1", "q-cicd-tests": str(choice.pk), "action": "save"}


def shows(*texts: str) -> Callable[[Any, World], None]:
    def check(response, w):
        body = response.content.decode()
        for text in texts:
            assert text in body

    return check


def downloads(response, w) -> None:
    assert response["Content-Disposition"].startswith("attachment;")


def redirects_to(path: str) -> Callable[[Any, World], None]:
    def check(response, w):
        assert response["Location"] == path

    return check


def export_team(round_slug: str, team_slug: str, fmt: str) -> Callable[[World], str]:
    return lambda w: reverse("reports:export_team", args=[round_slug, team_slug, fmt])


MANAGER_FORMATS = {"csv": 200, "answers-csv": 403, "xlsx": 200, "json": 200, "md": 403}
MANAGER_REFUSALS = {
    "answers-csv": "which only facilitators may download",
    "md": "which only the team and facilitators may read",
}

CASES = [
    # --- answering: nobody here belongs to Checkout, so its survey does not exist for them
    *(
        Case(
            f"answer {name} {method} B's team",
            method,
            survey(name, SHARED, "checkout", *a),
            nobody(),
        )
        for name, a, method in [
            ("start", (), "get"),
            ("start", (), "post"),
            ("page", (1,), "get"),
            ("review", (), "get"),
            ("review", (), "post"),
            ("done", (), "get"),
        ]
    ),
    Case(
        "answer page post B's team",
        "post",
        survey("page", SHARED, "checkout", 1),
        nobody(),
        answers,
    ),
    Case("autosave B's team", "post", survey("autosave", SHARED, "checkout"), nobody(), answers),
    Case("answer B's round as team A", "get", survey("start", PILOT, "payments"), nobody()),
    Case("answer B's round as team B", "get", survey("start", PILOT, "checkout"), nobody()),
    Case("answer B's round post as A", "post", survey("start", PILOT, "payments"), nobody()),
    # --- dashboards and exports
    Case(
        "team dashboard of B",
        "get",
        lambda w: reverse("reports:team_dashboard", args=["checkout"]),
        org_roles(200),
        works=shows("Checkout", "Category scores over time"),
    ),
    *(
        Case(
            f"export {fmt} of B",
            "get",
            export_team(SHARED, "checkout", fmt),
            nobody(manager=MANAGER_FORMATS[fmt], facilitator=200),
            works=downloads,
            refusal=MANAGER_REFUSALS.get(fmt, ""),
        )
        for fmt in FORMATS
    ),
    Case("export team A from B's round", "get", export_team(PILOT, "payments", "csv"), nobody()),
    Case(
        "export B from B's open round",
        "get",
        export_team(PILOT, "checkout", "csv"),
        org_roles(403),
        refusal="Results of Checkout pilot appear when the round closes",
    ),
    Case(
        "export page of B's round",
        "get",
        lambda w: reverse("reports:export_round", args=[PILOT]),
        org_roles(200),
        works=shows("Checkout pilot", "Checkout"),
    ),
    Case(
        "export B's answers from the round page",
        "post",
        lambda w: reverse("reports:export_round", args=[SHARED]),
        nobody(manager=403, facilitator=200),
        data=lambda w: {"teams": [w.team_b.pk], "format": "answers-csv"},
        works=downloads,
        refusal="which only facilitators may download",
    ),
    # --- facilitator pages
    Case(
        "team detail of B",
        "get",
        lambda w: reverse("surveys:team_detail", args=["checkout"]),
        facilitator_only(200),
        works=shows("bob@example.com"),
    ),
    Case(
        "add someone to B",
        "post",
        lambda w: reverse("surveys:team_detail", args=["checkout"]),
        facilitator_only(302),
        data=lambda w: {"user": "alice", "role": "lead"},
        works=lambda r, w: Membership.objects.get(team=w.team_b, user__username="alice"),
    ),
    Case(
        "change B's member through A's URL",
        "post",
        lambda w: reverse("surveys:membership_update", args=["payments", w.people["b_member"].pk]),
        nobody(),
        data=lambda w: {"action": "remove"},
    ),
    Case(
        "change B's member",
        "post",
        lambda w: reverse("surveys:membership_update", args=["checkout", w.people["b_member"].pk]),
        facilitator_only(302),
        data=lambda w: {"action": "role", "role": "lead"},
        works=lambda r, w: Membership.objects.get(team=w.team_b, role="lead", user__username="bob"),
    ),
    Case(
        "round detail of B's round",
        "get",
        lambda w: reverse("surveys:round_detail", args=[PILOT]),
        facilitator_only(200),
        works=shows("Checkout pilot", "Checkout"),
    ),
    Case(
        "extend B's round",
        "post",
        lambda w: reverse("surveys:round_extend", args=[PILOT]),
        facilitator_only(302),
        data=lambda w: {"closes_at": "2099-01-01T12:00"},
        works=lambda r, w: SurveyRound.objects.get(slug=PILOT, closes_at__year=2099),
    ),
    Case(
        "close B's round",
        "post",
        lambda w: reverse("surveys:round_close", args=[PILOT]),
        facilitator_only(302),
        works=lambda r, w: SurveyRound.objects.closed().get(slug=PILOT),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_another_teams_ids_answer_not_found_unless_the_role_has_the_right(
    client, teams, fingerprint, case, role
):
    teams.login(client, role)
    before = fingerprint()
    data = case.data(teams) if case.data else None

    response = getattr(client, case.method)(case.url(teams), data)

    expected = case.expected[role]
    assert response.status_code == expected
    if expected == 404:
        assert "Checkout" not in response.content.decode()
        assert fingerprint() == before
    elif expected == 403:
        # A documented refusal: it says why, and sends no file.
        assert "Export refused" in response.content.decode()
        assert case.refusal and case.refusal in response.content.decode()
        assert "Content-Disposition" not in response
        assert fingerprint() == before
    elif case.works:
        case.works(response, teams)


def without_csrf_token(html: str) -> str:
    # The logout form's token is masked afresh on every response.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize(
    "url_name,existing,missing",
    [
        ("surveys:start", [SHARED, "checkout"], [SHARED, "no-such-team"]),
        ("surveys:start", [PILOT, "payments"], ["no-such-round", "payments"]),
        ("reports:export_team", [SHARED, "checkout", "csv"], [SHARED, "no-such-team", "csv"]),
        ("reports:export_round", [PILOT], ["no-such-round"]),
        ("surveys:team_detail", ["checkout"], ["no-such-team"]),
    ],
)
def test_another_teams_object_looks_exactly_like_a_missing_one(
    client, teams, url_name, existing, missing
):
    teams.login(client, "lead")

    other = client.get(reverse(url_name, args=existing))
    absent = client.get(reverse(url_name, args=missing))

    assert other.status_code == absent.status_code == 404
    assert without_csrf_token(other.content.decode()) == without_csrf_token(absent.content.decode())


@pytest.mark.parametrize("role", ["member", "lead"])
def test_members_of_team_a_reach_their_own_survey_and_dashboard(client, teams, role):
    # The control for the 404s above: the same URLs with their own team work.
    teams.login(client, role)

    start = client.get(reverse("surveys:start", args=[SHARED, "payments"]))
    dashboard = client.get(reverse("reports:team_dashboard", args=["payments"]))

    assert start.status_code == 200 and "2026 Q4 · Payments" in start.content.decode()
    assert dashboard.status_code == 200
    assert "Payments" in dashboard.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_naming_b_only_round_on_team_a_dashboard_shows_nothing_of_it(client, teams, role):
    teams.login(client, role)

    url = reverse("reports:team_dashboard", args=["payments"]) + f"?round={PILOT}"
    response = client.get(url)

    assert response.status_code == 200
    assert "Checkout pilot" not in response.content.decode()
    assert response.context["selected"] == teams.shared_round


@pytest.mark.parametrize("role", ["manager", "facilitator"])
def test_a_round_export_cannot_include_a_team_outside_the_round(client, teams, fingerprint, role):
    teams.login(client, role)
    before = fingerprint()

    response = client.post(
        reverse("reports:export_round", args=[PILOT]),
        {"teams": [teams.team_a.pk], "format": "csv"},
    )

    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert "is not one of the available choices" in response.content.decode()
    assert fingerprint() == before
