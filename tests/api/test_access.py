"""Who may call what: each role x each API endpoint, with the round closed.

As on the pages, another team's objects and facilitator-only reads answer 404
(their existence is not revealed); writes by anyone but a facilitator answer
403; without credentials, or with an expired token, 401; a read-only token
may read but never write.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.world import ROLES
from tests.factories import close_round

pytestmark = pytest.mark.django_db

CSV = b"email,name,team,role\nnew@example.com,New Person,Payments,member\n"

# name -> (method, url, body)
ENDPOINTS = {
    "questionnaires": ("get", "/api/v1/questionnaires/", None),
    "questionnaire": ("get", "/api/v1/questionnaires/{questionnaire}/", None),
    "rounds": ("get", "/api/v1/rounds/", None),
    "round": ("get", "/api/v1/rounds/2026-q3/", None),
    "participation": ("get", "/api/v1/rounds/2026-q3/participation/", None),
    "team results": ("get", "/api/v1/rounds/2026-q3/results/payments/", None),
    "team actions": ("get", "/api/v1/rounds/2026-q3/actions/payments/", None),
    "org results": ("get", "/api/v1/rounds/2026-q3/results/", None),
    "dora clusters": ("get", "/api/v1/dora-clusters/", None),
    "teams": ("get", "/api/v1/teams/", None),
    "memberships": ("get", "/api/v1/teams/payments/memberships/", None),
    "team csv": ("get", "/api/v1/rounds/2026-q3/exports/csv/?team=payments", None),
    "team answers": ("get", "/api/v1/rounds/2026-q3/exports/answers-csv/?team=payments", None),
    "round xlsx": ("get", "/api/v1/rounds/2026-q3/exports/xlsx/", None),
    "create round": (
        "post",
        "/api/v1/rounds/",
        {
            "name": "2027 Q1",
            "questionnaire": "{questionnaire}",
            "opens_at": "2030-01-01T09:00:00Z",
            "closes_at": "2030-01-22T09:00:00Z",
            "teams": ["payments"],
            "min_respondents": 3,
        },
    ),
    "extend round": ("post", "/api/v1/rounds/2026-q4/extend/", {"closes_at": "2031-01-01T09:00Z"}),
    "create team": ("post", "/api/v1/teams/", {"name": "Search", "group": "Product"}),
    "set membership": (
        "post",
        "/api/v1/teams/checkout/memberships/",
        {"user": "alice", "role": "lead"},
    ),
    "remove membership": ("delete", "/api/v1/teams/payments/memberships/{alice}/", None),
    "import members": ("post", "/api/v1/members/import/", "CSV"),
}

MEMBER = {"member of B": 200, "member of A": 200, "lead of A": 200, "manager": 200}
# The expected status per endpoint and role (anonymous is 401 everywhere).
EXPECTED = {
    "questionnaires": {**MEMBER, "facilitator": 200},
    "questionnaire": {**MEMBER, "facilitator": 200},
    "rounds": {**MEMBER, "facilitator": 200},
    "round": {**MEMBER, "facilitator": 200},
    "participation": {**MEMBER, "facilitator": 200},
    "team results": {**MEMBER, "member of B": 404, "facilitator": 200},
    "team actions": {**MEMBER, "member of B": 404, "facilitator": 200},
    "org results": {
        "member of B": 404,
        "member of A": 404,
        "lead of A": 404,
        "manager": 200,
        "facilitator": 200,
    },
    "dora clusters": {
        "member of B": 404,
        "member of A": 404,
        "lead of A": 404,
        "manager": 200,
        "facilitator": 200,
    },
    "teams": {**MEMBER, "facilitator": 200},
    "memberships": {
        "member of B": 404,
        "member of A": 404,
        "lead of A": 404,
        "manager": 404,
        "facilitator": 200,
    },
    "team csv": {**MEMBER, "member of B": 404, "facilitator": 200},
    "team answers": {
        "member of B": 404,
        "member of A": 403,
        "lead of A": 403,
        "manager": 403,
        "facilitator": 200,
    },
    "round xlsx": {
        "member of B": 404,
        "member of A": 404,
        "lead of A": 404,
        "manager": 200,
        "facilitator": 200,
    },
}
WRITES = [
    "create round",
    "extend round",
    "create team",
    "set membership",
    "remove membership",
    "import members",
]
for _write, _created in zip(WRITES, [201, 200, 201, 200, 204, 201], strict=True):
    EXPECTED[_write] = dict.fromkeys(MEMBER, 403) | {"facilitator": _created}


def call(client, world, name: str):
    method, url, body = ENDPOINTS[name]
    values = {
        "questionnaire": world.survey_round.questionnaire_id,
        "alice": world.users["member of A"].pk,
    }
    url = url.format(**values)
    if body == "CSV":
        upload = SimpleUploadedFile("members.csv", CSV, content_type="text/csv")
        return client.post(url, {"file": upload})
    if isinstance(body, dict):
        body = {
            k: values["questionnaire"] if v == "{questionnaire}" else v for k, v in body.items()
        }
        return getattr(client, method)(url, body, content_type="application/json")
    return getattr(client, method)(url)


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


MATRIX = [
    (role, name, 401 if role == "anonymous" else EXPECTED[name][role])
    for name in ENDPOINTS
    for role in ROLES
]


@pytest.mark.parametrize("role,name,expected", MATRIX)
def test_api_access_matrix(world, role, name, expected):
    close_round(world.survey_round)
    client = world.client_for(role)

    response = call(client, world, name)

    assert response.status_code == expected, body_text(response)[:500]
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == expected
        assert problem["detail"]
    if expected == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    if role == "member of B" and expected in (403, 404):
        # Nothing of Payments reaches someone outside it, not even its name.
        assert "Payments" not in body_text(response)
        assert "2.75" not in body_text(response)


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_an_expired_token_is_refused_everywhere(world, name):
    close_round(world.survey_round)

    response = call(world.expired_client(), world, name)

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_a_read_only_token_reads_but_never_writes(world, name):
    close_round(world.survey_round)
    client = world.client_for("facilitator", scope="read")

    response = call(client, world, name)

    if name in WRITES:
        assert response.status_code == 403
        assert "read-only" in response.json()["detail"]
    else:
        assert response.status_code == EXPECTED[name]["facilitator"]


def test_what_each_role_reads_is_only_what_it_may_see(world):
    close_round(world.survey_round)

    def rows(role, url):
        return world.client_for(role).get(url).json()

    # Rounds list the teams the reader may see.
    rounds_of_bob = rows("member of B", "/api/v1/rounds/")["results"]
    assert [(r["slug"], r["teams"]) for r in rounds_of_bob] == [("2026-q3", ["checkout"])]
    # Participation: one's own team; every team for managers.
    assert [r["team"] for r in rows("member of B", "/api/v1/rounds/2026-q3/participation/")] == [
        "checkout"
    ]
    assert [r["team"] for r in rows("manager", "/api/v1/rounds/2026-q3/participation/")] == [
        "checkout",
        "payments",
    ]
    # Teams: one's own; every team for facilitators.
    assert [t["slug"] for t in rows("member of A", "/api/v1/teams/")["results"]] == ["payments"]
    assert {t["slug"] for t in rows("facilitator", "/api/v1/teams/")["results"]} == {
        "payments",
        "checkout",
    }
    # Names of members: facilitators only.
    names = rows("facilitator", "/api/v1/teams/payments/memberships/")["results"]
    assert {m["username"] for m in names} >= {"alice", "lee", "ana"}
    # The worked example: Payments' CI/CD tests question has mean 3.0 from 3 people.
    results = rows("member of A", "/api/v1/rounds/2026-q3/results/payments/")
    assert results["respondents"] == 3
    assert results["withheld"] is False
