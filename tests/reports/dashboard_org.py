"""The dashboards' dataset: four teams in three closed quarterly rounds.

``Org`` (k = 3; every person gives the DORA answers 4, 4, 4, 20 %):

    team (group)         2025 Q1        2025 Q2        2025 Q3
    Alpha (Platform)     ci-cd 2        ci-cd 2        ci-cd 11/9    (tests 2 with one
                         ir 1           ir 2 (0,2,4)   ir 7/3 (1,2,4) Don't know, rollout 1)
    Bravo (Product)      3 / 3          3 / 3          3 / 3
    Charlie (Platform)   2 / 2          2 / 2          2 / 2
    Delta (Product)      -              0 / 0 (n=2)    17/6 / 7/2 (n=2)  <- withheld

Alpha has a fourth member, Dan, who never answers and is the usual viewer.
Sorted by score, Q3's ci-cd column reads Alpha, Charlie, Bravo: not alphabetical.
Shared by the dashboard content and query budget tests.
"""

from datetime import UTC, datetime, timedelta

import time_machine

from reports.models import TeamCategoryScore
from tests.factories import (
    DK,
    MembershipFactory,
    SurveyRoundFactory,
    TeamFactory,
    UserFactory,
    load_questionnaire,
    submit,
)

K = 3
NOW = datetime(2025, 9, 15, 12, tzinfo=UTC)
DORA = {
    "dora-deployment-frequency": 4,
    "dora-lead-time": 4,
    "dora-recovery-time": 4,
    "dora-change-failure-rate": 20,
}
REFLECTIONS = {"cicd-reflection": "Flaky pipelines slowed us.", "ir-reflection": "Stale runbooks."}


def person(tests, rollout, reviews, **text) -> dict:
    return {"cicd-tests": tests, "cicd-rollout": rollout, "ir-reviews": reviews, **DORA, **text}


ALPHA = [
    {"ana": person(2, 2, 1), "ben": person(2, 2, 1), "cai": person(2, 2, 1)},
    {"ana": person(2, 2, 0), "ben": person(2, 2, 2), "cai": person(2, 2, 4)},
    {
        "ana": person(2, 1, 1, **{"cicd-reflection": REFLECTIONS["cicd-reflection"]}),
        "ben": person(2, 1, 2, **{"ir-reflection": REFLECTIONS["ir-reflection"]}),
        "cai": person(DK, 1, 4),
    },
]
DELTA = [
    {},
    {"p0": person(0, 0, 0), "p1": person(0, 0, 0)},
    {"p0": person(4, 2, 4), "p1": person(3, 3, 3)},
]
PEOPLE = {
    "Alpha": ["ana", "ben", "cai", "dan"],
    "Bravo": ["p0", "p1", "p2"],
    "Charlie": ["p0", "p1", "p2"],
    "Delta": ["p0", "p1"],
}
GROUPS = {"Alpha": "Platform", "Bravo": "Product", "Charlie": "Platform", "Delta": "Product"}


class Org:
    """Four teams in three closed quarterly rounds; see the module docstring."""

    def __init__(self):
        with time_machine.travel(datetime(2024, 12, 1, tzinfo=UTC), tick=False):
            self.questionnaire = load_questionnaire()
            self.teams = {
                name: TeamFactory(name=name, slug=name.lower(), group=group)
                for name, group in GROUPS.items()
            }
            # Users named as submit() names respondents, so participation counts them.
            self.members = {
                name: {
                    who: MembershipFactory(
                        team=self.teams[name], user=UserFactory(username=f"{name.lower()}-{who}")
                    ).user
                    for who in people
                }
                for name, people in PEOPLE.items()
            }
        self.rounds = [
            self.add_round(f"2025 Q{number}", datetime(2025, month, 6, tzinfo=UTC))
            for number, month in ((1, 1), (2, 4), (3, 7))
        ]
        for survey_round, alpha, delta in zip(self.rounds, ALPHA, DELTA, strict=True):
            with time_machine.travel(survey_round.opens_at + timedelta(days=1), tick=False):
                self.submit(survey_round, "Alpha", alpha)
                self.submit(survey_round, "Bravo", {p: person(3, 3, 3) for p in PEOPLE["Bravo"]})
                self.submit(
                    survey_round, "Charlie", {p: person(2, 2, 2) for p in PEOPLE["Charlie"]}
                )
                self.submit(survey_round, "Delta", delta)

    def add_round(self, name: str, opens_at: datetime, teams=None):
        """A four-week round of the same questionnaire, by default for every team."""
        return SurveyRoundFactory(
            name=name,
            slug=name.lower().replace(" ", "-"),
            questionnaire=self.questionnaire,
            opens_at=opens_at,
            closes_at=opens_at + timedelta(days=28),
            min_respondents=K,
            teams=self.teams.values() if teams is None else teams,
        )

    def submit(self, survey_round, team: str, people: dict) -> None:
        for who, values in people.items():
            submit(survey_round, self.teams[team], f"{team.lower()}-{who}", values)

    def means(self, team: str, survey_round) -> dict[str, float]:
        return dict(
            TeamCategoryScore.objects.filter(team=self.teams[team], round=survey_round).values_list(
                "category_key", "mean"
            )
        )
