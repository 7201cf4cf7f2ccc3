"""The REST API's endpoints. Thin: who asks (surveys.privacy), one selector or
service call, a serializer. Writes validate with the facilitator pages' forms,
so the API gives the same messages; every error is a problem document."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers as s
from api.conditional import conditional
from api.permissions import FacilitatorWrites
from api.problems import Refused
from assessment.models import Category, Question, Questionnaire
from reports import selectors as report_selectors
from reports.export_views import audited_download
from reports.exporters import EXPORTERS, ExportRequest, get_exporter
from reports.exporters.json_export import JsonExporter, action_document
from surveys import privacy, selectors, services
from surveys.manage_forms import (
    MembershipAddForm,
    MembersImportForm,
    RoundExtendForm,
    RoundForm,
    TeamForm,
)
from surveys.models import Membership, SurveyRound, Team
from surveys.privacy import Viewer

ROUND = OpenApiParameter("round", str, description="A round's slug.")
TEAM = OpenApiParameter("team", str, description="A team's slug.")
GROUP = OpenApiParameter("group", str, description="A team group (department).")
WRITE_PERMISSIONS = [*generics.GenericAPIView.permission_classes, FacilitatorWrites]


def form_errors(form) -> ValidationError:
    """A bound form's errors as a ValidationError: the messages the pages show."""
    return ValidationError(
        {field: list(messages) for field, messages in form.errors.items()},
    )


def param(request, name: str) -> str | None:
    """A query parameter; one holding a NUL character is refused (PostgreSQL cannot
    compare text with NUL in it: that would be a 500)."""
    value = request.query_params.get(name)
    if value is not None and "\x00" in value:
        raise exceptions.ValidationError({name: ["Contains a null character."]})
    return value


def validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _facilitator_only(request) -> None:
    """Facilitators' reads (names of members): everyone else gets 404, as on the pages."""
    if not Viewer.of(request.user).is_facilitator:
        raise exceptions.NotFound("No such page.")


def _round(slug: str) -> SurveyRound:
    survey_round = SurveyRound.objects.select_related("questionnaire").filter(slug=slug).first()
    if survey_round is None:
        raise exceptions.NotFound()
    return survey_round


# --- questionnaires --------------------------------------------------------------------


class QuestionnaireList(generics.ListAPIView):
    """Questionnaire versions: published ones; facilitators also see drafts."""

    serializer_class = s.QuestionnaireSerializer

    def get_queryset(self):
        questionnaires = Questionnaire.objects.all()
        if not Viewer.of(self.request.user).is_facilitator:
            questionnaires = questionnaires.published()
        return questionnaires


class QuestionnaireDetail(generics.RetrieveAPIView):
    """One questionnaire version with its categories, questions and levels (choices)."""

    serializer_class = s.QuestionnaireDetailSerializer
    lookup_field = "pk"

    def get_queryset(self):
        questions = Question.objects.prefetch_related("choices").order_by("order", "id")
        categories = Category.objects.prefetch_related(
            Prefetch("questions", queryset=questions)
        ).order_by("order", "id")
        queryset = Questionnaire.objects.prefetch_related(
            Prefetch("categories", queryset=categories)
        )
        if not Viewer.of(self.request.user).is_facilitator:
            queryset = queryset.published()
        return queryset


# --- rounds ---------------------------------------------------------------------------------


def round_data(survey_round: SurveyRound, viewer: Viewer) -> dict:
    """A round as the API shows it; only the teams this viewer may see are listed."""
    questionnaire = survey_round.questionnaire
    return {
        "slug": survey_round.slug,
        "name": survey_round.name,
        "questionnaire": {
            "id": questionnaire.pk,
            "slug": questionnaire.slug,
            "version": questionnaire.version,
        },
        "opens_at": survey_round.opens_at,
        "closes_at": survey_round.closes_at,
        "status": survey_round.status(),
        "k": privacy.min_group_size(survey_round),
        "teams": [
            team.slug
            for team in survey_round.teams.all()
            if viewer.sees_every_team or team.pk in viewer.team_ids
        ],
    }


class RoundSerializerField(s.RoundSerializer):
    def to_representation(self, instance):
        return super().to_representation(round_data(instance, self.context["viewer"]))


@extend_schema(
    parameters=[
        TEAM,
        OpenApiParameter("status", str, enum=["upcoming", "open", "closed"]),
    ]
)
class RoundList(generics.ListCreateAPIView):
    """Rounds you may see: every round for managers and facilitators, your teams' otherwise.

    POST (facilitators): create a round, with the rules and messages of the New round page.
    """

    permission_classes = WRITE_PERMISSIONS
    serializer_class = RoundSerializerField

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "viewer": self.viewer}

    def get_queryset(self):
        self.viewer = Viewer.of(self.request.user)
        rounds = selectors.rounds_seen_by(
            self.viewer.user_id, self.viewer.team_ids, every_team=self.viewer.sees_every_team
        ).prefetch_related(Prefetch("teams", queryset=Team.objects.order_by("name")))
        team = param(self.request, "team")
        if team:
            rounds = rounds.filter(teams__slug=team)
        wanted = param(self.request, "status")
        if wanted is not None and wanted not in SurveyRound.Status.values:
            raise exceptions.ValidationError({"status": ["Use upcoming, open or closed."]})
        if wanted == "open":
            rounds = rounds.open()
        elif wanted == "closed":
            rounds = rounds.closed()
        elif wanted == "upcoming":
            rounds = rounds.upcoming()
        return rounds

    @extend_schema(request=s.RoundCreateSerializer, responses={201: s.RoundSerializer})
    def post(self, request):
        data = dict(validated(s.RoundCreateSerializer, request))
        slugs = dict(Team.objects.filter(slug__in=data["teams"]).values_list("slug", "pk"))
        # Unknown slugs reach the form as they are: it names them as invalid choices.
        data["teams"] = [slugs.get(slug, slug) for slug in data["teams"]]
        form = RoundForm(data)
        if not form.is_valid():
            raise form_errors(form)
        cleaned = form.cleaned_data
        survey_round = services.round_create(
            name=cleaned["name"],
            questionnaire=cleaned["questionnaire"],
            opens_at=cleaned["opens_at"],
            closes_at=cleaned["closes_at"],
            teams=cleaned["teams"],
            min_respondents=cleaned["min_respondents"],
            created_by=request.user,
        )
        viewer = Viewer.of(request.user)
        return Response(
            s.RoundSerializer(round_data(survey_round, viewer)).data, status=status.HTTP_201_CREATED
        )


class RoundDetail(APIView):
    """One round, if you may see it (404 otherwise, as for a round that does not exist)."""

    @extend_schema(responses=s.RoundSerializer)
    def get(self, request, slug: str):
        viewer = Viewer.of(request.user)
        rounds = selectors.rounds_seen_by(
            viewer.user_id, viewer.team_ids, every_team=viewer.sees_every_team
        )
        survey_round = get_object_or_404(rounds.prefetch_related("teams"), slug=slug)
        return Response(s.RoundSerializer(round_data(survey_round, viewer)).data)


class RoundExtend(APIView):
    """Facilitators: move an open round's closing time (the Extend button's rules)."""

    permission_classes = WRITE_PERMISSIONS

    @extend_schema(request=s.RoundExtendSerializer, responses=s.RoundSerializer)
    def post(self, request, slug: str):
        _facilitator_only(request)
        survey_round = _round(slug)
        form = RoundExtendForm(dict(validated(s.RoundExtendSerializer, request)))
        if not form.is_valid():
            raise form_errors(form)
        services.round_extend(
            survey_round=survey_round, closes_at=form.cleaned_data["closes_at"], actor=request.user
        )
        return Response(s.RoundSerializer(round_data(survey_round, Viewer.of(request.user))).data)


# --- teams and memberships ------------------------------------------------------------------


@extend_schema(parameters=[GROUP, ROUND])
class TeamList(generics.ListCreateAPIView):
    """Teams: every team for managers and facilitators; your own teams otherwise.

    POST (facilitators): create a team, with the rules and messages of the Teams page.
    """

    permission_classes = WRITE_PERMISSIONS
    serializer_class = s.TeamSerializer

    def get_queryset(self):
        viewer = Viewer.of(self.request.user)
        teams = selectors.teams_with_counts()
        if not viewer.sees_every_team:
            teams = teams.filter(pk__in=viewer.team_ids)
        if group := param(self.request, "group"):
            teams = teams.filter(group=group)
        if round_slug := param(self.request, "round"):
            teams = teams.filter(rounds__slug=round_slug)
        return teams

    @extend_schema(request=s.TeamCreateSerializer, responses={201: s.TeamSerializer})
    def post(self, request):
        form = TeamForm(dict(validated(s.TeamCreateSerializer, request)))
        if not form.is_valid():
            raise form_errors(form)
        team = services.team_create(
            name=form.cleaned_data["name"], group=form.cleaned_data["group"], actor=request.user
        )
        team = selectors.teams_with_counts().get(pk=team.pk)
        return Response(s.TeamSerializer(team).data, status=status.HTTP_201_CREATED)


class MembershipList(generics.ListCreateAPIView):
    """Facilitators: a team's members with names and roles (others get 404, as on the pages).

    POST adds a person (username or e-mail) or changes their role.
    """

    permission_classes = WRITE_PERMISSIONS
    serializer_class = s.MembershipSerializer

    def get_queryset(self):
        _facilitator_only(self.request)
        team = get_object_or_404(Team, slug=self.kwargs["slug"])
        return Membership.objects.filter(team=team).select_related("user")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([membership_data(m) for m in page])

    @extend_schema(request=s.MembershipSetSerializer, responses={200: s.MembershipSerializer})
    def post(self, request, slug: str):
        _facilitator_only(request)
        team = get_object_or_404(Team, slug=slug)
        form = MembershipAddForm(dict(validated(s.MembershipSetSerializer, request)))
        if not form.is_valid():
            raise form_errors(form)
        membership = services.membership_set(
            team=team,
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
            actor=request.user,
        )
        return Response(s.MembershipSerializer(membership_data(membership)).data)


def membership_data(membership: Membership) -> dict:
    user = membership.user
    return {
        "user_id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name(),
        "email": user.email,
        "role": membership.role,
    }


class MembershipDetail(APIView):
    """Facilitators: remove a person from a team."""

    permission_classes = WRITE_PERMISSIONS

    @extend_schema(responses={204: None})
    def delete(self, request, slug: str, user_id: int):
        _facilitator_only(request)
        membership = get_object_or_404(
            Membership.objects.select_related("team", "user"), team__slug=slug, user_id=user_id
        )
        services.membership_remove(team=membership.team, user=membership.user, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembersImport(APIView):
    """Facilitators: import members from a CSV file (email,name,team,role): all rows or none."""

    permission_classes = WRITE_PERMISSIONS

    @extend_schema(
        request={"multipart/form-data": s.MembersImportSerializer},
        responses={201: s.ImportResultSerializer},
    )
    def post(self, request):
        _facilitator_only(request)
        form = MembersImportForm({}, request.FILES)
        if not form.is_valid():
            raise form_errors(form)
        try:
            result = services.members_import_csv(
                content=form.cleaned_data["file"].read(),
                base_url=request.build_absolute_uri("/"),
                actor=request.user,
            )
        except services.MemberImportError as error:
            raise ValidationError({"file": error.errors}) from None
        return Response(
            s.ImportResultSerializer(result.__dict__).data, status=status.HTTP_201_CREATED
        )


# --- participation and results ---------------------------------------------------------------


class Participation(APIView):
    """Per team of a round: members, drafts and submitted responses (counts only).

    Shown while the round is open too; names of who has not submitted only to the
    team's leads while it is open. Teams you may not see are left out.
    """

    pagination_class = None

    @extend_schema(parameters=[TEAM, GROUP], responses=s.ParticipationSerializer(many=True))
    def get(self, request, slug: str):
        survey_round = _round(slug)
        viewer = Viewer.of(request.user).with_members_at_close([survey_round])
        teams = survey_round.teams.order_by("name")
        if team := param(request, "team"):
            teams = teams.filter(slug=team)
        if group := param(request, "group"):
            teams = teams.filter(group=group)
        teams = [t for t in teams if viewer.sees_participation(t, survey_round)]
        counts = selectors.participation([survey_round], [t.pk for t in teams])
        pending = selectors.not_submitted(
            [survey_round], [t.pk for t in teams if viewer.sees_non_submitters(t, survey_round)]
        )
        rows = []
        for team in teams:
            p = counts.get((survey_round.pk, team.pk), selectors.Participation())
            names = pending.get((survey_round.pk, team.pk))
            rows.append(
                {
                    "round": survey_round.slug,
                    "team": team.slug,
                    "team_name": team.name,
                    "group": team.group,
                    "invited": p.invited,
                    "submitted": p.submitted,
                    "drafts": p.drafts,
                    "response_rate": p.response_rate,
                    "not_submitted": None
                    if names is None
                    else [u.get_full_name() or u.get_username() for u in names],
                }
            )
        return Response(s.ParticipationSerializer(rows, many=True).data)


class TeamResults(APIView):
    """One team's results in a round: the JSON export's numbers, under the same policy.

    Released when the round closes (403 with the reason before), for the team as
    it was at the close, managers and facilitators; another team's results are
    404. Figures of fewer than k people are null with ``withheld: true``.
    Conditional GET: send the ETag back in If-None-Match to get 304.
    """

    @extend_schema(operation_id="team_results", responses={200: s.TeamResultsSerializer, 304: None})
    def get(self, request, slug: str, team_slug: str):
        survey_round = _round(slug)
        team = privacy.team_for(Viewer.of(request.user), team_slug)
        if not survey_round.teams.filter(pk=team.pk).exists():
            raise exceptions.NotFound("This team does not take part in this round.")
        export_request = ExportRequest.for_user(survey_round, [team], request.user)
        reason = JsonExporter.refusal(export_request)
        if reason:
            raise Refused(reason)
        exporter = JsonExporter(export_request)
        data = exporter.team_round_document(exporter.data.team_rounds[0])
        return conditional(request, s.TeamResultsSerializer(data).data)


class TeamActions(APIView):
    """A team's improvement actions as of a round, and whether they worked.

    The actions of the retro pack and the dashboard: open ones (planned or in
    progress, carried over from earlier rounds) and those done since the team's
    previous round, each with the change of its targets since the round it was
    raised in, under the results' rules (released rounds, k, the noise rule).
    The team's members and facilitators see all; managers only the actions the
    team made visible to managers; members of other teams get 404. No owners.
    """

    @extend_schema(operation_id="team_actions", responses={200: s.ActionSerializer(many=True)})
    def get(self, request, slug: str, team_slug: str):
        survey_round = _round(slug)
        viewer = Viewer.of(request.user)
        team = privacy.team_for(viewer, team_slug)
        if not survey_round.teams.filter(pk=team.pk).exists():
            raise exceptions.NotFound("This team does not take part in this round.")
        previous = report_selectors.previous_round_for(team, survey_round)
        reports = report_selectors.round_actions([team], survey_round, {team.pk: previous}, viewer)
        return Response(
            s.ActionSerializer(
                [{"id": r.action.pk, **action_document(r)} for r in reports[team.pk]], many=True
            ).data
        )


class OrgResults(APIView):
    """Managers and facilitators: every team of a round against every practice category,
    the organisation's median and quartiles, levels and systemic questions.

    Teams under k are withheld and left out of every organisation figure. Teams
    are listed alphabetically, never ranked. Conditional GET as for team results.
    """

    @extend_schema(
        operation_id="org_results",
        parameters=[GROUP],
        responses={200: s.OrgResultsSerializer, 304: None},
    )
    def get(self, request, slug: str):
        privacy.require_org_viewer(Viewer.of(request.user))
        survey_round = _round(slug)
        if not privacy.is_released(survey_round):
            raise Refused(privacy.release_message(survey_round))
        group = param(request, "group") or ""
        matrix = report_selectors.org_round_matrix(survey_round, group=group)
        stats = report_selectors.org_category_stats([survey_round], group=group)
        stats = {row["category_key"]: row for row in stats.to_dict("records")}
        slugs = dict(survey_round.teams.values_list("name", "slug"))
        data = {
            "round": survey_round.slug,
            "k": privacy.min_group_size(survey_round),
            "group": group,
            "categories": [
                {
                    "key": key,
                    "name": name,
                    "teams": int(stats[key]["teams"]) if key in stats else 0,
                    **{q: stats[key][q] if key in stats else None for q in ("median", "q1", "q3")},
                }
                for key, name in matrix.category_names.items()
            ],
            "teams": [
                {
                    "team": slugs.get(name, ""),
                    "team_name": name,
                    "cells": [
                        {
                            "category_key": key,
                            "score": None if hidden or value != value else float(value),
                            "withheld": bool(hidden),
                        }
                        for key, value, hidden in zip(
                            matrix.scores.columns, values, hidden_row, strict=True
                        )
                    ],
                }
                for name, values, hidden_row in zip(
                    matrix.scores.index,
                    matrix.scores.to_numpy(),
                    matrix.withheld.to_numpy(),
                    strict=True,
                )
            ],
            "levels": report_selectors.level_distribution(matrix)[
                ["category_key", "level", "teams"]
            ].to_dict("records"),
            "systemic_questions": report_selectors.systemic_questions(survey_round),
        }
        return conditional(request, s.OrgResultsSerializer(data).data)


class ClusterCounts(APIView):
    """Managers and facilitators: teams per DORA cluster per released round.

    Only teams whose four key metrics each have at least k answers are counted.
    """

    @extend_schema(
        parameters=[ROUND, GROUP], responses={200: s.ClusterCountSerializer(many=True), 304: None}
    )
    def get(self, request):
        privacy.require_org_viewer(Viewer.of(request.user))
        rounds = report_selectors.started_rounds()
        if round_slug := param(request, "round"):
            rounds = [r for r in rounds if r.slug == round_slug]
        counts = report_selectors.cluster_counts(rounds, group=(param(request, "group") or ""))
        rows = [{**row, "teams": int(row["teams"])} for row in counts.to_dict("records")]
        return conditional(request, s.ClusterCountSerializer(rows, many=True).data)


# --- exports --------------------------------------------------------------------------------

EXPORT_MEDIA_TYPES = {cls.content_type.split(";")[0] for cls in EXPORTERS.values()}


class Export(APIView):
    """A round's results as a file, in the export page's formats and under its rules.

    ``team`` (repeatable) picks teams; without it, every team of the round
    (managers and facilitators). Formats your role may not have answer 403
    with the reason; before the close every format answers 403.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("team", str, many=True, description="Team slugs (repeatable)."),
            OpenApiParameter(
                "fmt", str, OpenApiParameter.PATH, enum=list(EXPORTERS), description="The format."
            ),
        ],
        responses={
            (200, media_type): OpenApiResponse(
                OpenApiTypes.OBJECT if media_type == "application/json" else OpenApiTypes.BINARY,
                description="The file; JSON as described by docs/export-schema.json.",
            )
            for media_type in sorted(EXPORT_MEDIA_TYPES)
        },
    )
    def get(self, request, slug: str, fmt: str):
        viewer = Viewer.of(request.user)
        survey_round = _round(slug)
        exporter = get_exporter(fmt)
        if exporter is None:
            raise exceptions.NotFound("No such export format.")
        slugs = request.query_params.getlist("team")
        if any("\x00" in slug for slug in slugs):
            raise exceptions.ValidationError({"team": ["Contains a null character."]})
        if slugs:
            teams = [privacy.team_for(viewer, team_slug) for team_slug in dict.fromkeys(slugs)]
            taking_part = set(survey_round.teams.values_list("pk", flat=True))
            if any(team.pk not in taking_part for team in teams):
                raise exceptions.NotFound("A team does not take part in this round.")
        else:
            privacy.require_org_viewer(viewer)
            teams = list(survey_round.teams.order_by("name"))
        export_request = ExportRequest.for_user(survey_round, teams, request.user)
        reason = exporter.refusal(export_request)
        if reason:
            raise Refused(reason)
        return audited_download(request, exporter, export_request)


# --- anything else under /api/ ------------------------------------------------------------


@extend_schema(exclude=True)
class NotFoundView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.NotFound("No such API endpoint. See /api/docs/.")

    get = post = put = patch = delete = http_method_not_allowed
