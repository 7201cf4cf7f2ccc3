"""Requests per token in the shared cache (REDIS_URL: one count across workers)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken
from assessment.addresses import client_address


class TokenRateThrottle(SimpleRateThrottle):
    """One budget per token; a browser session per user; no credentials per address."""

    def __init__(self) -> None:
        pass  # the scope depends on the request: set in allow_request

    def get_rate(self) -> str:
        # Read at each request, not at import, so settings overrides apply.
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def allow_request(self, request, view):
        self.scope = "api" if request.user.is_authenticated else "api-anonymous"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{client_address(request)}"
        return f"api-throttle-{ident}"
