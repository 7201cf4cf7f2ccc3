"""Did it work? The change of an action's targets since the round it was raised in.

Same rules as every figure: only released rounds, k in each round, arrows only
beyond the noise (scoring.is_meaningful_change), and only for a viewer who
sees both rounds' results.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import services
from reports import selectors
from reports.selectors import TargetChange, outcome_verdict
from surveys.privacy import Viewer
from tests.actions.loop import Loop, spread
from tests.factories import MembershipFactory, UserFactory, close_round, submit_team, uniform

pytestmark = pytest.mark.django_db


def outcome(loop, action, user=None):
    viewer = Viewer.of(user or loop.lead).with_members_at_close([loop.round_a, loop.round_b])
    measured = selectors.measurement_rounds([action], upto=loop.round_b)
    return selectors.action_outcomes([action], measured, viewer)[action.pk]


def test_a_change_beyond_the_noise_counts_as_improved():
    loop = Loop(a_answers=uniform(3, 1, 2, 2))
    action = loop.plan()
    loop.answer_b(uniform(3, 3, 2, 2))

    result = outcome(loop, action)

    [change] = result.changes
    assert (change.key, change.before, change.after, change.delta) == ("cicd-tests", 1, 3, 2)
    assert change.meaningful and not change.withheld
    assert result.verdict == "improved" and result.worked
    assert result.measured_in == loop.round_b


def test_a_change_within_the_noise_gets_no_arrow():
    # Means 2.00 -> 2.33; the noise is sqrt(1/3 + 0.33/3) = 0.67.
    loop = Loop(a_answers=spread(3, [1, 2, 3]))
    action = loop.plan()
    loop.answer_b(spread(3, [2, 2, 3]))

    [change] = outcome(loop, action).changes

    assert change.delta == pytest.approx(1 / 3)
    assert not change.meaningful
    assert outcome(loop, action).verdict == "within the noise"


def test_a_decline_beyond_the_noise_counts_as_declined():
    loop = Loop(a_answers=uniform(3, 3, 2, 2))
    action = loop.plan()
    loop.answer_b(uniform(3, 1, 2, 2))

    assert outcome(loop, action).verdict == "declined"


def test_a_round_under_k_withholds_the_change_from_everyone_the_team_included():
    loop = Loop(a_answers=uniform(2, 1, 2, 2))  # k = 3
    action = loop.plan()
    loop.answer_b(uniform(3, 4, 2, 2))

    for user in (loop.lead, loop.facilitator, loop.manager):
        result = outcome(loop, action, user)
        [change] = result.changes
        assert change.withheld
        assert (change.before, change.after, change.delta) == (None, None, None)
        assert not change.meaningful
        assert result.verdict == "withheld"


def test_nothing_is_measured_before_the_later_round_closes():
    loop = Loop()
    action = loop.plan()
    loop.answer_b(uniform(3, 4, 2, 2), close=False)

    result = outcome(loop, action)

    assert result.verdict == "not measured yet"
    assert result.changes == [] and result.measured_in is None


def test_someone_who_joined_after_the_first_round_closed_sees_no_change():
    loop = Loop()
    action = loop.plan()
    loop.answer_b(uniform(3, 4, 2, 2))
    newcomer = MembershipFactory(team=loop.payments, user=UserFactory(username="nia")).user

    result = outcome(loop, action, newcomer)

    assert result.verdict == "not shown" and result.changes == []


def test_an_action_on_a_whole_category_is_measured_by_the_category_score():
    loop = Loop(a_answers=uniform(3, 1, 1, 2))
    action = loop.plan("Automate the release", questions=[])
    loop.answer_b(uniform(3, 3, 3, 2))

    [change] = outcome(loop, action).changes

    assert change.is_category and change.key == "ci-cd"
    assert (change.before, change.after) == (1, 3)
    assert change.meaningful


def test_a_done_action_is_measured_in_the_first_released_round_after_it_was_done():
    loop = Loop()
    action = loop.plan()
    round_b = loop.open_b()
    action = services.action_set_status(action=action, status="done", by=loop.lead)
    assert selectors.measurement_rounds([action]) == {action.pk: None}  # B still open

    loop.answer_b(uniform(3, 2, 2, 2))

    assert selectors.measurement_rounds([action]) == {action.pk: round_b}


@pytest.mark.parametrize(
    "changes,verdict",
    [
        ([(0.5, True), (-0.1, False)], "improved"),
        ([(0.5, True), (-0.5, True)], "mixed"),
        ([(0.1, False)], "within the noise"),
        ([(None, False, True)], "withheld"),
        ([(None, False, True), (0.1, False)], "within the noise"),
        ([], "not measured yet"),
    ],
)
def test_the_verdict_counts_only_changes_beyond_the_noise(changes, verdict):
    targets = [
        TargetChange("q", False, None, None, delta, meaningful, (hidden or [False])[0])
        for delta, meaningful, *hidden in changes
    ]

    assert outcome_verdict(targets) == verdict


def test_the_dashboard_shows_the_change_with_the_dashboards_arrows(client):
    loop = Loop(a_answers=uniform(3, 1, 2, 2))
    loop.plan()
    loop.plan("Try trunk-based development", questions=["cicd-rollout"])
    loop.answer_b(uniform(3, 3, 2, 2))
    client.force_login(loop.member)

    page = client.get(reverse("reports:team_dashboard", args=["payments"])).text
    section = page[page.index('id="actions-h"') : page.index("</section>", page.index("actions-h"))]

    assert "Fix the flaky tests" in section and "Try trunk-based development" in section
    assert "1.00 → 3.00" in section
    assert '<span class="text-success" aria-hidden="true">▲</span>' in section
    assert "2.00 → 2.00" in section and "(within the noise)" in section
    assert "<strong data-verdict>improved</strong>" in section
    assert "<strong data-verdict>within the noise</strong>" in section


def test_a_manager_sees_the_outcome_only_of_actions_the_team_shares(client):
    loop = Loop(a_answers=uniform(3, 1, 2, 2))
    loop.plan()
    loop.plan("Try trunk-based development", questions=["cicd-rollout"], visible_to_managers=True)
    loop.answer_b(uniform(3, 3, 2, 2))
    client.force_login(loop.manager)

    page = client.get(reverse("reports:team_dashboard", args=["payments"])).text

    assert "Try trunk-based development" in page
    assert "Fix the flaky tests" not in page
    assert "Plan an action" not in page


def test_the_organisation_share_counts_done_actions_with_an_outcome_beyond_the_noise():
    loop = Loop(a_answers=uniform(3, 1, 2, 2), close_a=False)
    submit_team(loop.round_a, loop.checkout, uniform(2, 1, 2, 2))  # under k: withheld
    close_round(loop.round_a)
    worked = loop.plan()
    flat = loop.plan("Try trunk-based development", questions=["cicd-rollout"])
    hidden = services.action_create(
        team=loop.checkout,
        raised_in=loop.round_a,
        title="Fix the flaky tests",
        category_key="ci-cd",
        question_keys=["cicd-tests"],
        by=loop.other,
    )
    loop.open_b()
    for action in (worked, flat, hidden):
        services.action_set_status(action=action, status="done", by=loop.facilitator)
    submit_team(loop.round_b, loop.checkout, uniform(3, 4, 2, 2))
    loop.answer_b(uniform(3, 3, 2, 2))
    viewer = Viewer.of(loop.manager)

    rows = {
        row["category_key"]: row
        for row in selectors.action_effects(viewer, loop.round_b, [loop.round_a, loop.round_b])
    }

    assert rows["ci-cd"] == {
        "category_key": "ci-cd",
        "category_name": "Continuous integration & delivery",
        "planned": 0,
        "done": 3,
        "measured": 2,  # Checkout's is withheld in A, so it says nothing either way
        "improved": 1,
        "declined": 0,
        "share": 0.5,
    }
    assert rows["incident-response"]["share"] is None


def _planned_and_done(page: str, category: str) -> tuple[int, int]:
    """The organisation page's counts of actions planned and done in a category."""
    row = re.search(
        rf'<th scope="row">{re.escape(category)}</th><td>(\d+)</td><td>(\d+)</td>', page
    )
    assert row, f"no actions row for {category}"
    return int(row[1]), int(row[2])


def test_the_organisation_page_is_cached_yet_shows_every_action_change(
    client, django_capture_on_commit_callbacks
):
    loop = Loop(a_answers=uniform(3, 1, 2, 2))
    first = loop.plan()
    client.force_login(loop.manager)
    url = reverse("reports:org_dashboard")
    ci_cd = "Continuous integration &amp; delivery"

    assert _planned_and_done(client.get(url).text, ci_cd) == (1, 0)
    with django_capture_on_commit_callbacks(execute=True):
        loop.plan("Try trunk-based development", questions=["cicd-rollout"])
    assert _planned_and_done(client.get(url).text, ci_cd) == (2, 0)
    with django_capture_on_commit_callbacks(execute=True):
        first.delete()  # as the admin or a team's deletion would
    assert _planned_and_done(client.get(url).text, ci_cd) == (1, 0)


def _action_reads(queries) -> tuple[int, int]:
    """(count queries, other queries) on the actions table among captured queries."""
    reads = [q["sql"] for q in queries.captured_queries if '"actions_action"' in q["sql"]]
    counts = [sql for sql in reads if "GROUP BY" in sql]
    return len(counts), len(reads) - len(counts)


def test_the_cached_organisation_page_counts_actions_in_one_query_and_reads_no_action(client):
    loop = Loop(a_answers=uniform(3, 1, 2, 2))
    loop.plan()
    client.force_login(loop.manager)
    url = reverse("reports:org_dashboard")
    client.get(url)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).text

    assert _planned_and_done(page, "Continuous integration &amp; delivery") == (1, 0)
    assert _action_reads(queries) == (1, 0)  # the counts; what worked comes from the cache


def test_planning_or_editing_open_actions_keeps_what_worked_cached(
    client, django_capture_on_commit_callbacks
):
    loop = Loop(a_answers=uniform(3, 1, 2, 2))
    first = loop.plan()
    client.force_login(loop.manager)
    url = reverse("reports:org_dashboard")
    client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        loop.plan("Try trunk-based development", questions=["cicd-rollout"])
        services.action_set_status(action=first, status="in_progress", by=loop.lead)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).text

    assert _planned_and_done(page, "Continuous integration &amp; delivery") == (2, 0)
    assert _action_reads(queries) == (1, 0)


@pytest.mark.parametrize("change", ["done", "undone", "deleted"])
def test_a_change_to_a_done_action_makes_what_worked_recomputed(
    change, client, django_capture_on_commit_callbacks
):
    loop = Loop(a_answers=uniform(3, 1, 2, 2))
    action = loop.plan()
    loop.open_b()
    if change != "done":
        services.action_set_status(action=action, status="done", by=loop.lead)
    client.force_login(loop.manager)
    url = reverse("reports:org_dashboard") + "?round=2026-q1"  # the released round
    client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        if change == "deleted":
            action.delete()  # as the admin or the team's deletion would
        else:
            status = "done" if change == "done" else "in_progress"
            services.action_set_status(action=action, status=status, by=loop.lead)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)

    counts, others = _action_reads(queries)
    assert counts == 1 and others >= 1  # done actions read again
