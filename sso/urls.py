from django.urls import path

from sso import views

app_name = "sso"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("callback/", views.CallbackView.as_view(), name="callback"),
]
