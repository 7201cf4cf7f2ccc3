"""A round two teams share, while it is open or under k: each team sees only its own.

The world is tests/security/world.py: Payments (A) and Checkout (B) share the
open round "2026 Q4" and nobody has answered yet. (tests/security/test_idor.py
starts from Checkout having answered; these start before anyone has.)
"""

import pytest
from django.urls import reverse

from surveys.models import Membership
from tests.factories import close_round
from tests.security.world import submit_as

pytestmark = pytest.mark.django_db

SHARED = "2026-q4"


def test_a_facilitator_who_leads_team_a_sees_only_team_a_names_on_a_shared_round(client, world):
    # The round is open and nobody has submitted: every member of both teams is pending.
    fran = world.people["facilitator"]
    Membership.objects.create(team=world.team_a, user=fran, role=Membership.Role.LEAD)
    client.force_login(fran)

    html = client.get(reverse("surveys:round_detail", args=[SHARED])).content.decode()

    assert '<li class="list-inline-item">alice</li>' in html
    for other in ("bob", "bea"):
        assert f'<li class="list-inline-item">{other}</li>' not in html


# Found while testing the cross-team cases of test_idor.py.
def test_a_team_dashboard_opens_while_no_team_has_k_responses(client, world):
    submit_as(world.people["member"], world.shared_round, world.team_a)
    world.login(client, "member")
    url = reverse("reports:team_dashboard", args=["payments"])

    while_open = client.get(url)
    close_round(world.shared_round)
    after_close = client.get(url)

    assert while_open.status_code == 200
    assert "Results of 2026 Q4 appear when the round closes" in while_open.content.decode()
    assert after_close.status_code == 200
    html = after_close.content.decode()
    assert "fewer than 3 people answered, so the results of this round are withheld" in html
    assert "Not enough responses" in html
