"""Bearer tokens for scripts; the browser uses its session (DRF's SessionAuthentication)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from api.tokens import api_token_find, api_token_touch


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer shp_...``: a personal access token from the profile page."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as 'Authorization: Bearer TOKEN'."
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not valid.") from None
        token = api_token_find(raw)
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        if not token.is_active():
            raise exceptions.AuthenticationFailed(
                "The token has expired; create a new one on your profile page."
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's account is disabled.")
        api_token_touch(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token from your profile page (shp_...).",
        }
