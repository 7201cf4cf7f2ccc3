"""The menu is cached per user and changes as soon as memberships or roles do."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from surveys.access import FACILITATORS_GROUP, MANAGERS_GROUP, role_group
from surveys.models import Membership
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ORGANISATION_LINK = reverse("reports:org_dashboard")
ROUNDS_LINK = reverse("surveys:round_list")


def team_link(team) -> str:
    return reverse("reports:team_dashboard", args=[team.slug])


@pytest.fixture
def member(client):
    membership = MembershipFactory(team=TeamFactory(name="Payments", slug="payments"))
    client.force_login(membership.user)
    return membership.user


def menu(client) -> str:
    return client.get(reverse("surveys:my_surveys")).content.decode()


def test_the_menu_costs_three_queries_once_then_none(client, member, django_assert_num_queries):
    # 1 session, 2 user, 3-6 the page itself (no round yet), 7 my teams,
    # 8 user permissions, 9 group permissions
    with django_assert_num_queries(9):
        client.get(reverse("surveys:my_surveys"))
    with django_assert_num_queries(6):
        page = menu(client)
    assert team_link(member.teams.get()) in page


def test_a_new_membership_shows_at_once_and_a_removed_one_goes(client, member):
    menu(client)
    checkout = TeamFactory(name="Checkout", slug="checkout")
    Membership.objects.create(user=member, team=checkout)

    assert team_link(checkout) in menu(client)

    Membership.objects.filter(user=member, team=checkout).delete()

    assert team_link(checkout) not in menu(client)


def test_a_renamed_team_shows_its_new_name(client, member):
    menu(client)
    team = member.teams.get()
    team.name = "Payments & Billing"
    team.save()

    assert "Payments &amp; Billing results" in menu(client)


def test_joining_and_leaving_a_role_group_changes_the_role_links(client, member):
    page = menu(client)
    assert ORGANISATION_LINK not in page and ROUNDS_LINK not in page

    member.groups.add(role_group(FACILITATORS_GROUP))
    page = menu(client)
    assert ORGANISATION_LINK in page and ROUNDS_LINK in page

    member.groups.remove(role_group(FACILITATORS_GROUP))
    role_group(MANAGERS_GROUP).user_set.add(member)
    page = menu(client)
    assert ORGANISATION_LINK in page and ROUNDS_LINK not in page


def test_someone_elses_change_leaves_my_cached_menu_alone(
    client, member, django_assert_num_queries
):
    menu(client)
    other = UserFactory()
    Membership.objects.create(user=other, team=TeamFactory())
    User.objects.get(pk=other.pk).save(update_fields=["last_login"])  # a login

    with django_assert_num_queries(6):
        menu(client)
