"""The export tests' dataset, and reading an export back.

``build_export_org()`` is shared by every export test: two rounds
of the mini questionnaire, 2026 Q1 and 2026 Q2. Both have closed by ``NOW`` (Q2
closed on 1 May, on its own: its members at close are recorded the first time
an export looks), so their results are released; at ``WHILE_OPEN`` Q2 is open
and nothing of it can be exported. Everyone joined their team before Q1 closed,
so every respondent was a member of their team at both closes.

    2026 Q2 (k = 3)   people  cicd-tests  cicd-rollout   ir-reviews
    Payments          3       4, 4, 4     2, DK, 3       1, 2, 4      (also in Q1)
    Checkout          3       1           1              1
    Platform          3       4           1              1
    =cmd|' /C calc'   3       2           2              1            (a hostile team name)
    Identity          2       4           4              4            <- under k: withheld

k applies to every viewer, Identity's own members included. No team reaches
2k = 6 respondents, so no export carries a distribution detail (sd, median,
quartiles, minimum, maximum): mean, n and agreement only.
ir-reviews (3 of 4 visible teams) and cicd-rollout (3 of 3; Payments and Identity
are withheld there) are below Defined in most teams: systemic questions.
Payments' cicd-rollout has two scored answers (withheld for everyone) and a
don't-know rate of 1/3. Payments wrote reflections with injection payloads:
they appear only in the retro pack, never in the CSVs, the XLSX or the JSON.
"""

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
import time_machine
from django.contrib.auth.models import User

from reports.exporters import ExportRequest, get_exporter
from surveys.models import Membership, SurveyRound, Team
from tests.factories import (
    DK,
    STEADY_DORA,
    WORKED_EXAMPLE,
    SurveyRoundFactory,
    TeamFactory,
    load_questionnaire,
    submit_team,
    uniform,
)

# Three days after 2026 Q2 closed: both rounds are released.
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
# While 2026 Q2 is open (everyone has answered, nothing is released yet).
WHILE_OPEN = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)
HOSTILE_TEAM = "=cmd|' /C calc'!A0"
FORMULA_REFLECTION = '=HYPERLINK("http://evil.example","click me")'
HTML_REFLECTION = "<script>alert('x')</script> Our reviews are **great** | [link](javascript:x)"

PAYMENTS_Q2 = {
    "ana": {
        "cicd-tests": 4,
        "cicd-rollout": 2,
        "ir-reviews": 1,
        **STEADY_DORA,
        "cicd-reflection": FORMULA_REFLECTION,
        "ir-reflection": HTML_REFLECTION,
    },
    "ben": {
        "cicd-tests": 4,
        "cicd-rollout": DK,
        "ir-reviews": 2,
        **STEADY_DORA,
        "cicd-reflection": "-2 deploys a week is too few\n# not a heading",
    },
    "cai": {
        "cicd-tests": 4,
        "cicd-rollout": 3,
        "ir-reviews": 4,
        **STEADY_DORA,
        "cicd-reflection": "@channel flaky tests again",
        "ir-reflection": "Blameless reviews helped & we kept the timeline.",
    },
}


@dataclass
class ExportOrg:
    q1: SurveyRound
    q2: SurveyRound
    payments: Team
    identity: Team
    hostile: Team
    teams: dict[str, Team]


def build_export_org() -> ExportOrg:
    questionnaire = load_questionnaire()
    teams = {
        name: TeamFactory(name=name, slug=name.lower(), group="Engineering")
        for name in ("Payments", "Checkout", "Platform", "Identity")
    }
    teams["hostile"] = TeamFactory(name=HOSTILE_TEAM, slug="hostile", group="+Ops")
    q1 = SurveyRoundFactory(
        name="2026 Q1",
        slug="2026-q1",
        questionnaire=questionnaire,
        opens_at=datetime(2026, 1, 5, tzinfo=UTC),
        closes_at=datetime(2026, 2, 1, tzinfo=UTC),
        teams=[teams["Payments"]],
    )
    q2 = SurveyRoundFactory(
        name="2026 Q2",
        slug="2026-q2",
        questionnaire=questionnaire,
        opens_at=datetime(2026, 4, 6, tzinfo=UTC),
        closes_at=datetime(2026, 5, 1, tzinfo=UTC),
        teams=teams.values(),
    )
    q2_answers = {
        "Payments": PAYMENTS_Q2,
        "Checkout": uniform(3, tests=1, rollout=1, reviews=1),
        "Platform": uniform(3, tests=4, rollout=1, reviews=1),
        "hostile": uniform(3, tests=2, rollout=2, reviews=1),
        "Identity": uniform(2, tests=4, rollout=4, reviews=4),
    }
    # Everyone joins before Q1 closes, so they were members of their team at both closes.
    with time_machine.travel(datetime(2026, 1, 5, tzinfo=UTC), tick=False):
        for key, people in q2_answers.items():
            for name in people:
                user = User.objects.create(username=f"{teams[key].slug}-{name}")
                Membership.objects.create(user=user, team=teams[key])
    with time_machine.travel(datetime(2026, 1, 12, tzinfo=UTC), tick=False):
        submit_team(q1, teams["Payments"], WORKED_EXAMPLE)
    with time_machine.travel(datetime(2026, 4, 13, tzinfo=UTC), tick=False):
        for key, people in q2_answers.items():
            submit_team(q2, teams[key], people)
    return ExportOrg(
        q1=q1,
        q2=q2,
        payments=teams["Payments"],
        identity=teams["Identity"],
        hostile=teams["hostile"],
        teams=teams,
    )


def run_export(identifier: str, request: ExportRequest) -> tuple[str, str, bytes]:
    exporter = get_exporter(identifier)
    assert exporter is not None
    assert exporter.refusal(request) is None
    filename, content_type, content = exporter(request).render()
    if isinstance(content, Iterator):
        content = b"".join(content)
    return filename, content_type, content


def facilitator_request(survey_round: SurveyRound, *teams: Team) -> ExportRequest:
    return ExportRequest.for_admin(survey_round, teams or survey_round.teams.all())


def read_csv(content: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(content), keep_default_na=False, na_values=[""])
