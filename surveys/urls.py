from django.urls import include, path

from surveys import manage_urls, views

app_name = "surveys"

urlpatterns = [
    path("", views.my_surveys, name="my_surveys"),
    path("manage/", include(manage_urls.urlpatterns)),
    path("<slug:round_slug>/<slug:team_slug>/", views.survey_start, name="start"),
    path("<slug:round_slug>/<slug:team_slug>/page/<int:page>/", views.survey_page, name="page"),
    path("<slug:round_slug>/<slug:team_slug>/autosave/", views.survey_autosave, name="autosave"),
    path("<slug:round_slug>/<slug:team_slug>/review/", views.survey_review, name="review"),
    path("<slug:round_slug>/<slug:team_slug>/done/", views.survey_done, name="done"),
]
