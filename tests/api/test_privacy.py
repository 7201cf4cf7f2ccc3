"""The privacy attacks of tests/privacy/test_attacks.py, replayed through the API:
each fails the same way it fails on the pages (one policy, surveys.privacy).

The organisation is tests/privacy/organisation.py: Payments with lead Lee and
members Ana, Ben, Cai and Dan (distinct answers), Checkout with Bob, a manager
and a facilitator, and one round, open until a test closes it.
"""

import csv
import io

import pytest
from django.test import Client

from api.tokens import api_token_create
from tests.factories import MembershipFactory, UserFactory, close_round
from tests.privacy.organisation import Org, build_org

pytestmark = pytest.mark.django_db

RESULTS = "/api/v1/rounds/2026-q3/results/payments/"
ORG_RESULTS = "/api/v1/rounds/2026-q3/results/"


@pytest.fixture
def org(db) -> Org:
    return build_org()


def api(user) -> Client:
    _, raw = api_token_create(user=user, name="attack", scope="read", days=1)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def export(client: Client, fmt: str, team: str = "payments"):
    return client.get(f"/api/v1/rounds/2026-q3/exports/{fmt}/?team={team}")


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def text_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode()


# --- 1 and 2: results of an open round, and differencing n and n + 1 ----------------------


@pytest.mark.parametrize("who", ["lead", "manager", "facilitator"])
def test_nobody_gets_results_of_an_open_round_so_n_and_n_plus_1_cannot_be_compared(org, who):
    client = api(getattr(org, who))
    for name in ("ana", "ben", "cai"):
        org.answer(name)
    at_n = [client.get(RESULTS), export(client, "json"), export(client, "answers-csv")]
    if who != "lead":
        at_n.append(client.get(ORG_RESULTS))
    org.answer("dan")
    at_n_plus_1 = [client.get(RESULTS), export(client, "json")]

    for response in at_n + at_n_plus_1:
        assert response.status_code == 403, text_of(response)
        assert "appear when the round closes" in response.json()["detail"]
        assert "ETag" not in response
    # Participation is all an open round shows: counts.
    counts = client.get("/api/v1/rounds/2026-q3/participation/?team=payments").json()
    assert counts[0]["submitted"] == 4 and counts[0]["invited"] == 5
    assert set(counts[0]) == {
        "round",
        "team",
        "team_name",
        "group",
        "invited",
        "submitted",
        "drafts",
        "response_rate",
        "not_submitted",
    }


def test_a_lead_sees_who_has_not_submitted_while_open_and_nobody_else_does(org):
    org.answer("ana")
    lead_view = api(org.lead).get("/api/v1/rounds/2026-q3/participation/?team=payments").json()
    manager_view = api(org.manager).get("/api/v1/rounds/2026-q3/participation/").json()

    assert sorted(lead_view[0]["not_submitted"]) == ["ben", "cai", "dan", "lee"]
    assert all(row["not_submitted"] is None for row in manager_view)
    close_round(org.survey_round)
    after = api(org.lead).get("/api/v1/rounds/2026-q3/participation/?team=payments").json()
    assert after[0]["not_submitted"] is None


# --- 3: a team under k ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["member", "lead", "facilitator"])
def test_nobody_sees_figures_of_a_team_under_k_the_team_included(org, who):
    org.answer("ana")
    org.answer("ben")
    close_round(org.survey_round)
    user = org.members["cai"] if who == "member" else getattr(org, who)
    client = api(user)

    team = client.get(RESULTS).json()

    assert team["withheld"] is True
    assert team["overall"]["score"] is None
    assert all(c["score"] is None and c["withheld"] for c in team["categories"])
    assert all(q["score"] is None and q["n"] is None for q in team["questions"])
    assert all(m["median"] is None for m in team["dora"]["metrics"])
    assert team["dora"]["cluster"] is None
    if who == "facilitator":
        matrix = client.get(ORG_RESULTS).json()
        payments = next(row for row in matrix["teams"] if row["team"] == "payments")
        assert all(cell["score"] is None and cell["withheld"] for cell in payments["cells"])
        # No organisation figure is computed from the withheld team.
        assert all(category["teams"] == 0 for category in matrix["categories"])
        # The answers CSV marks the team withheld, with no answer in it.
        answers = csv_rows(export(client, "answers-csv"))
        assert all(not row["respondent"] and not row["question_key"] for row in answers)


def test_the_five_number_summary_needs_2k_responses(org):
    for name in ("ana", "ben", "cai", "dan"):
        org.answer(name)
    close_round(org.survey_round)

    team = api(org.manager).get(RESULTS).json()

    tests = next(q for q in team["questions"] if q["key"] == "cicd-tests")
    assert tests["score"] == 1.75  # the mean of 4, 1, 2 and 0 is still shown
    assert tests["sd"] is None
    assert all(c["sd"] is None and c["median"] is None for c in team["categories"])


# --- 4: combining two downloads ----------------------------------------------------------


def test_two_answer_downloads_cannot_be_joined_and_carry_no_free_text(org):
    for name in ("ana", "ben", "cai", "dan"):
        org.answer(name)
    close_round(org.survey_round)
    facilitator = api(org.facilitator)

    first, second = (csv_rows(export(facilitator, "answers-csv")) for _ in range(2))

    assert {r["respondent"] for r in first}.isdisjoint({r["respondent"] for r in second})
    assert len({r["respondent"] for r in first}) == 4
    assert not any("wrote" in value for row in first for value in row.values())
    # The lead, who knows who submitted when, gets no answer rows at all.
    refused = export(api(org.lead), "answers-csv")
    assert refused.status_code == 403 and "facilitators" in refused.json()["detail"]


def test_no_free_text_reaches_any_results_endpoint(org):
    for name in ("ana", "ben", "cai", "dan"):
        org.answer(name)
    close_round(org.survey_round)
    client = api(org.facilitator)

    bodies = [
        client.get(RESULTS).content.decode(),
        client.get(ORG_RESULTS).content.decode(),
        text_of(export(client, "json")),
        text_of(export(client, "csv")),
    ]

    assert not any("wrote" in body for body in bodies)


# --- 5: membership at the close decides -----------------------------------------------------


def test_someone_who_joins_after_the_close_gets_nothing_of_that_round(org):
    for name in ("ana", "ben", "cai"):
        org.answer(name)
    close_round(org.survey_round)
    newcomer = MembershipFactory(team=org.payments, user=UserFactory(username="newcomer")).user
    client = api(newcomer)

    results = client.get(RESULTS)
    rounds = client.get("/api/v1/rounds/").json()["results"]

    assert results.status_code == 403
    assert "belonged to when the round closed" in results.json()["detail"]
    assert client.get("/api/v1/rounds/2026-q3/participation/").json() == []
    # The round is listed (the team takes part), but nothing of its results.
    assert [r["slug"] for r in rounds] == ["2026-q3"]
    assert api(org.members["dan"]).get(RESULTS).status_code == 200


def test_a_facilitator_making_themselves_lead_learns_nothing_more(org):
    from surveys.services import membership_set

    for name in ("ana", "ben", "cai"):
        org.answer(name)
    membership_set(team=org.payments, user=org.facilitator, role="lead", actor=org.facilitator)

    refused = api(org.facilitator).get(RESULTS)

    assert refused.status_code == 403
    assert "appear when the round closes" in refused.json()["detail"]


def test_another_teams_results_look_exactly_like_a_missing_team(org):
    close_round(org.survey_round)
    client = api(org.bob)

    other = client.get(RESULTS)
    missing = client.get("/api/v1/rounds/2026-q3/results/no-such-team/")

    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
