"""The API's conventions: problem details, conditional GET, cursor pagination, query budgets."""

import pytest
from django.test import override_settings

from surveys.models import Team
from tests.factories import MembershipFactory, TeamFactory, close_round

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert set(problem) >= PROBLEM_KEYS
    assert problem["status"] == status
    assert problem["type"].startswith("https://")
    return problem


# --- RFC 9457 problem details ----------------------------------------------------------


def test_invalid_input_is_a_400_problem_naming_each_field_with_the_forms_messages(world):
    client = world.client_for("facilitator")

    response = client.post(
        "/api/v1/rounds/",
        {
            "name": "2026 q3",  # the same name as 2026 Q3, in other letters
            "questionnaire": world.survey_round.questionnaire_id,
            "opens_at": "2030-02-01T09:00:00Z",
            "closes_at": "2030-01-01T09:00:00Z",
            "teams": ["payments", "no-such-team"],
            "min_respondents": 2,
        },
        content_type="application/json",
    )

    problem = assert_problem(response, 400)
    assert problem["errors"] == {
        "name": ["A round with this name exists already."],
        "teams": ["“no-such-team” is not a valid value."],
        "min_respondents": [
            "The minimum group size must be at least 3: smaller groups would let people "
            "work out who answered what."
        ],
        "closes_at": ["The round must close after it opens."],
    }


@pytest.mark.parametrize(
    "body",
    [
        "[1, 2]",
        "not json",
        '{"name": 5}',
        '{"name": "x", "questionnaire": 99999999999999999999999, "opens_at": "yesterday"}',
        '{"name": "\\u0000", "questionnaire": 1, "opens_at": "2030-01-01T00:00Z",'
        ' "closes_at": "2030-02-01T00:00Z", "teams": [], "min_respondents": 3}',
    ],
)
def test_malformed_bodies_are_400_problems_never_500(world, body):
    response = world.client_for("facilitator").post(
        "/api/v1/rounds/", body, content_type="application/json"
    )
    assert_problem(response, 400)


def test_a_service_refusal_is_a_400_problem_with_the_pages_message(world):
    close_round(world.survey_round)

    response = world.client_for("facilitator").post(
        "/api/v1/rounds/2026-q3/extend/",
        {"closes_at": "2031-01-01T09:00:00Z"},
        content_type="application/json",
    )

    problem = assert_problem(response, 400)
    assert problem["detail"] == (
        "This round has closed and its results are released, so it cannot be reopened. "
        "Create a new round instead."
    )


def test_a_bad_members_file_is_refused_whole_with_line_numbers(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = b"email,name,team,role\nok@example.com,Ok,Payments,member\nnot-an-email,X,Payments,boss\n"
    response = world.client_for("facilitator").post(
        "/api/v1/members/import/", {"file": SimpleUploadedFile("m.csv", csv)}
    )

    problem = assert_problem(response, 400)
    assert problem["errors"]["file"] == [
        "line 3: 'not-an-email' is not a valid email address.",
        "line 3: role must be 'member' or 'lead', not 'boss'.",
    ]
    assert not Team.objects.filter(memberships__user__email="ok@example.com").exists()


def test_401_403_404_405_are_problems(world):
    assert_problem(world.client_for("anonymous").get("/api/v1/rounds/"), 401)
    assert_problem(world.client_for("manager").post("/api/v1/teams/", {}), 403)
    assert_problem(world.client_for("manager").get("/api/v1/rounds/no-such-round/"), 404)
    assert_problem(world.client_for("manager").get("/api/v1/no-such-thing/"), 404)
    assert_problem(world.client_for("facilitator").put("/api/v1/rounds/"), 405)
    bad = world.client_for("anonymous")
    bad.defaults["HTTP_AUTHORIZATION"] = "Bearer shp_abcdefgh_not-the-secret"
    assert assert_problem(bad.get("/api/v1/rounds/"), 401)["detail"] == "The token is not valid."


def test_too_many_requests_is_a_429_problem_per_token_with_retry_after(world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/minute", "api-anonymous": "3/minute"},
    }
    member = world.client_for("member of A")
    for _ in range(3):
        assert member.get("/api/v1/teams/").status_code == 200

    problem = assert_problem(member.get("/api/v1/teams/"), 429)

    assert int(member.get("/api/v1/teams/")["Retry-After"]) > 0
    assert "throttled" in problem["detail"].lower()
    # Another token has its own budget.
    assert world.client_for("lead of A").get("/api/v1/teams/").status_code == 200


# --- conditional GET -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/v1/rounds/2026-q3/results/payments/", "/api/v1/rounds/2026-q3/results/"]
)
def test_results_answer_304_to_their_own_etag_and_200_once_they_change(world, url):
    close_round(world.survey_round)
    client = world.client_for("facilitator")
    first = client.get(url)
    tag = first["ETag"]

    again = client.get(url, headers={"If-None-Match": tag})
    other = client.get(url, headers={"If-None-Match": '"something-else"'})

    assert first.status_code == 200 and tag.startswith('"')
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == tag
    assert other.status_code == 200 and other.json() == first.json()
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    # Raising k withholds the team: the body changes, and with it the tag.
    world.survey_round.min_respondents = 4
    world.survey_round.save(update_fields=["min_respondents"])
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed["ETag"] != tag


# --- cursor pagination and query budgets -------------------------------------------------


def test_lists_page_by_cursor_without_repeating_or_missing_a_row(world):
    for number in range(7):
        MembershipFactory(team=TeamFactory(name=f"Extra {number}"), user=world.users["manager"])
    client = world.client_for("manager")
    seen, url = [], "/api/v1/teams/?page_size=4"

    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 4
        seen += [team["slug"] for team in page["results"]]
        url = page["next"]

    assert len(seen) == len(set(seen)) == Team.objects.count() == 9


def forged_cursor(position: str) -> str:
    import base64
    from urllib.parse import quote

    return quote(base64.b64encode(f"p={position}".encode()).decode())


@pytest.mark.parametrize(
    "query",
    [
        "cursor=garbage",
        f"cursor={forged_cursor('not-a-number')}",
        f"cursor={forged_cursor('1%00')}",
        "page_size=0",
        "page_size=201",
        "page_size=x",
    ],
)
def test_a_bad_cursor_or_page_size_is_a_400_problem(world, query):
    problem = assert_problem(world.client_for("manager").get(f"/api/v1/teams/?{query}"), 400)
    assert set(problem["errors"]) == {query.split("=")[0]}


@pytest.mark.parametrize(
    "url,queries",
    [
        # session-less token: token+user, last-use update, memberships, permissions (2),
        # the count-annotated teams page
        ("/api/v1/teams/?page_size={n}", 6),
        # ... and rounds with their questionnaire, then the rounds' teams (prefetch)
        ("/api/v1/rounds/?page_size={n}", 7),
        # ... the questionnaires page
        ("/api/v1/questionnaires/?page_size={n}", 5),
        # ... the team, then its memberships with their users
        ("/api/v1/teams/extra-0/memberships/?page_size={n}", 7),
    ],
)
def test_list_queries_do_not_grow_with_the_page_size(
    world, django_assert_max_num_queries, url, queries
):
    from assessment.models import Questionnaire
    from tests.factories import SurveyRoundFactory, UserFactory

    extra = [TeamFactory(name=f"Extra {n}", slug=f"extra-{n}") for n in range(12)]
    for n in range(12):
        MembershipFactory(team=extra[0], user=UserFactory(username=f"extra{n}"))
        SurveyRoundFactory(name=f"Extra round {n}", teams=extra[:3])
        Questionnaire.objects.create(slug=f"extra-{n}", version=1, title="Extra", is_published=True)
    client = world.client_for("facilitator")
    client.get("/api/v1/teams/")  # the token's last use is written once a minute at most

    for n in (2, 10):
        with django_assert_max_num_queries(queries):
            response = client.get(url.format(n=n))
        assert response.status_code == 200
        assert len(response.json()["results"]) == n


@override_settings()
def test_results_queries_do_not_grow_with_the_number_of_teams(world, django_assert_max_num_queries):
    close_round(world.survey_round)
    client = world.client_for("manager")
    client.get("/api/v1/rounds/2026-q3/participation/")
    with django_assert_max_num_queries(30) as few:
        client.get("/api/v1/rounds/2026-q3/results/")
        client.get("/api/v1/rounds/2026-q3/participation/")
    small = len(few.captured_queries)
    extra = [TeamFactory(name=f"Extra {n}") for n in range(8)]
    world.survey_round.teams.add(*extra)

    with django_assert_max_num_queries(small):
        client.get("/api/v1/rounds/2026-q3/results/")
        client.get("/api/v1/rounds/2026-q3/participation/")


# --- the schema and its documentation page ---------------------------------------------------


def test_the_schema_documents_every_endpoint_with_its_problems(client):
    schema = client.get("/api/schema/?format=json").json()

    operations = {
        (method, path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert len(operations) == 18
    for (method, path), operation in operations.items():
        for code in ("401", "403", "404", "405", "429"):
            content = operation["responses"][code]["content"]
            assert "application/problem+json" in content, (method, path, code)
    assert schema["components"]["securitySchemes"]["personalAccessToken"]["scheme"] == "bearer"


def test_the_docs_page_loads_swagger_ui_from_our_static_files_with_no_inline_script(client):
    page = client.get("/api/docs/").text

    assert "cdn." not in page and "https://" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "<script>" not in page  # the init script is a file of its own (?script=)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/rounds/?team=a%00b",
        "/api/v1/teams/?group=a%00b",
        "/api/v1/dora-clusters/?round=a%00b",
        "/api/v1/rounds/2026-q3/participation/?group=%00",
        "/api/v1/rounds/2026-q3/exports/csv/?team=pay%00ments",
    ],
)
def test_a_null_character_in_a_filter_is_a_400_problem_not_a_database_error(world, url):
    close_round(world.survey_round)
    assert_problem(world.client_for("facilitator").get(url), 400)
