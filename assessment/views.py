from django.shortcuts import redirect, render
from django.templatetags.static import static


def home(request):
    """Landing page: signed-in people go straight to their surveys."""
    if request.user.is_authenticated:
        return redirect("surveys:my_surveys")
    return render(request, "assessment/home.html")


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; point them at ours."""
    return redirect(static("assessment/favicon.svg"), permanent=True)
