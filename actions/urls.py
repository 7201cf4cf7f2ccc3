from django.urls import path

from actions import views

app_name = "actions"

urlpatterns = [
    path("teams/<slug:team_slug>/", views.action_list, name="list"),
    path("teams/<slug:team_slug>/new/", views.action_create, name="create"),
    path("teams/<slug:team_slug>/<int:pk>/edit/", views.action_edit, name="edit"),
    path("teams/<slug:team_slug>/<int:pk>/status/", views.action_status, name="status"),
]
