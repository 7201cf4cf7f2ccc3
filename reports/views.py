"""Dashboards: who asks (surveys.privacy), which round, then a context from reports.dashboards."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.safestring import mark_safe

from reports import charts, dashboards, selectors
from reports.exporters import ExportRequest, allowed_exporters
from reports.staticfiles import plotly_static_path
from surveys import privacy
from surveys.privacy import Viewer


@login_required
def team_dashboard(request, team_slug):
    viewer = Viewer.of(request.user)
    team = privacy.team_for(viewer, team_slug)
    dashboard = dashboards.TeamDashboard.for_viewer(viewer, team)
    context = {
        "team": team,
        "rounds": dashboard.rounds,
        "plotly_js": plotly_static_path(),
        "plotly_template": charts.page_template(),
    }
    if not dashboard.rounds:
        return render(request, "reports/team_dashboard.html", context)
    selected = dashboards.pick(
        dashboard.rounds, request.GET.get("round"), dashboards.default_round(dashboard.rounds)
    )
    context.update(selected=selected, k=privacy.min_group_size(selected))
    context.update(dashboards.team_actions(dashboard, selected))
    if not privacy.is_released(selected):
        context.update(dashboards.open_round_participation(selected, team=team))
        return render(request, "reports/team_dashboard.html", context)
    sort = request.GET.get("sort", "order")
    if sort not in dashboards.QUESTION_SORTS:
        sort = "order"
    data = dashboards.team_results_body(dashboard, selected, sort)
    export_request = ExportRequest(survey_round=selected, teams=(team,), viewer=dashboard.viewer)
    context.update(
        summary=data["summary"],
        body=mark_safe(data["body"]),  # rendered by a template, autoescaped
        downloads=[(e.identifier, e.verbose_name) for e in allowed_exporters(export_request)],
    )
    return render(request, "reports/team_dashboard.html", context)


@login_required
def org_dashboard(request):
    viewer = Viewer.of(request.user)
    privacy.require_org_viewer(viewer)
    rounds = selectors.started_rounds()
    groups = selectors.group_choices()
    context = {
        "rounds": rounds,
        "groups": groups,
        "plotly_js": plotly_static_path(),
        "plotly_template": charts.page_template(),
    }
    if not rounds:
        return render(request, "reports/org_dashboard.html", context)
    selected = dashboards.pick(rounds, request.GET.get("round"), dashboards.default_round(rounds))
    group = request.GET.get("group", "")
    if group not in {value for value, _label in groups}:
        group = ""  # an unknown group (or none): every team
    first = dashboards.pick(rounds, request.GET.get("from"), rounds[max(0, len(rounds) - 8)])
    last = dashboards.pick(rounds, request.GET.get("to"), rounds[-1])
    if first.opens_at > last.opens_at:
        first, last = last, first
    context.update(
        selected=selected,
        group=group,
        group_label=selectors.group_label(group),
        all_groups_url=dashboards.org_url(selected, first, last),
        first=first,
        last=last,
    )
    privacy.record_members_at_close([selected])  # participation counts members at close
    if not privacy.is_released(selected):
        context.update(
            dashboards.open_round_participation(selected, group=group, first=first, last=last)
        )
        return render(request, "reports/org_dashboard.html", context)
    in_range = privacy.released(r for r in rounds if first.opens_at <= r.opens_at <= last.opens_at)
    data = dashboards.org_results_body(selected, in_range, group, first, last)
    context.update(body=mark_safe(data["body"]))  # rendered by a template, autoescaped
    context.update(dashboards.org_actions(viewer, selected, in_range, group))
    return render(request, "reports/org_dashboard.html", context)
