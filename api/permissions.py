"""Who may call what. The privacy policy (surveys.privacy) decides every figure;
these only add the API's own rules: token scope, and writes for facilitators."""

from rest_framework import permissions

from api.models import ApiToken
from surveys.access import is_facilitator


class TokenScope(permissions.BasePermission):
    """A read-only token may only read (GET, HEAD, OPTIONS)."""

    message = "This token is read-only; create a read-and-write token to change anything."

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return not (isinstance(request.auth, ApiToken) and request.auth.is_read_only)


class FacilitatorWrites(permissions.BasePermission):
    """Writes are for facilitators (the same rule as the facilitator pages)."""

    message = "Only facilitators may change rounds, teams and memberships."

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or is_facilitator(request.user)
