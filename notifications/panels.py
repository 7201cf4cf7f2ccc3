"""Context of notifications' panels on surveys' round and team pages and on the profile."""

from django.http import HttpRequest
from django.utils import timezone

from notifications import selectors, services
from notifications.forms import PreferenceForm, ReminderOffsetsForm, TeamWebhookForm
from notifications.models import Delivery, Notice, Preference, TeamWebhook
from surveys.models import SurveyRound, Team


def format_offset(offset) -> str:
    hours = int(offset.total_seconds() // 3600)
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


def round_panel(request: HttpRequest, survey_round: SurveyRound) -> dict:
    now = timezone.now()
    # Three queries: the notices, their deliveries' counts, failing chat messages.
    rows = selectors.round_schedule(survey_round)
    notices = [row.notice for row in rows]
    manual = [n.created_at for n in notices if n.kind == Notice.Kind.MANUAL_REMINDER]
    next_manual = max(manual) + services.MANUAL_REMINDER_INTERVAL if manual else None
    offsets = sorted(
        (
            n.offset
            for n in notices
            if n.kind == Notice.Kind.REMINDER and n.state != Notice.State.CANCELLED
        ),
        reverse=True,
    )
    totals = dict.fromkeys(Delivery.Status.values, 0)
    for row in rows:
        for status, n in row.counts.items():
            totals[status] += n
    return {
        "round": survey_round,
        "rows": rows,
        "totals": totals,
        "kinds": Notice.Kind,
        "webhook_failures": selectors.webhook_failures(survey_round),
        "offsets_form": ReminderOffsetsForm(
            initial={"offsets": ", ".join(format_offset(o) for o in offsets)}
        ),
        "can_remind_now": survey_round.is_open(now) and (next_manual is None or next_manual <= now),
        "is_open": survey_round.is_open(now),
        "is_closed": survey_round.is_closed(now),
        "next_manual": next_manual if next_manual and next_manual > now else None,
    }


def team_panel(request: HttpRequest, team: Team) -> dict:
    hook = TeamWebhook.objects.filter(team=team).first()
    return {
        "team": team,
        "hook": hook,
        "form": TeamWebhookForm(initial={"url": hook.url if hook else ""}),
    }


def profile_section(request: HttpRequest) -> dict:
    preference = Preference.objects.filter(user=request.user).first() or Preference(
        user=request.user
    )
    return {"form": PreferenceForm(instance=preference), "email": request.user.email}
