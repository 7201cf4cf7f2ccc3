"""Facilitator pages: survey rounds, teams, memberships and the member CSV import.

Everyone but a facilitator gets 404, so these pages do not reveal that rounds
or teams exist. Reads are built here; writes go through surveys.services.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from surveys import privacy, selectors, services
from surveys.access import is_facilitator
from surveys.manage_forms import (
    MembershipAddForm,
    MembershipUpdateForm,
    MembersImportForm,
    RoundExtendForm,
    RoundForm,
    TeamForm,
)
from surveys.models import Membership, SurveyRound, Team


def require_facilitator(request: HttpRequest) -> None:
    if not is_facilitator(request.user):
        raise Http404("Page not found")


def _add_errors(form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form; unknown fields go on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _count(queryset: QuerySet) -> Coalesce:
    """COUNT(*) of a correlated queryset as a scalar subquery.

    Counting several one-to-many relations through joins multiplies the rows
    (teams x members x responses); one subquery per number does not.
    """
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _rate(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


# --- rounds ---------------------------------------------------------------------


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    require_facilitator(request)
    now = timezone.now()
    rounds = list(
        SurveyRound.objects.select_related("questionnaire")
        .annotate(team_count=Count("teams", distinct=True))
        .order_by("-opens_at", "-pk")
    )
    privacy.record_members_at_close(rounds)
    counts = selectors.participation(rounds, now=now)
    for survey_round in rounds:
        survey_round.status_label = SurveyRound.Status(survey_round.status(now)).label
        mine = [p for (round_id, _), p in counts.items() if round_id == survey_round.pk]
        survey_round.invited_count = sum(p.invited for p in mine)
        survey_round.submitted_count = sum(p.submitted for p in mine)
        survey_round.rate = _rate(survey_round.submitted_count, survey_round.invited_count)
    return render(request, "surveys/manage/round_list.html", {"rounds": rounds})


@login_required
def round_create(request: HttpRequest) -> HttpResponse:
    require_facilitator(request)
    form = RoundForm(request.POST) if request.method == "POST" else RoundForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey_round = services.round_create(
                name=data["name"],
                questionnaire=data["questionnaire"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                teams=data["teams"],
                min_respondents=data["min_respondents"],
                created_by=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Created the round {survey_round.name}.")
            return redirect("surveys:round_detail", round_slug=survey_round.slug)
    return render(
        request,
        "surveys/manage/round_form.html",
        {"form": form, "version_changes": selectors.changes_since_last_round()},
    )


def _round_teams(survey_round: SurveyRound, viewer: privacy.Viewer) -> tuple[list[Team], dict]:
    """The round's teams with their participation, and totals (selectors.participation)."""
    privacy.record_members_at_close([survey_round])
    teams = list(survey_round.teams.order_by("name"))
    counts = selectors.participation([survey_round], [team.pk for team in teams])
    # Names only to a facilitator who also leads the team, while the round is
    # open: a lead nudges their own people; everyone else sees numbers.
    pending = selectors.not_submitted(
        [survey_round], [t.pk for t in teams if viewer.sees_non_submitters(t, survey_round)]
    )
    for team in teams:
        p = counts.get((survey_round.pk, team.pk), selectors.Participation())
        team.invited, team.drafts, team.submitted = p.invited, p.drafts, p.submitted
        team.rate = _rate(team.submitted, team.invited)
        team.pending = pending.get((survey_round.pk, team.pk))
    totals = {
        "invited": sum(team.invited for team in teams),
        "drafts": sum(team.drafts for team in teams),
        "submitted": sum(team.submitted for team in teams),
    }
    totals["rate"] = _rate(totals["submitted"], totals["invited"])
    return teams, totals


@login_required
def round_detail(request: HttpRequest, round_slug: str) -> HttpResponse:
    require_facilitator(request)
    survey_round = get_object_or_404(
        SurveyRound.objects.select_related("questionnaire"), slug=round_slug
    )
    teams, totals = _round_teams(survey_round, privacy.Viewer.of(request.user))
    status = survey_round.status()
    return render(
        request,
        "surveys/manage/round_detail.html",
        {
            "round": survey_round,
            "status": status,
            "status_label": SurveyRound.Status(status).label,
            "teams": teams,
            "totals": totals,
            "extend_form": RoundExtendForm(initial={"closes_at": survey_round.closes_at}),
        },
    )


@login_required
@require_POST
def round_extend(request: HttpRequest, round_slug: str) -> HttpResponse:
    require_facilitator(request)
    survey_round = get_object_or_404(SurveyRound, slug=round_slug)
    form = RoundExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the new closing date and time.")
        return redirect("surveys:round_detail", round_slug=survey_round.slug)
    try:
        services.round_extend(
            survey_round=survey_round,
            closes_at=form.cleaned_data["closes_at"],
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        closes = timezone.localtime(survey_round.closes_at)
        messages.success(request, f"{survey_round.name} now closes on {closes:%-d %B %Y, %H:%M}.")
    return redirect("surveys:round_detail", round_slug=survey_round.slug)


@login_required
@require_POST
def round_close(request: HttpRequest, round_slug: str) -> HttpResponse:
    require_facilitator(request)
    survey_round = get_object_or_404(SurveyRound, slug=round_slug)
    try:
        services.round_close(survey_round=survey_round, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"{survey_round.name} is closed. Drafts that were not submitted do not count."
        )
    return redirect("surveys:round_detail", round_slug=survey_round.slug)


# --- teams and members -------------------------------------------------------------


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    require_facilitator(request)
    form = TeamForm(request.POST) if request.method == "POST" else TeamForm()
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                name=form.cleaned_data["name"],
                group=form.cleaned_data["group"],
                actor=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Created the team {team.name}. Add its members below.")
            return redirect("surveys:team_detail", team_slug=team.slug)
    teams = Team.objects.annotate(
        member_count=Count("memberships"),
        lead_count=Count("memberships", filter=Q(memberships__role=Membership.Role.LEAD)),
    ).order_by("name")
    return render(request, "surveys/manage/team_list.html", {"teams": teams, "form": form})


@login_required
def team_detail(request: HttpRequest, team_slug: str) -> HttpResponse:
    require_facilitator(request)
    team = get_object_or_404(Team, slug=team_slug)
    form = MembershipAddForm(request.POST) if request.method == "POST" else MembershipAddForm()
    if request.method == "POST" and form.is_valid():
        user, role = form.cleaned_data["user"], form.cleaned_data["role"]
        try:
            membership = services.membership_set(
                team=team, user=user, role=role, actor=request.user
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            name = user.get_full_name() or user.username
            role_name = membership.get_role_display().lower()
            messages.success(request, f"{name} is a {role_name} of {team.name}.")
            return redirect("surveys:team_detail", team_slug=team.slug)
    context = {"team": team, "memberships": selectors.team_members(team), "form": form}
    context["roles"] = Membership.Role.choices
    return render(request, "surveys/manage/team_detail.html", context)


@login_required
@require_POST
def membership_update(request: HttpRequest, team_slug: str, user_id: int) -> HttpResponse:
    require_facilitator(request)
    membership = get_object_or_404(
        Membership.objects.select_related("team", "user"), team__slug=team_slug, user_id=user_id
    )
    team, user = membership.team, membership.user
    name = user.get_full_name() or user.username
    form = MembershipUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role, or remove the member.")
    elif form.cleaned_data["action"] == "remove":
        services.membership_remove(team=team, user=user, actor=request.user)
        messages.success(request, f"Removed {name} from {team.name}.")
    else:
        try:
            membership = services.membership_set(
                team=team, user=user, role=form.cleaned_data["role"], actor=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            role = membership.get_role_display().lower()
            messages.success(request, f"{name} is now a {role} of {team.name}.")
    return redirect("surveys:team_detail", team_slug=team.slug)


def _import_summary(result: services.ImportResult) -> str:
    return (
        f"Import done: {result.users_created} user(s) created and sent a "
        f"set-password email, {result.teams_created} team(s) created, "
        f"{result.memberships_created} membership(s) added, "
        f"{result.memberships_updated} updated."
    )


@login_required
def members_import(request: HttpRequest) -> HttpResponse:
    require_facilitator(request)
    form = (
        MembersImportForm(request.POST, request.FILES)
        if request.method == "POST"
        else MembersImportForm()
    )
    import_errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.members_import_csv(
                content=form.cleaned_data["file"].read(),
                base_url=request.build_absolute_uri("/"),
                actor=request.user,
            )
        except services.MemberImportError as error:
            import_errors = error.errors
        else:
            messages.success(request, _import_summary(result))
            return redirect("surveys:team_list")
    return render(
        request,
        "surveys/manage/members_import.html",
        {"form": form, "import_errors": import_errors, "columns": services.CSV_COLUMNS},
    )
