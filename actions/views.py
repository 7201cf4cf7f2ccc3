"""Action pages: who asks (surveys.privacy), then a form, one service call, a redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from actions import pages, services
from actions.forms import ActionForm, ActionStatusForm
from actions.models import Action
from surveys import privacy
from surveys.privacy import Viewer


def _managed_team(request, team_slug):
    """The team, if this person may change its actions; 404 otherwise (nothing revealed)."""
    viewer = Viewer.of(request.user)
    team = privacy.team_for(viewer, team_slug)
    if not viewer.manages_actions(team):
        raise Http404("No such page.")
    return team


def _add_errors(form, error: ValidationError) -> None:
    for name, errors in getattr(error, "error_dict", {None: error.error_list}).items():
        form.add_error(name if name in form.fields else None, errors)


@login_required
def action_list(request, team_slug):
    viewer = Viewer.of(request.user)
    team = privacy.team_for(viewer, team_slug)
    return render(request, "actions/action_list.html", pages.team_actions_page(viewer, team))


def _form_page(request, team, action: Action | None):
    rounds = pages.team_rounds(team)
    if action is not None:
        survey_round = action.raised_in
    else:
        posted = request.POST.get("raised_in")
        survey_round = next((r for r in rounds if posted and str(r.pk) == posted), None)
        survey_round = survey_round or pages.default_round(rounds, request.GET.get("round"))
    if survey_round is None:
        messages.info(request, f"{team.name} can plan actions once its first round has opened.")
        return redirect("actions:list", team.slug)
    questions = pages.form_questions(survey_round)
    focus = pages.focus_category(request.GET, request.POST, action, questions)
    form = ActionForm(
        request.POST or None,
        initial=pages.form_initial(request.GET, survey_round, action, focus),
        team=team,
        rounds=rounds,
        questions=questions,
        members=pages.team_members(team),
        focus=focus,
        editing=action is not None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.action_save(action=action, team=team, data=form.cleaned_data, by=request.user)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Saved “{form.cleaned_data['title']}”.")
            return redirect("actions:list", team.slug)
    context = pages.form_page(team, survey_round, questions, form, action, request.GET)
    return render(request, "actions/action_form.html", context)


@login_required
def action_create(request, team_slug):
    return _form_page(request, _managed_team(request, team_slug), None)


@login_required
def action_edit(request, team_slug, pk):
    team = _managed_team(request, team_slug)
    action = get_object_or_404(Action.objects.select_related("raised_in"), pk=pk, team=team)
    return _form_page(request, team, action)


@login_required
@require_POST
def action_status(request, team_slug, pk):
    team = _managed_team(request, team_slug)
    action = get_object_or_404(Action, pk=pk, team=team)
    form = ActionStatusForm(request.POST)
    if form.is_valid():
        action = services.action_set_status(
            action=action, status=form.cleaned_data["status"], by=request.user
        )
        messages.success(request, f"“{action.title}” is now {action.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose one of the statuses.")
    return redirect("actions:list", team.slug)
