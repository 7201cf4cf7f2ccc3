from django.shortcuts import redirect, render


def home(request):
    """Landing page: signed-in people go straight to their surveys."""
    if request.user.is_authenticated:
        return redirect("surveys:my_surveys")
    return render(request, "assessment/home.html")
