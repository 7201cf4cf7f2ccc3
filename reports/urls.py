from django.urls import include, path

from reports import export_urls, views

app_name = "reports"

urlpatterns = [
    path("organisation/", views.org_dashboard, name="org_dashboard"),
    path("teams/<slug:team_slug>/", views.team_dashboard, name="team_dashboard"),
    path("exports/", include(export_urls.urlpatterns)),
]
