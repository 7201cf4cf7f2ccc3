"""Export pages and downloads (mounted at /reports/exports/ in the ``reports`` namespace)."""

from django.urls import path

from reports import export_views

urlpatterns = [
    path("rounds/<slug:round_slug>/", export_views.export_round, name="export_round"),
    path(
        "rounds/<slug:round_slug>/teams/<slug:team_slug>/<str:fmt>/",
        export_views.export_team,
        name="export_team",
    ),
]
