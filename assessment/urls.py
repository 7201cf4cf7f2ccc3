from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from assessment import views
from assessment.throttle import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm

# /admin/login/ counts failures in the same counters as /accounts/login/.
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("surveys/", include("surveys.urls")),
    path("actions/", include("actions.urls")),
    path("reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
]
