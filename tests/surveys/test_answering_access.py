"""Who may open the answering pages: role x URL."""

import pytest
from django.urls import reverse

from tests.factories import (
    MembershipFactory,
    TeamFactory,
    UserFactory,
    make_facilitator,
    make_manager,
)

pytestmark = pytest.mark.django_db

ANSWERING_PAGES = [
    ("start", ()),
    ("page", (1,)),
    ("review", ()),
    ("done", ()),
]


def user_for(role, survey):
    if role == "member":
        return survey.member
    if role == "other_team_member":
        return MembershipFactory(team=TeamFactory(name="Checkout", slug="checkout")).user
    if role == "manager":
        return make_manager()
    if role == "facilitator":
        return make_facilitator()
    if role == "lead_of_other_team":
        return MembershipFactory(team=TeamFactory(), role="lead").user
    return None


@pytest.mark.parametrize("name,args", ANSWERING_PAGES)
@pytest.mark.parametrize(
    "role,expected",
    [
        ("anonymous", 302),
        ("other_team_member", 404),
        ("lead_of_other_team", 404),
        ("manager", 404),
        ("facilitator", 404),
    ],
)
def test_only_members_of_a_participating_team_reach_its_survey(
    client, survey, name, args, role, expected
):
    user = user_for(role, survey)
    if user:
        client.force_login(user)
    response = client.get(survey.url(name, *args))
    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["start", "autosave", "review"])
@pytest.mark.parametrize("role", ["other_team_member", "manager", "facilitator"])
def test_outsiders_cannot_post_to_a_teams_survey(client, survey, name, role):
    from surveys.models import Response

    client.force_login(user_for(role, survey))
    response = client.post(survey.url(name), {"page": "1"})
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_a_team_that_does_not_take_part_in_the_round_has_no_survey(client, survey):
    outsider_team = TeamFactory(name="Data", slug="data")
    user = MembershipFactory(team=outsider_team).user
    client.force_login(user)
    url = reverse("surveys:start", args=[survey.round.slug, outsider_team.slug])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name,args", ANSWERING_PAGES)
def test_the_member_reaches_every_page_of_their_survey(client, survey, name, args):
    client.force_login(survey.member)
    client.post(survey.url("start"))
    response = client.get(survey.url(name, *args))
    # "done" sends you back to the start until you have submitted.
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert b"2026 Q4" in response.content


def test_my_surveys_requires_login_and_shows_only_my_teams(client, survey):
    assert client.get(reverse("surveys:my_surveys")).status_code == 302
    other = UserFactory(username="bob")
    client.force_login(other)
    page = client.get(reverse("surveys:my_surveys")).content.decode()
    assert "2026 Q4" not in page
    assert "not a member of any team" in page
