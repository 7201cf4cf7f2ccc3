"""Facilitator pages: rounds, teams, memberships, member import (mounted at /surveys/manage/)."""

from django.urls import path

from surveys import manage_views, questionnaire_views

urlpatterns = [
    path("rounds/", manage_views.round_list, name="round_list"),
    path("rounds/new/", manage_views.round_create, name="round_create"),
    path("rounds/<slug:round_slug>/", manage_views.round_detail, name="round_detail"),
    path("rounds/<slug:round_slug>/extend/", manage_views.round_extend, name="round_extend"),
    path("rounds/<slug:round_slug>/close/", manage_views.round_close, name="round_close"),
    path("questionnaires/", questionnaire_views.questionnaire_list, name="questionnaire_list"),
    path(
        "questionnaires/upload/",
        questionnaire_views.questionnaire_upload_view,
        name="questionnaire_upload",
    ),
    path(
        "questionnaires/<slug:slug>/v<int:version>/",
        questionnaire_views.questionnaire_detail,
        name="questionnaire_detail",
    ),
    path(
        "questionnaires/<slug:slug>/v<int:version>/publish/",
        questionnaire_views.questionnaire_publish_view,
        name="questionnaire_publish",
    ),
    path("teams/", manage_views.team_list, name="team_list"),
    # Before teams/<slug>/ so that "import" is never read as a team slug.
    path("teams/import/", manage_views.members_import, name="members_import"),
    path("teams/<slug:team_slug>/", manage_views.team_detail, name="team_detail"),
    path(
        "teams/<slug:team_slug>/members/<int:user_id>/",
        manage_views.membership_update,
        name="membership_update",
    ),
]
