"""Notifications' own pages and the forms of its panels (which redirect back)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications import services
from notifications.forms import PreferenceForm, ReminderOffsetsForm, TeamWebhookForm
from notifications.models import Preference
from notifications.tokens import read_token
from surveys.access import is_facilitator
from surveys.models import SurveyRound, Team

CATEGORY_NAMES = {"reminders": "reminder emails", "announcements": "round notices"}


def _require_facilitator(request: HttpRequest) -> None:
    if not is_facilitator(request.user):
        raise Http404("Page not found")


@login_required
@require_POST
def round_reminders(request: HttpRequest, round_slug: str) -> HttpResponse:
    _require_facilitator(request)
    survey_round = get_object_or_404(SurveyRound, slug=round_slug)
    form = ReminderOffsetsForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Write the reminders as days or hours, like 7d, 1d.")
        offsets = services.parse_offsets(form.cleaned_data["offsets"])
        services.reminder_offsets_set(
            survey_round=survey_round, offsets=offsets, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Reminders of {survey_round.name} rescheduled.")
    return redirect("surveys:round_detail", round_slug=survey_round.slug)


@login_required
@require_POST
def round_remind_now(request: HttpRequest, round_slug: str) -> HttpResponse:
    _require_facilitator(request)
    survey_round = get_object_or_404(SurveyRound, slug=round_slug)
    try:
        services.reminder_send_now(survey_round=survey_round, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "A reminder is on its way to everyone who has not submitted yet.")
    return redirect("surveys:round_detail", round_slug=survey_round.slug)


@login_required
@require_POST
def team_webhook(request: HttpRequest, team_slug: str) -> HttpResponse:
    _require_facilitator(request)
    team = get_object_or_404(Team, slug=team_slug)
    form = TeamWebhookForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The chat webhook must be an http:// or https:// address.")
    else:
        hook = services.team_webhook_set(
            team=team, url=form.cleaned_data["url"], actor=request.user
        )
        messages.success(
            request,
            f"{team.name}'s chat gets round notices."
            if hook
            else f"{team.name} has no chat notices.",
        )
    return redirect("surveys:team_detail", team_slug=team.slug)


@login_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    preference = Preference.objects.filter(user=request.user).first()
    form = PreferenceForm(request.POST, instance=preference or Preference(user=request.user))
    if form.is_valid():
        services.preference_set(
            user=request.user,
            reminders=form.cleaned_data["reminders"],
            announcements=form.cleaned_data["announcements"],
        )
        messages.success(request, "Email settings saved.")
    else:
        messages.error(request, "Those settings could not be saved.")
    return redirect("profile")


# The signed token is the credential, and mail clients' one-click unsubscribe
# (RFC 8058) POSTs without a CSRF token, so this view is exempt.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = read_token(token)
    user = User.objects.filter(pk=found[0]).first() if found else None
    if user is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=400)
    category = found[1]
    context = {"category": CATEGORY_NAMES[category], "email": user.email, "token": token}
    if request.method == "POST":
        services.preference_set(user=user, **{category: False})
        return render(request, "notifications/unsubscribe_done.html", context)
    return render(request, "notifications/unsubscribe.html", context)
