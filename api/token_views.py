"""The profile page's token forms: create (shown once) and revoke, then back to the profile."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from api.forms import TokenForm
from api.models import ApiToken
from api.profile import NEW_TOKEN_SESSION_KEY
from api.tokens import api_token_create, api_token_revoke


@login_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        problems = [m for errors in form.errors.values() for m in errors]
        messages.error(request, "The token was not created: " + " ".join(problems))
        return redirect("profile")
    try:
        token, raw = api_token_create(user=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, "The token was not created: " + " ".join(error.messages))
        return redirect("profile")
    request.session[NEW_TOKEN_SESSION_KEY] = {"name": token.name, "text": raw}
    messages.success(request, f"Created the token “{token.name}”. Copy it now: it is shown once.")
    return redirect("profile")


@login_required
@require_POST
def token_revoke(request, pk: int):
    # Someone else's token is 404, like one that does not exist.
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Revoked the token “{token.name}”. Scripts using it now get 401.")
    return redirect("profile")
