from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.templatetags.static import static

from assessment import profile as profile_sections
from assessment.throttle import ThrottledAuthenticationForm, ThrottledPasswordResetForm

# /accounts/login/?break-glass shows the password form while password login is off.
BREAK_GLASS = "break-glass"


def home(request):
    """Landing page: signed-in people go straight to their surveys."""
    if request.user.is_authenticated:
        return redirect("surveys:my_surveys")
    return render(request, "assessment/home.html")


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; point them at ours."""
    return redirect(static("assessment/favicon.svg"), permanent=True)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view with the rate limits of ThrottledPasswordResetForm."""

    form_class = ThrottledPasswordResetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


def profile_context(request) -> dict:
    """The profile page: the person, and each registered section with its own context."""
    return {
        "sections": [
            {"section": section, "context": section.context(request)}
            for section in profile_sections.sections()
        ]
    }


@login_required
def profile(request):
    return render(request, "assessment/profile.html", profile_context(request))


def login_options(request) -> dict:
    """What the login page offers: single sign-on, the password form, or both."""
    break_glass = not settings.SHIPSHAPE_PASSWORD_LOGIN and BREAK_GLASS in request.GET
    return {
        "sso_name": (
            settings.SHIPSHAPE_OIDC_PROVIDER_NAME if settings.SHIPSHAPE_OIDC_ENABLED else ""
        ),
        "password_login": settings.SHIPSHAPE_PASSWORD_LOGIN or break_glass,
        "break_glass": break_glass,
    }


class LoginView(auth_views.LoginView):
    """Django's login with the throttled form, and the single sign-on button when configured.

    With SHIPSHAPE_PASSWORD_LOGIN=false the password form is hidden unless the URL
    has ?break-glass, and even then only a superuser gets in (ThrottledLoginMixin).
    """

    authentication_form = ThrottledAuthenticationForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **login_options(self.request)}
