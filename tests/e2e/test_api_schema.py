"""Schemathesis against /api/schema/ on a live server: every operation, generated
requests, zero server errors and zero responses that break the schema.

As a facilitator with a read-and-write token, over an organisation with a
closed round (results released) and a round not yet open. Requests valid by
the schema (positive) and invalid ones (negative, which must be refused with a
4xx); they include writes, so the data changes as the test runs, and every
answer must still match the schema. CI tries 25 examples per operation and
mode (make test, about a minute), the fast loop 2.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as openapi_checks

from tests.api.world import build_world
from tests.factories import close_round
from tests.properties import examples

# Data the schema calls valid may still break a business rule (a round name in
# use, a closed round that cannot be extended): a 400 with problem details, which
# the schema documents. So "valid data must be accepted" does not apply.
EXCLUDED = [openapi_checks.positive_data_acceptance]


def known_values(operation, world) -> dict[str, list]:
    """Path parameters that name real objects, so that generated requests reach them."""
    teams = ["payments", "checkout"]
    on_teams = operation.path.startswith("/api/v1/teams/")
    return {
        "slug": teams if on_teams else ["2026-q3", "2026-q4"],
        "team_slug": teams,
        "pk": [world.survey_round.questionnaire_id],
        "user_id": [user.pk for user in world.users.values()],
    }


def strategy_for(operation, mode: GenerationMode, known: dict[str, list]):
    """Schemathesis' cases; in positive mode, half of them aimed at real objects.

    (Not in negative mode: a path made valid would make its case valid.)
    """
    generated = operation.as_strategy(generation_mode=mode)
    if mode is not GenerationMode.POSITIVE:
        return generated

    @st.composite
    def aimed(draw):
        case = draw(generated)
        for name in case.path_parameters or {}:
            if name in known:
                case.path_parameters[name] = draw(st.sampled_from(known[name]))
        return case

    return st.one_of(generated, aimed())


def check_operation(operation, mode: GenerationMode, token: str, known: dict) -> None:
    @given(case=strategy_for(operation, mode, known))
    @settings(
        max_examples=examples(25),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, excluded_checks=EXCLUDED, timeout=30
        )

    run()


# serialized_rollback like every other live-server test (see test_api_docs.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_api_answers_every_generated_request_as_its_schema_says(live_server):
    world = build_world()
    close_round(world.survey_round)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    operations = [result.ok() for result in schema.get_all_operations()]
    failures = {}

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                known = known_values(operation, world)
                check_operation(operation, mode, world.tokens["facilitator"], known)
            except BaseException as failure:  # collect them all (failure groups too)
                if isinstance(failure, KeyboardInterrupt):
                    raise
                failures[f"{operation.label} ({mode.value})"] = str(failure)[:2000]

    assert len(operations) == 18
    assert failures == {}, "\n\n".join(f"== {name}\n{text}" for name, text in failures.items())
