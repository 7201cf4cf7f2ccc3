"""Export pages and downloads.

``export_round``: the facilitators' Export page of a round (choose teams and a
format). Managers may use it for the aggregate formats; everyone else gets 404.
``export_team``: the team dashboard's download buttons, checked with
``surveys.privacy`` like the dashboard itself.

A format the viewer may not have answers 403 with a page saying why, and no
file; an unknown format, an unknown round or another team's URL answers 404.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from assessment.audit import audit_record
from assessment.fields import ModelMultipleChoiceIdField
from assessment.models import AuditEvent
from reports.exporters import (
    EXPORTERS,
    ExportRequest,
    ExportResult,
    allowed_exporters,
    get_exporter,
)
from reports.exporters.base import BaseExporter
from surveys.models import SurveyRound, Team
from surveys.privacy import Viewer, require_org_viewer, team_for


class RoundExportForm(forms.Form):
    teams = ModelMultipleChoiceIdField(
        queryset=Team.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one team."},
    )
    format = forms.ChoiceField(
        choices=[(identifier, cls.verbose_name) for identifier, cls in EXPORTERS.items()],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, survey_round: SurveyRound, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = survey_round.teams.order_by("name")


def download(result: ExportResult) -> HttpResponseBase:
    """The export as an attachment; iterators stream, so memory stays flat."""
    filename, content_type, content = result
    if isinstance(content, bytes):
        response: HttpResponseBase = HttpResponse(content, content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _describe(exporter: type[BaseExporter]) -> dict[str, str]:
    # Plain values: templates would call an exporter class instead of reading it.
    return {
        "identifier": exporter.identifier,
        "name": exporter.verbose_name,
        "description": exporter.description,
        "extension": exporter.extension,
    }


def _refused(
    request: HttpRequest, survey_round: SurveyRound, exporter: type[BaseExporter], reason: str
) -> HttpResponse:
    return render(
        request,
        "reports/export_round.html",
        {
            "round": survey_round,
            "refusal": reason,
            "refused_format": exporter.verbose_name,
            "can_use_round_page": Viewer.of(request.user).sees_every_team,
        },
        status=403,
    )


@login_required
@require_http_methods(["GET", "POST"])
def export_round(request: HttpRequest, round_slug: str) -> HttpResponseBase:
    require_org_viewer(Viewer.of(request.user))
    survey_round = get_object_or_404(
        SurveyRound.objects.select_related("questionnaire"), slug=round_slug
    )
    teams = list(survey_round.teams.order_by("name"))
    everyone = ExportRequest.for_user(survey_round, teams, request.user)
    allowed = {cls.identifier: cls for cls in allowed_exporters(everyone)}

    if request.method == "POST":
        form = RoundExportForm(request.POST, survey_round=survey_round)
        if form.is_valid():
            exporter = EXPORTERS[form.cleaned_data["format"]]
            chosen = form.cleaned_data["teams"]
            export_request = ExportRequest.for_user(survey_round, chosen, request.user)
            reason = exporter.refusal(export_request)
            if reason:
                return _refused(request, survey_round, exporter, reason)
            return audited_download(request, exporter, export_request)
    else:
        form = RoundExportForm(
            survey_round=survey_round,
            initial={"teams": teams, "format": next(iter(allowed), None)},
        )

    context = _round_page_context(survey_round, teams, form, allowed)
    return render(request, "reports/export_round.html", context)


def _round_page_context(survey_round, teams, form, allowed) -> dict:
    chosen_teams = {str(value) for value in (form["teams"].value() or [])}
    return {
        "round": survey_round,
        "form": form,
        "teams": [(team, str(team.pk) in chosen_teams) for team in teams],
        "formats": [_describe(cls) for cls in allowed.values()],
        "chosen_format": form["format"].value(),
        "other_formats": [
            _describe(cls) for identifier, cls in EXPORTERS.items() if identifier not in allowed
        ],
    }


@login_required
@require_GET
def export_team(
    request: HttpRequest, round_slug: str, team_slug: str, fmt: str
) -> HttpResponseBase:
    survey_round = get_object_or_404(
        SurveyRound.objects.select_related("questionnaire"), slug=round_slug
    )
    team = team_for(Viewer.of(request.user), team_slug)
    exporter = get_exporter(fmt)
    if exporter is None or not survey_round.teams.filter(pk=team.pk).exists():
        raise Http404("No such export.")
    export_request = ExportRequest.for_user(survey_round, [team], request.user)
    reason = exporter.refusal(export_request)
    if reason:
        return _refused(request, survey_round, exporter, reason)
    return audited_download(request, exporter, export_request)


def audited_download(request, exporter, export_request) -> HttpResponseBase:
    """Record who downloaded which format for which teams, then send the file."""
    result = exporter(export_request).render()
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.EXPORT_DOWNLOADED,
        target=export_request.survey_round.name,
        format=exporter.identifier,
        teams=sorted(team.slug for team in export_request.teams),
        filename=result.filename,
    )
    return download(result)
