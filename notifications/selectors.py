"""Reads: who gets a notice, what one person's email says, what the round page shows.

Whose results are released is asked of the privacy policy (surveys.privacy),
never decided here. Nothing read here names who has or has not answered to
anyone but that person themselves.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Q

from notifications.models import Delivery, Notice, Preference, TeamWebhook
from surveys import privacy, selectors
from surveys.access import FACILITATORS_GROUP
from surveys.models import Membership, Response, RoundMember, SurveyRound, Team


def _wants(users, category: str):
    """Leave out people who turned this category of email off."""
    off = Preference.objects.filter(**{category: False}).values("user_id")
    return users.exclude(pk__in=off).filter(is_active=True).exclude(email="")


def released_team_ids(survey_round: SurveyRound) -> set[int]:
    """Teams whose results of this round are released: the round closed and n >= k."""
    if not privacy.is_released(survey_round):
        return set()
    privacy.record_members_at_close([survey_round])
    counts = selectors.participation([survey_round])
    return {
        team_id
        for (_, team_id), p in counts.items()
        if not privacy.is_withheld(p.submitted, survey_round)
    }


def _not_submitted_memberships(survey_round: SurveyRound):
    submitted = Response.objects.submitted().filter(
        round=survey_round, team_id=OuterRef("team_id"), respondent_id=OuterRef("user_id")
    )
    return Membership.objects.filter(team__rounds=survey_round).exclude(Exists(submitted))


def email_recipient_ids(notice: Notice) -> list[int]:
    """Who gets this notice by email, as it stands now."""
    survey_round = notice.round
    kind = notice.kind
    if kind == Notice.Kind.ROUND_OPENED:
        users = User.objects.filter(memberships__team__rounds=survey_round)
        users = _wants(users, "announcements")
    elif kind in (Notice.Kind.REMINDER, Notice.Kind.MANUAL_REMINDER):
        # Only people with a team in this round they have not submitted for.
        users = User.objects.filter(
            pk__in=_not_submitted_memberships(survey_round).values("user_id")
        )
        users = _wants(users, "reminders")
    elif kind == Notice.Kind.RESULTS_READY:
        released = released_team_ids(survey_round)
        if not released:
            return []
        # Members and leads as the team was at the close (RoundMember), and facilitators.
        users = User.objects.filter(
            Q(round_memberships__round=survey_round, round_memberships__team_id__in=released)
            | Q(groups__name=FACILITATORS_GROUP)
        )
        users = _wants(users, "announcements")
    else:
        return []
    return sorted(set(users.values_list("pk", flat=True)))


def webhook_team_ids(notice: Notice) -> list[int]:
    """Teams whose chat gets this notice (only teams with a webhook)."""
    if notice.kind not in (
        Notice.Kind.ROUND_OPENED,
        Notice.Kind.CLOSING_SOON,
        Notice.Kind.RESULTS_READY,
    ):
        return []
    teams = TeamWebhook.objects.filter(team__rounds=notice.round)
    if notice.kind == Notice.Kind.RESULTS_READY:
        teams = teams.filter(team_id__in=released_team_ids(notice.round))
    return sorted(teams.values_list("team_id", flat=True))


@dataclass
class PersonalContent:
    """What one person's email lists: their own teams only."""

    teams: list[Team] = field(default_factory=list)  # round opened / reminders: to answer
    released: list[Team] = field(default_factory=list)  # results ready: dashboards to open


def personal_content(notice: Notice, user: User) -> PersonalContent:
    survey_round = notice.round
    content = PersonalContent()
    if notice.kind == Notice.Kind.ROUND_OPENED:
        content.teams = list(Team.objects.filter(rounds=survey_round, memberships__user=user))
    elif notice.kind in (Notice.Kind.REMINDER, Notice.Kind.MANUAL_REMINDER):
        team_ids = _not_submitted_memberships(survey_round).filter(user=user).values("team_id")
        content.teams = list(Team.objects.filter(pk__in=team_ids))
    elif notice.kind == Notice.Kind.RESULTS_READY:
        released = released_team_ids(survey_round)
        if user.groups.filter(name=FACILITATORS_GROUP).exists():
            team_ids = released
        else:
            team_ids = set(
                RoundMember.objects.filter(
                    round=survey_round, user=user, team_id__in=released
                ).values_list("team_id", flat=True)
            )
        content.released = list(Team.objects.filter(pk__in=team_ids))
    return content


# --- the round page --------------------------------------------------------------


@dataclass
class NoticeRow:
    notice: Notice
    counts: dict[str, int]  # delivery status -> n, both channels

    @property
    def label(self) -> str:
        label = self.notice.get_kind_display()
        if self.notice.kind == Notice.Kind.REMINDER:
            hours = int(self.notice.offset.total_seconds() // 3600)
            before = f"{hours // 24} day" if hours % 24 == 0 else f"{hours} hour"
            plural = "" if hours in (1, 24) else "s"
            label += f", {before}{plural} before closing"
        return label

    @property
    def waiting(self) -> int:
        return self.counts.get("pending", 0) + self.counts.get("sending", 0)


def round_schedule(survey_round: SurveyRound) -> list[NoticeRow]:
    """The round's schedule with counts of deliveries per status: two queries."""
    notices = list(survey_round.notices.order_by("due_at", "pk"))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for notice_id, status, n in (
        Delivery.objects.filter(notice__round=survey_round)
        .order_by()
        .values_list("notice_id", "status")
        .annotate(n=Count("pk"))
    ):
        counts[notice_id][status] = n
    return [NoticeRow(notice=notice, counts=counts.get(notice.pk, {})) for notice in notices]


def webhook_failures(survey_round: SurveyRound, limit: int = 5) -> list[Delivery]:
    """Recent chat messages that failed: the team and the error (no people involved)."""
    return list(
        Delivery.objects.filter(
            notice__round=survey_round,
            channel=Delivery.Channel.WEBHOOK,
            status__in=[Delivery.Status.FAILED, Delivery.Status.PENDING],
            attempts__gt=0,
        )
        .select_related("team", "notice")
        .order_by("-next_try_at")[:limit]
    )
