from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import token_views, views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", title="Shipshape API"),
        name="docs",
    ),
    # The profile page's token section (HTML forms, session only).
    path("tokens/", token_views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
    path("v1/questionnaires/", views.QuestionnaireList.as_view(), name="questionnaire_list"),
    path(
        "v1/questionnaires/<int:pk>/",
        views.QuestionnaireDetail.as_view(),
        name="questionnaire_detail",
    ),
    path("v1/rounds/", views.RoundList.as_view(), name="round_list"),
    path("v1/rounds/<slug:slug>/", views.RoundDetail.as_view(), name="round_detail"),
    path("v1/rounds/<slug:slug>/extend/", views.RoundExtend.as_view(), name="round_extend"),
    path(
        "v1/rounds/<slug:slug>/participation/",
        views.Participation.as_view(),
        name="participation",
    ),
    path("v1/rounds/<slug:slug>/results/", views.OrgResults.as_view(), name="org_results"),
    path(
        "v1/rounds/<slug:slug>/results/<slug:team_slug>/",
        views.TeamResults.as_view(),
        name="team_results",
    ),
    path(
        "v1/rounds/<slug:slug>/actions/<slug:team_slug>/",
        views.TeamActions.as_view(),
        name="team_actions",
    ),
    path("v1/rounds/<slug:slug>/exports/<slug:fmt>/", views.Export.as_view(), name="export"),
    path("v1/dora-clusters/", views.ClusterCounts.as_view(), name="dora_clusters"),
    path("v1/teams/", views.TeamList.as_view(), name="team_list"),
    path(
        "v1/teams/<slug:slug>/memberships/",
        views.MembershipList.as_view(),
        name="membership_list",
    ),
    path(
        "v1/teams/<slug:slug>/memberships/<int:user_id>/",
        views.MembershipDetail.as_view(),
        name="membership_detail",
    ),
    path("v1/members/import/", views.MembersImport.as_view(), name="members_import"),
    re_path(r"^v1/", views.NotFoundView.as_view(), name="not_found"),
]
