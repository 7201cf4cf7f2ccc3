from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/", views.preferences, name="preferences"),
    path("rounds/<slug:round_slug>/reminders/", views.round_reminders, name="round_reminders"),
    path("rounds/<slug:round_slug>/remind-now/", views.round_remind_now, name="round_remind_now"),
    path("teams/<slug:team_slug>/webhook/", views.team_webhook, name="team_webhook"),
]
