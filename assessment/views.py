from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.templatetags.static import static

from assessment import profile as profile_sections
from assessment.throttle import ThrottledPasswordResetForm


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
