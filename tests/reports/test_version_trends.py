"""Trends across questionnaire versions: a team answers v1 in one round and v2 in the next."""

from datetime import timedelta

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from reports import selectors
from surveys.models import Membership
from tests.factories import (
    FIXTURES,
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    close_round,
    load_questionnaire,
    submit,
)
from tests.reports.export_org import facilitator_request, run_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions():
    """Round A on evolve v1, round B on v2; three people answer both alike."""
    v1 = load_questionnaire(FIXTURES / "evolve-v1.yaml")
    v2 = load_questionnaire(FIXTURES / "evolve-v2.yaml")
    team = TeamFactory(name="Payments", slug="payments")
    people = [f"payments-p{n}" for n in range(3)]
    for name in people:
        MembershipFactory(team=team, user=UserFactory(username=name))
    round_a = SurveyRoundFactory(name="2026 Q3", questionnaire=v1, teams=[team])
    for name in people:
        submit(
            round_a,
            team,
            name,
            {"cicd-tests": 1, "cicd-rollout": 1, "ir-reviews": 2, "ir-old": 2},
        )
    close_round(round_a)
    round_b = SurveyRoundFactory(
        name="2026 Q4",
        questionnaire=v2,
        teams=[team],
        opens_at=timezone.now() - timedelta(hours=1),
    )
    for name in people:
        submit(
            round_b,
            team,
            name,
            {"cicd-tests": 3, "cicd-canary": 3, "cicd-rollback": 2, "ir-reviews": 2},
        )
    close_round(round_b)
    return team, round_a, round_b


def test_question_changes_follow_keys_and_replacements_across_versions(two_versions):
    team, _, round_b = two_versions

    rows = selectors.question_scores(team, round_b).set_index("question_key")

    # Reworded under the same key: compared with itself, marked.
    assert rows.loc["cicd-tests", "delta"] == pytest.approx(2)
    assert rows.loc["cicd-tests", "wording_changed"]
    assert pd.isna(rows.loc["cicd-tests", "continues_key"])
    # Both halves of the split continue the old rollout question's line.
    for key, change in (("cicd-canary", 2), ("cicd-rollback", 1)):
        assert rows.loc[key, "continues_key"] == "cicd-rollout"
        assert rows.loc[key, "continues_text"] == "How do you roll out changes and undo them?"
        assert rows.loc[key, "previous_mean"] == pytest.approx(1)
        assert rows.loc[key, "delta"] == pytest.approx(change)
    # Unchanged: compared as before, no marks.
    assert rows.loc["ir-reviews", "delta"] == pytest.approx(0)
    assert not rows.loc["ir-reviews", "wording_changed"]
    assert not rows.loc["ir-reviews", "new_question"]
    # The retired question ends: it has no row in the new round.
    assert "ir-old" not in rows.index


def test_category_trends_run_on_across_the_version_change(two_versions):
    team, round_a, round_b = two_versions

    categories = selectors.team_round_scores(team, [round_a, round_b]).categories
    ci = categories[categories["category_key"] == "ci-cd"].set_index("round")

    assert ci.loc[round_a.slug, "mean"] == pytest.approx(1)
    assert ci.loc[round_b.slug, "mean"] == pytest.approx((3 + 3 + 2) / 3)
    assert ci.loc[round_b.slug, "delta"] == pytest.approx((3 + 3 + 2) / 3 - 1)


def test_the_team_dashboard_marks_reworded_replacing_and_new_questions(client, two_versions):
    team, _, round_b = two_versions
    client.force_login(team.memberships.first().user)

    page = client.get(
        reverse("reports:team_dashboard", args=[team.slug]), {"round": round_b.slug}
    ).content.decode()

    assert "Reworded since 2026 Q3" in page
    assert page.count("Change measured against the question it replaced") == 2
    assert "New question" in page


def test_the_retro_pack_lists_what_changed_in_the_questionnaire(two_versions):
    team, _, round_b = two_versions

    pack = run_export("md", facilitator_request(round_b, team))[2].decode()

    section = pack.split("## Questionnaire changes since 2026 Q3")[1].split("\n## ")[0]
    assert "This round used version 2, 2026 Q3 version 1." in section
    assert (
        "- **Reworded:** How much do automated tests decide whether a change can merge? "
        "(was: How automated are your tests?) Reworded to ask about merges" in section
    )
    assert "- **Replaces an earlier question:** How far can a bad release reach?" in section
    assert "- **Retired:** Who reads your incident reviews?" in section
    assert "- **New question:** Which signals help you during an incident?" in section


def test_the_same_version_twice_lists_no_changes_and_marks_nothing(two_versions):
    team, _, round_b = two_versions
    round_c = SurveyRoundFactory(
        name="2027 Q1",
        questionnaire=round_b.questionnaire,
        teams=[team],
        opens_at=timezone.now() - timedelta(minutes=30),
    )
    for membership in Membership.objects.filter(team=team):
        submit(
            round_c,
            team,
            membership.user.username,
            {"cicd-tests": 3, "cicd-canary": 3, "cicd-rollback": 2, "ir-reviews": 2},
        )
    close_round(round_c)

    rows = selectors.question_scores(team, round_c)
    assert not rows["wording_changed"].any() and not rows["new_question"].any()
    assert rows["continues_key"].isna().all()
    assert (
        "Questionnaire changes"
        not in run_export("md", facilitator_request(round_c, team))[2].decode()
    )


def test_an_action_on_a_question_that_was_split_is_measured_on_both_halves(two_versions):
    from actions.services import action_create
    from surveys.privacy import Viewer

    team, round_a, round_b = two_versions
    lead = team.memberships.first().user
    action = action_create(
        team=team,
        raised_in=round_a,
        title="Canary every release",
        category_key="ci-cd",
        question_keys=["cicd-rollout"],
        by=lead,
    )
    viewer = Viewer.of(lead).with_members_at_close([round_a, round_b])

    outcome = selectors.action_outcomes([action], {action.pk: round_b}, viewer)[action.pk]

    assert [(c.key, c.before, c.after, c.delta) for c in outcome.changes] == [
        ("cicd-canary", 1, 3, 2),
        ("cicd-rollback", 1, 2, 1),
    ]
