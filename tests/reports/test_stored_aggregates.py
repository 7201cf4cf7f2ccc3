"""reports.stored: organisation figures of a released round are computed once,
kept, and computed again whenever the round's scores or k change."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from reports import selectors
from reports.models import RoundAggregate
from surveys.models import Team
from tests.factories import make_manager
from tests.reports.dashboard_org import NOW, Org, person

pytestmark = pytest.mark.django_db

CICD = "ci-cd"


@pytest.fixture
def org():
    dataset = Org()
    with time_machine.travel(NOW, tick=False):
        yield dataset


def teams_counted(stats, survey_round) -> int:
    """How many teams the trend's ci-cd median of the round is over."""
    row = stats[(stats["round"] == survey_round.slug) & (stats["category_key"] == CICD)]
    return int(row["teams"].iloc[0]) if len(row) else 0


def test_figures_are_computed_once_and_then_read_back(org, django_assert_num_queries):
    first = selectors.org_category_stats(org.rounds)

    assert RoundAggregate.objects.filter(kind="category-stats").count() == 3
    with django_assert_num_queries(1):
        again = selectors.org_category_stats(org.rounds)
    assert again.equals(first)
    # Bravo and Charlie have k respondents in every round; Alpha too; Delta never.
    assert [teams_counted(again, r) for r in org.rounds] == [3, 3, 3]


def test_a_round_reopened_and_answered_again_is_recomputed_at_its_new_close(org):
    q3 = org.rounds[2]
    assert teams_counted(selectors.org_category_stats(org.rounds), q3) == 3

    # The app never reopens a closed round; a shell can. Delta's third person answers.
    q3.closes_at = NOW + timedelta(days=1)
    q3.save()
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        org.submit(q3, "Delta", {"p2": person(4, 4, 4)})
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        stats = selectors.org_category_stats(org.rounds)

    assert teams_counted(stats, q3) == 4  # Delta reached k
    assert teams_counted(stats, org.rounds[0]) == 3


def test_a_raised_k_recomputes_the_figure(org):
    q2 = org.rounds[1]
    assert teams_counted(selectors.org_category_stats(org.rounds), q2) == 3

    q2.min_respondents = 4  # nobody has four respondents
    q2.save()

    assert teams_counted(selectors.org_category_stats(org.rounds), q2) == 0
    kept = RoundAggregate.objects.get(kind="category-stats", round=q2)
    assert (kept.k, kept.value) == (4, [])


def test_a_removed_team_leaves_the_figure(org):
    assert teams_counted(selectors.org_category_stats(org.rounds), org.rounds[0]) == 3

    Team.objects.filter(name="Bravo").delete()

    assert teams_counted(selectors.org_category_stats(org.rounds), org.rounds[0]) == 2


def test_a_team_taken_from_the_round_makes_the_figure_computed_again(org):
    q1 = org.rounds[0]
    selectors.cluster_counts(org.rounds)
    kept = RoundAggregate.objects.get(kind="dora-clusters", round=q1)
    assert kept.teams == 4

    q1.teams.remove(org.teams["Delta"])  # Delta never had answers in Q1
    selectors.cluster_counts(org.rounds)

    kept.refresh_from_db()
    assert kept.teams == 3  # stamped again, so computed again


def test_each_group_filter_keeps_its_own_figure(org):
    everyone = selectors.org_category_stats(org.rounds)
    platform = selectors.org_category_stats(org.rounds, group="Platform")

    assert teams_counted(everyone, org.rounds[0]) == 3
    assert teams_counted(platform, org.rounds[0]) == 2  # Alpha and Charlie
    assert set(RoundAggregate.objects.values_list("group", flat=True)) == {"", "Platform"}


def test_an_open_round_keeps_nothing(org):
    upcoming = org.add_round("2025 Q4", NOW - timedelta(days=1))

    assert selectors.org_category_stats([upcoming]).empty
    assert selectors.cluster_counts([upcoming]).empty
    assert selectors.systemic_questions(upcoming) == []
    assert not RoundAggregate.objects.filter(round=upcoming).exists()


def test_clusters_and_systemic_questions_are_kept_too(org, django_assert_num_queries):
    q3 = org.rounds[2]
    clusters = selectors.cluster_counts(org.rounds)
    systemic = selectors.systemic_questions(q3)

    with django_assert_num_queries(2):
        assert selectors.cluster_counts(org.rounds).equals(clusters)
        assert selectors.systemic_questions(q3) == systemic
    assert clusters["teams"].sum() == 9  # three teams with k answers, three rounds
    # Other thresholds than the page's are computed, never kept.
    selectors.systemic_questions(q3, min_teams=1)
    assert RoundAggregate.objects.filter(kind="systemic-questions").count() == 1


def test_the_organisation_page_reads_kept_figures_after_a_cache_clear(org, client):
    client.force_login(make_manager())
    url = reverse("reports:org_dashboard")
    client.get(url)  # keeps the figures, warms the session
    kept = RoundAggregate.objects.count()
    cache.clear()

    response = client.get(url)

    assert response.status_code == 200
    assert RoundAggregate.objects.count() == kept
    assert kept == 3 + 3 + 1  # category stats and clusters per round, the round's systemic keys
