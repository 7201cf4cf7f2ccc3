"""The identity provider's endpoints, read from its OpenID Connect discovery document.

SHIPSHAPE_OIDC_DISCOVERY_URL may be the issuer (https://id.example.com/realms/acme)
or the document itself (.../.well-known/openid-configuration). The document is
fetched when someone first logs in, not at start-up, so a provider that is down
never stops Shipshape from starting; it is cached for an hour.
"""

from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.cache import cache

WELL_KNOWN = "/.well-known/openid-configuration"
CACHE_SECONDS = 60 * 60


class ProviderUnreachable(Exception):
    """The discovery document could not be fetched or is not one."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str = ""


def discovery_url() -> str:
    url = settings.SHIPSHAPE_OIDC_DISCOVERY_URL
    return url if url.endswith(WELL_KNOWN) else url.rstrip("/") + WELL_KNOWN


def provider() -> Provider:
    """The provider's endpoints; raises ProviderUnreachable."""
    url = discovery_url()
    key = f"sso:discovery:{url}"
    document = cache.get(key)
    if document is None:
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise ProviderUnreachable(f"{url}: {error}") from error
        cache.set(key, document, CACHE_SECONDS)
    try:
        return Provider(
            issuer=document["issuer"],
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            userinfo_endpoint=document["userinfo_endpoint"],
            jwks_uri=document["jwks_uri"],
            end_session_endpoint=document.get("end_session_endpoint", ""),
        )
    except (KeyError, TypeError) as error:
        cache.delete(key)
        raise ProviderUnreachable(f"{url}: not a discovery document ({error})") from error
