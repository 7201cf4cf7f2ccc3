"""What a team lead sees on My surveys: who has not submitted yet, in the counts every page uses."""

import pytest
from django.urls import reverse

from surveys.models import Membership
from surveys.selectors import lead_participation, participation
from surveys.services import response_start
from tests.factories import (
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    close_round,
    submit,
    uniform,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def led_team():
    team = TeamFactory(name="Payments")
    lead = UserFactory(username="lea", first_name="Lea", last_name="Lead")
    MembershipFactory(team=team, user=lead, role=Membership.Role.LEAD)
    for name in ("ana", "ben", "cai"):
        MembershipFactory(team=team, user=UserFactory(username=name, first_name=name.title()))
    survey_round = SurveyRoundFactory(name="2026 Q4", teams=[team])
    submit(survey_round, team, "ana", uniform(1, 2, 2, 2)["p0"])
    response_start(survey_round=survey_round, team=team, user=UserFactory(username="ben"))
    return team, lead, survey_round


def test_a_lead_sees_the_counts_of_participation_and_the_names_still_missing(client, led_team):
    team, lead, survey_round = led_team

    [row] = lead_participation(lead)

    counts = participation([survey_round], [team.pk])[survey_round.pk, team.pk]
    assert (row.invited, row.submitted) == (counts.invited, counts.submitted) == (4, 1)
    # A draft is not a submission; who submitted is never listed.
    assert row.not_submitted == ["Ben", "Cai", "Lea Lead"]

    client.force_login(lead)
    page = client.get(reverse("surveys:my_surveys")).content.decode()
    assert "Payments, 2026 Q4:" in page
    assert "1 of 4 submitted." in page
    assert "Not yet: Ben, Cai, Lea Lead." in page


def test_a_member_who_does_not_lead_and_a_closed_round_show_no_names(client, led_team):
    team, lead, survey_round = led_team
    client.force_login(team.memberships.get(user__username="cai").user)
    assert "Teams you lead" not in client.get(reverse("surveys:my_surveys")).content.decode()

    close_round(survey_round)
    assert lead_participation(lead) == []
