"""Dashboard render time on the current database (uncached and cached).

    DATABASE_URL=postgres://... python bench/dashboards.py

Needs data: `python manage.py generate_synthetic --teams 200 --rounds 12 --respondents 8`.
"""

from common import HEADER, measure, row  # noqa: I001

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from surveys.access import MANAGERS_GROUP, role_group
from surveys.models import Membership, Team


def bench_users():
    manager, _ = User.objects.get_or_create(username="bench-manager")
    manager.groups.add(role_group(MANAGERS_GROUP))
    # The team with the longest history: its dashboard reads the most rounds.
    team = Team.objects.annotate(round_count=Count("rounds")).order_by("-round_count", "slug")[0]
    member, _ = User.objects.get_or_create(username="bench-member")
    Membership.objects.get_or_create(user=member, team=team)
    return manager, member, team


def results() -> list[tuple[str, dict]]:
    """(label, measure() result) for both dashboards, uncached and cached."""
    manager, member, team = bench_users()
    manager_client, member_client = Client(), Client()
    manager_client.force_login(manager)
    member_client.force_login(member)
    org_url = reverse("reports:org_dashboard")
    team_url = reverse("reports:team_dashboard", args=[team.slug])

    def get(client, url):
        def action():
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        return action

    return [
        (
            "organisation dashboard, uncached",
            measure(get(manager_client, org_url), before=cache.clear),
        ),
        ("organisation dashboard, cached", measure(get(manager_client, org_url))),
        ("team dashboard, uncached", measure(get(member_client, team_url), before=cache.clear)),
        ("team dashboard, cached", measure(get(member_client, team_url))),
    ]


def main():
    print(HEADER)
    for name, result in results():
        print(row(name, result))


if __name__ == "__main__":
    main()
