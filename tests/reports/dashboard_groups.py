"""A round of 34 teams in five groups and none: the organisation page shows groups.

``Groups`` (one closed round, 2025 Q3, k = 3; mini questionnaire):

    group       teams  ci-cd per team                     incident-response
    Apps        20     3.0 each                           3.0 each
    Data        3      1.0, 1.0, 1.5                      1.0 each
    Platform    5      1.0, 2.0, 2.5, 3.5, and Pw 4.0     2.0 each; Pw 4.0
                       (Pw has 2 respondents: withheld)
    Quiet       1      nobody answered                    nobody answered
    Zeta        1      2 respondents: withheld (3.85)     withheld (3.85)
    (no group)  4      2.0 each                           1.0 each

Group medians of the released teams, ci-cd: Apps 3.0, Data 1.0, Platform 2.25
(2.5 if the withheld team counted), Quiet "no responses", Zeta "withheld",
No group 2.0. By score the rows would read Data, No group, Platform, Apps;
alphabetically they read Apps, Data, Platform, Quiet, Zeta, No group.

Each team has three members at the close, and as many submitted responses as
it has respondents. The scores are written as the scoring pipeline stores them
(reports.models): the organisation page reads only those and participation.
"""

from datetime import UTC, datetime, timedelta

import time_machine
from django.contrib.auth.models import User

from reports.models import TeamCategoryScore
from surveys.models import Membership, Response
from tests.factories import SurveyRoundFactory, TeamFactory, load_questionnaire

K = 3
NOW = datetime(2025, 9, 15, 12, tzinfo=UTC)
OPENS = datetime(2025, 7, 7, tzinfo=UTC)
MEMBERS = 3
WITHHELD_VALUE = 3.85  # Zeta's scores: must appear nowhere
PLATFORM_WITHHELD = 4.0  # Pw's scores: must move no median

# (team name, group, respondents, ci-cd mean, incident-response mean)
TEAMS = [
    *[(f"Apps {n:02d}", "Apps", 3, 3.0, 3.0) for n in range(1, 21)],
    ("Data 1", "Data", 3, 1.0, 1.0),
    ("Data 2", "Data", 3, 1.0, 1.0),
    ("Data 3", "Data", 3, 1.5, 1.0),
    ("Platform 1", "Platform", 3, 1.0, 2.0),
    ("Platform 2", "Platform", 3, 2.0, 2.0),
    ("Platform 3", "Platform", 3, 2.5, 2.0),
    ("Platform 4", "Platform", 3, 3.5, 2.0),
    ("Platform Pw", "Platform", 2, PLATFORM_WITHHELD, PLATFORM_WITHHELD),
    ("Quiet 1", "Quiet", 0, None, None),
    ("Zeta 1", "Zeta", 2, WITHHELD_VALUE, WITHHELD_VALUE),
    *[(f"Loose {n}", "", 3, 2.0, 1.0) for n in range(1, 5)],
]
GROUP_ORDER = ["Apps", "Data", "Platform", "Quiet", "Zeta", "No group"]


def slug(name: str) -> str:
    return name.lower().replace(" ", "-")


class Groups:
    """34 teams of one closed round in five groups and none; see the module docstring."""

    def __init__(self):
        with time_machine.travel(OPENS - timedelta(days=30), tick=False):
            self.questionnaire = load_questionnaire()
            self.teams = {
                name: TeamFactory(name=name, slug=slug(name), group=group)
                for name, group, *_ in TEAMS
            }
            users = User.objects.bulk_create(
                User(username=f"{slug(name)}-{n}", password="!")
                for name, *_ in TEAMS
                for n in range(MEMBERS)
            )
            Membership.objects.bulk_create(
                Membership(user=user, team=self.teams[name])
                for index, (name, *_) in enumerate(TEAMS)
                for user in users[index * MEMBERS : (index + 1) * MEMBERS]
            )
        self.round = SurveyRoundFactory(
            name="2025 Q3",
            slug="2025-q3",
            questionnaire=self.questionnaire,
            opens_at=OPENS,
            closes_at=OPENS + timedelta(days=28),
            min_respondents=K,
            teams=self.teams.values(),
        )
        by_user = {u.username: u for u in users}
        Response.objects.bulk_create(
            Response(
                round=self.round,
                team=self.teams[name],
                respondent=by_user[f"{slug(name)}-{n}"],
                status=Response.Status.SUBMITTED,
                submitted_at=OPENS + timedelta(days=1),
            )
            for name, _group, respondents, *_ in TEAMS
            for n in range(respondents)
        )
        TeamCategoryScore.objects.bulk_create(
            TeamCategoryScore(
                round=self.round,
                team=self.teams[name],
                category_key=key,
                category_name=category_name,
                weight=1,
                order=order,
                respondents=respondents,
                mean=mean,
            )
            for name, _group, respondents, cicd, incidents in TEAMS
            if respondents
            for order, (key, category_name, mean) in enumerate(
                [
                    ("ci-cd", "Continuous integration & delivery", cicd),
                    ("incident-response", "Incident response", incidents),
                ]
            )
        )
