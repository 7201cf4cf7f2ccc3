from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.safestring import mark_safe

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


def profile_context(request: HttpRequest) -> dict:
    """Each registered section, rendered by its own template with its own context.

    A section's template sees exactly the dict its ``context`` returns (plus the
    request, for CSRF tokens), as ``{% include %}`` cannot take a dict.
    """
    return {
        "sections": [
            {
                "section": section,
                # Rendered by a template (autoescaped), like the dashboards' bodies.
                "body": mark_safe(
                    render_to_string(section.template_name, section.context(request), request)
                ),
            }
            for section in profile_sections.sections()
        ]
    }


@login_required
def profile(request):
    return render(request, "assessment/profile.html", profile_context(request))
