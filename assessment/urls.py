from django.contrib import admin
from django.urls import include, path

from assessment import views
from assessment.throttle import ThrottledAdminAuthenticationForm
from sso.views import LogoutView

# /admin/login/ counts failures in the same counters as /accounts/login/.
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    # Ends the provider's session too after a single sign-on login (RP-initiated logout).
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("sso/", include("sso.urls")),
    path("surveys/", include("surveys.urls")),
    path("notifications/", include("notifications.urls")),
    path("actions/", include("actions.urls")),
    path("reports/", include("reports.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]

# Under /api/ Django's own errors (a bad Host header, a 500) are problem documents.
handler400 = "api.problems.handler400"
handler403 = "api.problems.handler403"
handler404 = "api.problems.handler404"
handler500 = "api.problems.handler500"
