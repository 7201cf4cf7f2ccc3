"""The API tokens section of the profile page (assessment.profile)."""

from django.http import HttpRequest

from api.forms import TokenForm
from api.tokens import tokens_of
from assessment.profile import ProfileSection, register

# The text of a token just created: kept in the server-side session until the
# profile page shows it once, then dropped.
NEW_TOKEN_SESSION_KEY = "api-new-token"


def section_context(request: HttpRequest) -> dict:
    return {
        "tokens": tokens_of(request.user),
        "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
        "form": TokenForm(),
    }


def register_section() -> None:
    register(
        ProfileSection(
            key="api-tokens",
            title="API tokens",
            template_name="api/_tokens.html",
            context=section_context,
            order=50,
        )
    )
