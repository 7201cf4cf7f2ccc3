"""Facilitators' round pages: create (k at least 3), list, detail, extend and close.

Participation of a closed round counts the members recorded at its close; a
closed round cannot be extended (reopened); names of who has not submitted
appear only to a facilitator who leads the team, while the round is open.
"""

import re
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from surveys import services
from surveys.models import Membership, Response, SurveyRound
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    load_questionnaire,
    make_facilitator,
)

pytestmark = pytest.mark.django_db


NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def facilitator():
    return make_facilitator("fran")


@pytest.fixture
def fclient(client, facilitator):
    client.force_login(facilitator)
    return client


@pytest.fixture
def questionnaire():
    return load_questionnaire()


def _round(name="2026 Q2", *, opens="2026-04-01T00:00", closes="2026-04-30T00:00", **kwargs):
    return SurveyRoundFactory(
        name=name,
        opens_at=datetime.fromisoformat(opens).replace(tzinfo=UTC),
        closes_at=datetime.fromisoformat(closes).replace(tzinfo=UTC),
        **kwargs,
    )


def _respond(survey_round, team, user, *, submitted: bool) -> Response:
    return Response.objects.create(
        round=survey_round,
        team=team,
        respondent=user,
        status=Response.Status.SUBMITTED if submitted else Response.Status.DRAFT,
        submitted_at=timezone.now() if submitted else None,
    )


def _row(html: str, text: str) -> str:
    """The table row that mentions `text`."""
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if text in row]
    assert len(rows) == 1, f"expected one row mentioning {text!r}, found {len(rows)}"
    return rows[0]


def _create_data(questionnaire, chosen_teams, **overrides):
    data = {
        "name": "2026 Q3",
        "questionnaire": questionnaire.pk,
        "opens_at": "2026-07-01T09:00",
        "closes_at": "2026-07-21T17:00",
        "teams": [team.pk for team in chosen_teams],
        "min_respondents": 5,
    }
    data.update(overrides)
    return data


# --- create -----------------------------------------------------------------------


def test_create_form_offers_published_questionnaires_and_teams_by_name(fclient, questionnaire):
    TeamFactory(name="Payments")
    TeamFactory(name="Checkout")

    response = fclient.get(reverse("surveys:round_create"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Mini questionnaire (v1)" in html
    assert 'type="datetime-local"' in html
    assert html.index("Checkout") < html.index("Payments")
    assert response.context["form"]["min_respondents"].value() == 3


def test_creating_a_round_saves_teams_and_k_and_lists_it(fclient, facilitator, questionnaire):
    payments, checkout, _ = (
        TeamFactory(name="Payments"),
        TeamFactory(name="Checkout"),
        TeamFactory(),
    )

    response = fclient.post(
        reverse("surveys:round_create"), _create_data(questionnaire, [payments, checkout])
    )

    survey_round = SurveyRound.objects.get(name="2026 Q3")
    assert response.status_code == 302
    assert response.url == reverse("surveys:round_detail", args=[survey_round.slug])
    assert set(survey_round.teams.all()) == {payments, checkout}
    assert survey_round.min_respondents == 5
    assert survey_round.questionnaire == questionnaire
    assert survey_round.opens_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert survey_round.closes_at == datetime(2026, 7, 21, 17, 0, tzinfo=UTC)
    assert survey_round.created_by == facilitator

    detail = fclient.get(response.url)
    assert "Created the round 2026 Q3." in detail.content.decode()
    listing = _row(fclient.get(reverse("surveys:round_list")).content.decode(), "2026 Q3")
    assert "Not yet open" in listing
    assert "Mini questionnaire" in listing


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"closes_at": "2026-06-30T09:00"},
            "closes_at",
            "The round must close after it opens.",
        ),
        ({"closes_at": "2026-07-01T09:00"}, "closes_at", "The round must close after it opens."),
        ({"teams": []}, "teams", "Choose at least one team."),
        ({"name": "2026 q2"}, "name", "A round with this name exists already."),
        ({"min_respondents": 0}, "min_respondents", "The minimum group size must be at least 3"),
        ({"min_respondents": 2}, "min_respondents", "The minimum group size must be at least 3"),
        ({"opens_at": "next tuesday"}, "opens_at", "Enter a valid date/time."),
    ],
    ids=[
        "closes-before-opening",
        "closes-at-opening",
        "no-teams",
        "same-name",
        "k-0",
        "k-2",
        "bad-date",
    ],
)
def test_invalid_round_shows_a_form_error_and_creates_nothing(
    fclient, questionnaire, overrides, field, message
):
    _round("2026 Q2")
    team = TeamFactory()

    response = fclient.post(
        reverse("surveys:round_create"), _create_data(questionnaire, [team], **overrides)
    )

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert list(SurveyRound.objects.values_list("name", flat=True)) == ["2026 Q2"]


def test_unpublished_questionnaire_cannot_be_chosen(fclient, questionnaire):
    questionnaire.is_published = False
    questionnaire.save(update_fields=["is_published"])

    response = fclient.post(
        reverse("surveys:round_create"), _create_data(questionnaire, [TeamFactory()])
    )

    assert "questionnaire" in response.context["form"].errors
    assert "Mini questionnaire" not in response.content.decode()
    assert not SurveyRound.objects.exists()


def test_a_refusal_from_the_service_is_shown_on_the_form(fclient, questionnaire, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"questionnaire": "Only a published questionnaire can be used."})

    monkeypatch.setattr(services, "round_create", refuse)

    response = fclient.post(
        reverse("surveys:round_create"), _create_data(questionnaire, [TeamFactory()])
    )

    assert response.status_code == 200
    assert response.context["form"].errors["questionnaire"] == [
        "Only a published questionnaire can be used."
    ]
    assert not SurveyRound.objects.exists()


def test_a_round_named_like_a_page_gets_a_slug_that_does_not_hide_its_page(fclient, questionnaire):
    fclient.post(
        reverse("surveys:round_create"),
        _create_data(questionnaire, [TeamFactory()], name="New"),
    )

    survey_round = SurveyRound.objects.get(name="New")
    assert survey_round.slug == "new-2"
    response = fclient.get(reverse("surveys:round_detail", args=[survey_round.slug]))
    assert response.context["round"] == survey_round


# --- list ---------------------------------------------------------------------------


def test_round_list_shows_rounds_newest_first_with_status_and_participation(fclient):
    payments, checkout = TeamFactory(name="Payments"), TeamFactory(name="Checkout")
    members = [MembershipFactory(team=payments).user for _ in range(3)]
    MembershipFactory(team=checkout)
    closed = _round(
        "2026 Q1", opens="2026-01-05T00:00", closes="2026-01-31T00:00", teams=[payments]
    )
    open_ = _round("2026 Q2", teams=[payments, checkout])
    _round("2026 Q3", opens="2026-07-01T00:00", closes="2026-07-31T00:00", teams=[checkout])
    _respond(open_, payments, members[0], submitted=True)
    _respond(open_, payments, members[1], submitted=False)
    _respond(closed, payments, members[0], submitted=True)
    _respond(closed, payments, members[2], submitted=True)
    # Everyone joined before 2026 Q1 closed, so they count there too.
    Membership.objects.update(created_at=datetime(2026, 1, 1, tzinfo=UTC))

    response = fclient.get(reverse("surveys:round_list"))

    html = response.content.decode()
    assert [r.name for r in response.context["rounds"]] == ["2026 Q3", "2026 Q2", "2026 Q1"]
    assert html.index("2026 Q3") < html.index("2026 Q2") < html.index("2026 Q1")
    assert "Not yet open" in _row(html, "2026 Q3")
    q2 = _row(html, "2026 Q2")
    assert "Open" in q2 and "1 Apr 2026" in q2 and "30 Apr 2026" in q2
    assert re.search(r">2</td>", q2)  # teams
    assert "1 / 4" in q2  # the draft does not count; 3 + 1 invited
    q1 = _row(html, "2026 Q1")
    assert "Closed" in q1
    assert "2 / 3" in q1
    assert reverse("surveys:round_create") in html


def test_round_list_counts_the_members_at_close_of_a_closed_round(fclient):
    payments = TeamFactory(name="Payments")
    members = [MembershipFactory(team=payments).user for _ in range(3)]
    Membership.objects.update(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    closed = _round(
        "2026 Q1", opens="2026-01-05T00:00", closes="2026-01-31T00:00", teams=[payments]
    )
    _respond(closed, payments, members[0], submitted=True)
    MembershipFactory(team=payments)  # joins on 15 April, after the close

    detail = fclient.get(reverse("surveys:round_detail", args=[closed.slug]))
    listing = _row(fclient.get(reverse("surveys:round_list")).content.decode(), "2026 Q1")

    assert [t.invited for t in detail.context["teams"]] == [3]
    assert "1 / 3" in listing


def test_round_list_without_rounds_invites_to_create_one(fclient):
    response = fclient.get(reverse("surveys:round_list"))

    assert "No survey rounds yet" in response.content.decode()


# --- detail and participation ----------------------------------------------------


@pytest.fixture
def participation(facilitator):
    """Payments (led by the facilitator): 4 invited, 1 draft, 1 submitted.
    Checkout: 3 invited, 1 draft, 1 submitted."""
    people = {
        username: UserFactory(username=username, first_name=first, last_name=last)
        for username, first, last in [
            ("alice", "Alice", "Archer"),
            ("bob", "Bob", "Baker"),
            ("carol", "Carol", "Cooper"),
            ("dave", "Dave", "Dyer"),
            ("erin", "Erin", "Ellis"),
            ("gus", "Gus", "Grant"),
        ]
    }
    payments, checkout = TeamFactory(name="Payments"), TeamFactory(name="Checkout")
    for username in ("alice", "bob", "carol"):
        MembershipFactory(team=payments, user=people[username])
    MembershipFactory(team=payments, user=facilitator, role=Membership.Role.LEAD)
    for username in ("dave", "erin", "gus"):
        MembershipFactory(team=checkout, user=people[username])
    survey_round = _round("2026 Q2", teams=[payments, checkout])
    _respond(survey_round, payments, people["alice"], submitted=True)
    _respond(survey_round, payments, people["bob"], submitted=False)
    _respond(survey_round, checkout, people["dave"], submitted=True)
    _respond(survey_round, checkout, people["erin"], submitted=False)
    # Another round's answers do not count in this one.
    earlier = _round("2026 Q1", opens="2026-01-05T00:00", closes="2026-01-31T00:00")
    earlier.teams.add(payments)
    _respond(earlier, payments, people["carol"], submitted=True)
    return survey_round


def test_detail_counts_invited_drafts_and_submitted_per_team(fclient, participation):
    response = fclient.get(reverse("surveys:round_detail", args=[participation.slug]))

    html = response.content.decode()
    counts = {t.name: (t.invited, t.drafts, t.submitted) for t in response.context["teams"]}
    assert counts == {"Checkout": (3, 1, 1), "Payments": (4, 1, 1)}
    payments = _row(html, "Payments")
    assert 'data-count="invited">4<' in payments
    assert 'data-count="drafts">1<' in payments
    assert 'data-count="submitted">1<' in payments
    assert "25%" in payments
    checkout = _row(html, "Checkout")
    assert 'data-count="invited">3<' in checkout
    assert "33%" in checkout
    assert "All teams" in html and "29%" in html  # 2 of 7
    assert "Minimum group size (k)" in html and "Open" in html


def test_non_responder_names_appear_only_for_teams_the_facilitator_leads(fclient, participation):
    response = fclient.get(reverse("surveys:round_detail", args=[participation.slug]))

    html = response.content.decode()
    payments = _row(html, "Payments")
    assert "Bob Baker" in payments  # draft only
    assert "Carol Cooper" in payments  # submitted only in another round
    assert "Alice Archer" not in payments  # submitted
    for name in ("Dave Dyer", "Erin Ellis", "Gus Grant", "Alice Archer"):
        assert name not in html


def test_facilitator_who_leads_no_team_sees_counts_but_no_names(client, participation):
    client.force_login(make_facilitator("other-facilitator"))

    response = client.get(reverse("surveys:round_detail", args=[participation.slug]))

    html = response.content.decode()
    assert 'data-count="invited">4<' in _row(html, "Payments")
    for name in ("Bob Baker", "Carol Cooper", "Erin Ellis", "Gus Grant"):
        assert name not in html


def test_detail_of_a_closed_round_counts_members_at_its_close_and_names_nobody(
    fclient, facilitator
):
    payments = TeamFactory(name="Payments")
    people = [
        MembershipFactory(team=payments, user=UserFactory(first_name=name, last_name="Lane")).user
        for name in ("Alice", "Bob", "Carol")
    ]
    MembershipFactory(team=payments, user=facilitator, role=Membership.Role.LEAD)
    Membership.objects.update(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    closed = _round(
        "2026 Q1", opens="2026-01-05T00:00", closes="2026-01-31T00:00", teams=[payments]
    )
    _respond(closed, payments, people[0], submitted=True)
    MembershipFactory(team=payments, user=UserFactory(first_name="Dave", last_name="Late"))

    response = fclient.get(reverse("surveys:round_detail", args=[closed.slug]))

    html = response.content.decode()
    # Alice, Bob, Carol and the facilitator were members at the close; Dave joined later.
    assert [(t.invited, t.submitted) for t in response.context["teams"]] == [(4, 1)]
    assert 'data-count="invited">4<' in _row(html, "Payments")
    # The facilitator leads Payments, but names are for nudging while the round is open.
    for name in ("Bob Lane", "Carol Lane", "Dave Late"):
        assert name not in html


def test_unknown_round_is_not_found(fclient):
    response = fclient.get(reverse("surveys:round_detail", args=["no-such-round"]))

    assert response.status_code == 404


# --- extend and close -------------------------------------------------------------


def test_detail_offers_extend_and_close_forms_for_an_open_round(fclient):
    survey_round = _round("2026 Q2", teams=[TeamFactory()])

    html = fclient.get(reverse("surveys:round_detail", args=[survey_round.slug])).content.decode()

    assert f'action="{reverse("surveys:round_extend", args=[survey_round.slug])}"' in html
    assert f'action="{reverse("surveys:round_close", args=[survey_round.slug])}"' in html
    assert "Closing ends the round for everyone at once" in html
    assert 'value="2026-04-30T00:00"' in html


def test_extending_moves_the_closing_time(fclient):
    survey_round = _round("2026 Q2")

    response = fclient.post(
        reverse("surveys:round_extend", args=[survey_round.slug]),
        {"closes_at": "2026-05-10T17:00"},
        follow=True,
    )

    survey_round.refresh_from_db()
    assert survey_round.closes_at == datetime(2026, 5, 10, 17, 0, tzinfo=UTC)
    assert response.redirect_chain == [
        (reverse("surveys:round_detail", args=[survey_round.slug]), 302)
    ]
    assert "2026 Q2 now closes on 10 May 2026, 17:00." in response.content.decode()


def test_extending_into_the_past_is_refused_with_a_message(fclient):
    survey_round = _round("2026 Q2")

    response = fclient.post(
        reverse("surveys:round_extend", args=[survey_round.slug]),
        {"closes_at": "2026-04-10T09:00"},
        follow=True,
    )

    survey_round.refresh_from_db()
    assert survey_round.closes_at == datetime(2026, 4, 30, tzinfo=UTC)
    assert "The new closing time must be in the future." in response.content.decode()
    assert 'class="alert alert-danger"' in response.content.decode()


def test_extending_without_a_date_is_refused_with_a_message(fclient):
    survey_round = _round("2026 Q2")

    response = fclient.post(
        reverse("surveys:round_extend", args=[survey_round.slug]), {"closes_at": ""}, follow=True
    )

    survey_round.refresh_from_db()
    assert survey_round.closes_at == datetime(2026, 4, 30, tzinfo=UTC)
    assert "Enter the new closing date and time." in response.content.decode()


def test_close_now_closes_an_open_round(fclient):
    survey_round = _round("2026 Q2")

    response = fclient.post(reverse("surveys:round_close", args=[survey_round.slug]), follow=True)

    survey_round.refresh_from_db()
    assert survey_round.closes_at == NOW
    assert survey_round.status() == SurveyRound.Status.CLOSED
    html = response.content.decode()
    assert "2026 Q2 is closed." in html
    assert ">Closed</span>" in html
    assert "Close now</button>" not in html


def test_a_closed_round_cannot_be_extended_or_reopened(fclient):
    survey_round = _round("2026 Q1", opens="2026-01-05T00:00", closes="2026-01-31T00:00")

    response = fclient.post(
        reverse("surveys:round_extend", args=[survey_round.slug]),
        {"closes_at": "2026-05-10T17:00"},
        follow=True,
    )

    survey_round.refresh_from_db()
    assert survey_round.closes_at == datetime(2026, 1, 31, tzinfo=UTC)
    assert survey_round.status() == SurveyRound.Status.CLOSED
    html = response.content.decode()
    assert "This round has closed and its results are released, so it cannot be reopened." in html
    assert 'class="alert alert-danger"' in html


def test_a_round_closed_early_cannot_be_extended_either(fclient):
    survey_round = _round("2026 Q2")
    fclient.post(reverse("surveys:round_close", args=[survey_round.slug]))

    fclient.post(
        reverse("surveys:round_extend", args=[survey_round.slug]),
        {"closes_at": "2026-05-10T17:00"},
    )

    survey_round.refresh_from_db()
    assert survey_round.closes_at == NOW
    assert survey_round.status() == SurveyRound.Status.CLOSED


def test_closing_a_closed_round_keeps_it_closed_as_it_was(fclient):
    survey_round = _round("2026 Q1", opens="2026-01-05T00:00", closes="2026-01-31T00:00")

    fclient.post(reverse("surveys:round_close", args=[survey_round.slug]))

    survey_round.refresh_from_db()
    assert survey_round.closes_at == datetime(2026, 1, 31, tzinfo=UTC)
    assert survey_round.status() == SurveyRound.Status.CLOSED


def test_a_round_that_has_not_opened_cannot_be_closed(fclient):
    survey_round = _round("2026 Q3", opens="2026-07-01T00:00", closes="2026-07-31T00:00")

    response = fclient.post(reverse("surveys:round_close", args=[survey_round.slug]), follow=True)

    survey_round.refresh_from_db()
    assert survey_round.closes_at == datetime(2026, 7, 31, tzinfo=UTC)
    assert "cannot be closed" in response.content.decode()


@pytest.mark.parametrize("url_name", ["round_extend", "round_close"])
def test_extend_and_close_accept_only_post(fclient, url_name):
    survey_round = _round("2026 Q2")

    response = fclient.get(reverse(f"surveys:{url_name}", args=[survey_round.slug]))

    assert response.status_code == 405
    survey_round.refresh_from_db()
    assert survey_round.closes_at == datetime(2026, 4, 30, tzinfo=UTC)


# --- query budgets ----------------------------------------------------------------


def _rounds_with_teams(n_rounds: int, n_teams: int) -> list[SurveyRound]:
    teams = [TeamFactory() for _ in range(n_teams)]
    for team in teams:
        for _ in range(2):
            membership = MembershipFactory(team=team)
    rounds = [
        _round(f"Round {i}", opens=f"2026-04-0{i + 1}T00:00", teams=teams) for i in range(n_rounds)
    ]
    _respond(rounds[0], teams[0], membership.user, submitted=True)
    return rounds


@pytest.mark.parametrize(("n_rounds", "n_teams"), [(1, 1), (4, 5)])
def test_round_list_query_count_does_not_grow_with_rounds_or_teams(
    fclient, django_assert_num_queries, n_rounds, n_teams
):
    _rounds_with_teams(n_rounds, n_teams)

    # 1 session, 2 user, 3 user permissions, 4 group permissions,
    # 5 rounds with questionnaire and team count,
    # 6-8 participation (surveys.selectors.participation): round-team links,
    # today's members, responses by status (members at close: no round has
    # closed here, so no query), 9 my teams (navigation links to team results)
    with django_assert_num_queries(9):
        response = fclient.get(reverse("surveys:round_list"))

    assert len(response.context["rounds"]) == n_rounds


@pytest.mark.parametrize("n_teams", [1, 6])
def test_round_detail_query_count_does_not_grow_with_teams(
    fclient, facilitator, django_assert_num_queries, n_teams
):
    survey_round = _rounds_with_teams(1, n_teams)[0]
    for team in survey_round.teams.all():
        MembershipFactory(team=team, user=facilitator, role=Membership.Role.LEAD)

    # 1 session, 2 user, 3 user permissions, 4 group permissions,
    # 5 round with questionnaire, 6 the viewer's memberships (privacy.Viewer),
    # 7 the round's teams, 8-10 participation (round-team links, today's members
    # of an open round, responses by status), 11-12 members who have not
    # submitted in the teams the facilitator leads (their members, submitted
    # responses), 13 my teams (navigation links)
    with django_assert_num_queries(13):
        response = fclient.get(reverse("surveys:round_detail", args=[survey_round.slug]))

    assert len(response.context["teams"]) == n_teams
    assert all(team.pending for team in response.context["teams"])
