"""mozilla-django-oidc's backend, with Shipshape's rules.

The library does the authorization code flow with PKCE, checks the state (in
the callback view) and the nonce, and verifies the ID token's signature with
the provider's keys. On top of it this backend:

* reads the endpoints from the discovery document (sso.provider), only when
  someone logs in with SSO;
* also checks the ID token's audience and issuer (the library does not);
* turns every failure into an SsoFailure that the callback view shows and audits;
* finds or creates the account by verified e-mail only, and syncs its roles
  (sso.services).
"""

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso.failures import SsoFailure
from sso.provider import Provider, ProviderUnreachable, provider
from sso.services import sso_user_sync


class OIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # Unlike the library's, reads nothing from the provider: this backend is
        # built for every password login too.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        # Only the SSO callback passes code_verifier; password logins end here.
        if request is None or "code_verifier" not in kwargs or not settings.SHIPSHAPE_OIDC_ENABLED:
            return None
        try:
            self.provider = provider()
        except ProviderUnreachable as error:
            raise SsoFailure("provider_unreachable", error=str(error)[:300]) from error
        self._use_endpoints(self.provider)
        try:
            return super().authenticate(request, **kwargs)
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else None
            reason = "token_refused" if status in (400, 401, 403) else "provider_unreachable"
            raise SsoFailure(reason, status=status) from error
        except requests.RequestException as error:
            raise SsoFailure("provider_unreachable", error=type(error).__name__) from error
        except (SuspiciousOperation, jwt.PyJWTError) as error:
            raise SsoFailure("invalid_token", error=str(error)[:300]) from error

    def _use_endpoints(self, endpoints: Provider) -> None:
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = endpoints.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = endpoints.jwks_uri

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token (a signed userinfo answer has no nonce)
            audience = payload.get("aud")
            audiences = [audience] if isinstance(audience, str) else list(audience or [])
            if self.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("The ID token is for another client.")
            if payload.get("iss") != self.provider.issuer:
                raise SuspiciousOperation("The ID token is from another issuer.")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        # The ID token's claims, then userinfo's over them: Entra ID puts `groups`
        # and `roles` in the ID token only.
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        user, details = sso_user_sync(claims=claims)
        self.request.sso_details = details
        return user
