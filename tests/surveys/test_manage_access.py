"""Who may use the facilitator pages: every URL x every role.

Only facilitators get in. Everyone else who is logged in gets 404 (the pages do
not admit that rounds or teams exist) and changes nothing; anonymous visitors
are sent to log in.
"""

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessment.loader import parse_questionnaire
from assessment.models import Questionnaire
from assessment.services import questionnaire_load
from surveys.models import Membership, SurveyRound, Team
from tests.factories import (
    FIXTURES,
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    load_questionnaire,
    make_facilitator,
    make_manager,
)

pytestmark = pytest.mark.django_db


NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
CLOSES_AT = datetime(2026, 4, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def world():
    """Payments with a member and a lead, in an open round; a manager and a facilitator;
    a draft version 7 of the round's questionnaire."""
    payments = TeamFactory(name="Payments", slug="payments")
    people = {
        "member": MembershipFactory(team=payments, user=UserFactory(username="mia")).user,
        "lead": MembershipFactory(
            team=payments, user=UserFactory(username="leo"), role=Membership.Role.LEAD
        ).user,
        "manager": make_manager("maggie"),
        "facilitator": make_facilitator("fran"),
    }
    MembershipFactory(team=payments, user=UserFactory(username="bob", email="bob@example.com"))
    survey_round = SurveyRoundFactory(
        name="2026 Q2",
        slug="2026-q2",
        questionnaire=load_questionnaire(),
        opens_at=datetime(2026, 4, 1, tzinfo=UTC),
        closes_at=CLOSES_AT,
        teams=[payments],
    )
    # A draft version of the questionnaire, for the publish page.
    spec = parse_questionnaire(_mini_version(7).decode())
    questionnaire_load(spec=dataclasses.replace(spec, published=False))
    return {"team": payments, "round": survey_round, "people": people}


def _bob() -> User:
    return User.objects.get(username="bob")


@dataclass(frozen=True)
class Case:
    """One protected URL: how to call it, what a facilitator sees, what must not change."""

    id: str
    method: str
    url_name: str
    args: tuple = ()
    data: Any = None  # dict, or a callable(world) -> dict
    # For GET: text the facilitator's page shows. For POST: where it redirects.
    expect: str = ""
    user_arg: bool = False  # append bob's id to args
    state: Any = None  # callable() -> value that only a facilitator may change

    def url(self) -> str:
        args = (*self.args, _bob().pk) if self.user_arg else self.args
        return reverse(f"surveys:{self.url_name}", args=args)

    def payload(self, world) -> dict | None:
        return self.data(world) if callable(self.data) else self.data


def _round_state():
    return list(SurveyRound.objects.values_list("name", "closes_at"))


def _team_state():
    return sorted(Team.objects.values_list("name", flat=True))


def _membership_state():
    return sorted(Membership.objects.values_list("user__username", "team__name", "role"))


def _user_state():
    return sorted(User.objects.values_list("username", flat=True))


def _new_round(world):
    return {
        "name": "2026 Q3",
        "questionnaire": world["round"].questionnaire_id,
        "opens_at": "2026-07-01T09:00",
        "closes_at": "2026-07-21T17:00",
        "teams": [world["team"].pk],
        "min_respondents": 3,
    }


def _questionnaire_state():
    return sorted(Questionnaire.objects.values_list("slug", "version", "is_published"))


def _mini_version(number: int) -> bytes:
    return (
        (FIXTURES / "mini.yaml").read_bytes().replace(b"version: 1", f"version: {number}".encode())
    )


def _questionnaire_upload(world):
    return {"file": SimpleUploadedFile("mini-v2.yaml", _mini_version(2))}


def _csv_upload(world):
    content = b"email,name,team,role\nnew.person@example.com,New Person,Search,member\n"
    return {"file": SimpleUploadedFile("members.csv", content, content_type="text/csv")}


CASES = [
    Case("round-list", "get", "round_list", expect="2026 Q2"),
    Case("round-create-form", "get", "round_create", expect="New survey round"),
    Case(
        "round-create",
        "post",
        "round_create",
        data=_new_round,
        expect="/surveys/manage/rounds/2026-q3/",
        state=_round_state,
    ),
    Case("round-detail", "get", "round_detail", ("2026-q2",), expect="Close now"),
    Case(
        "round-extend",
        "post",
        "round_extend",
        ("2026-q2",),
        data={"closes_at": "2026-05-10T17:00"},
        expect="/surveys/manage/rounds/2026-q2/",
        state=_round_state,
    ),
    Case(
        "round-close",
        "post",
        "round_close",
        ("2026-q2",),
        expect="/surveys/manage/rounds/2026-q2/",
        state=_round_state,
    ),
    Case("team-list", "get", "team_list", expect="Import members from CSV"),
    Case(
        "team-create",
        "post",
        "team_list",
        data={"name": "Search", "group": ""},
        expect="/surveys/manage/teams/search/",
        state=_team_state,
    ),
    Case("team-detail", "get", "team_detail", ("payments",), expect="bob@example.com"),
    Case(
        "member-add",
        "post",
        "team_detail",
        ("payments",),
        data={"user": "maggie", "role": "member"},
        expect="/surveys/manage/teams/payments/",
        state=_membership_state,
    ),
    Case(
        "member-role",
        "post",
        "membership_update",
        ("payments",),
        user_arg=True,
        data={"action": "role", "role": "lead"},
        expect="/surveys/manage/teams/payments/",
        state=_membership_state,
    ),
    Case(
        "member-remove",
        "post",
        "membership_update",
        ("payments",),
        user_arg=True,
        data={"action": "remove"},
        expect="/surveys/manage/teams/payments/",
        state=_membership_state,
    ),
    Case("import-form", "get", "members_import", expect="Expected columns"),
    Case(
        "import",
        "post",
        "members_import",
        data=_csv_upload,
        expect="/surveys/manage/teams/",
        state=_user_state,
    ),
    Case("questionnaire-list", "get", "questionnaire_list", expect="Mini questionnaire"),
    Case("questionnaire-upload-form", "get", "questionnaire_upload", expect="Upload as draft"),
    Case(
        "questionnaire-upload",
        "post",
        "questionnaire_upload",
        data=_questionnaire_upload,
        expect="/surveys/manage/questionnaires/mini/v2/",
        state=_questionnaire_state,
    ),
    Case(
        "questionnaire-detail",
        "get",
        "questionnaire_detail",
        ("mini", 1),
        expect="Preview: what members will see",
    ),
    Case(
        "questionnaire-publish",
        "post",
        "questionnaire_publish",
        ("mini", 7),
        expect="/surveys/manage/questionnaires/mini/v7/",
        state=_questionnaire_state,
    ),
]
NON_FACILITATORS = ["member", "lead", "manager"]


def _request(client, case: Case, world):
    return getattr(client, case.method)(case.url(), case.payload(world))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_anonymous_visitors_are_sent_to_log_in_and_change_nothing(client, world, case):
    before = case.state() if case.state else None

    response = _request(client, case, world)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={quote(case.url())}"
    if case.state:
        assert case.state() == before


@pytest.mark.parametrize("role", NON_FACILITATORS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_members_leads_and_managers_get_not_found_and_change_nothing(client, world, case, role):
    client.force_login(world["people"][role])
    before = case.state() if case.state else None

    response = _request(client, case, world)

    assert response.status_code == 404
    if case.expect and case.method == "get":
        assert case.expect not in response.content.decode()
    if case.state:
        assert case.state() == before


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_facilitators_can_use_every_manage_page(client, world, case):
    client.force_login(world["people"]["facilitator"])
    before = case.state() if case.state else None

    response = _request(client, case, world)

    if case.method == "get":
        assert response.status_code == 200
        assert case.expect in response.content.decode()
    else:
        assert response.status_code == 302
        assert response.url == case.expect
        assert case.state() != before


def test_a_facilitator_who_is_also_a_team_member_keeps_access(client, world):
    fran = world["people"]["facilitator"]
    MembershipFactory(team=world["team"], user=fran)
    client.force_login(fran)

    response = client.get(reverse("surveys:round_detail", args=["2026-q2"]))

    assert response.status_code == 200
    assert response.context["round"] == world["round"]
