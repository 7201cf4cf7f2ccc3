from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def my_surveys(request):
    return render(request, "surveys/my_surveys.html", {"rows": []})
