"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error of the API has the same shape: ``type``, ``title``, ``status``,
``detail``, and for invalid input ``errors`` (field -> messages, the same
messages as the forms of the pages). Django's own ValidationError (raised by
surveys.services) and Http404/PermissionDenied are turned into problems too,
so bad input is a 400, never a 500.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://shipshape.invalid/problems/"

TITLES = {
    400: "Invalid request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    415: "Unsupported media type",
    429: "Too many requests",
}
TYPES = {
    400: "invalid-request",
    401: "authentication-required",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


class Refused(exceptions.PermissionDenied):
    """403 with a reason from the privacy policy (e.g. results appear at the close)."""


def problem(status_code: int, detail: str, **extra) -> Response:
    body = {
        "type": TYPE_BASE + TYPES.get(status_code, "error"),
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        **extra,
    }
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _messages(detail) -> dict[str, list[str]] | list[str] | str:
    """DRF's error detail as plain strings."""
    if isinstance(detail, dict):
        return {str(key): _flat(value) for key, value in detail.items()}
    return _flat(detail)


def _flat(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, items in value.items() for message in _flat(items)]
    return [str(value)]


def _from_django(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(
            {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in error.message_dict.items()
            }
        )
    return exceptions.ValidationError({"non_field_errors": error.messages})


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = _from_django(exc)
    elif isinstance(exc, Http404):
        # One text for every Http404: "No Team matches..." next to "No such team."
        # would tell another team's slug from a missing one.
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real server error: Django's 500 handling and logging
    set_rollback()
    code = exc.status_code
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = _messages(exc.detail)
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors}
        first = next(iter(errors.values()), ["Invalid input."])
        response = problem(status.HTTP_400_BAD_REQUEST, first[0], errors=errors)
    else:
        response = problem(code, str(exc.detail))
    for name, value in headers.items():
        response[name] = value
    return response


# --- Django's own error pages, for requests under /api/ ------------------------------------
# A request can fail before any API view runs (a forged Host header is a 400 from
# Django itself). Under /api/ those answers are problem documents too; elsewhere
# they are the site's usual error pages. Wired in assessment/urls.py.


def _django_handler(status_code: int, default_view, detail: str):
    def handler(request, exception=None, **kwargs):
        if request.path.startswith("/api/"):
            body = {
                "type": TYPE_BASE + TYPES.get(status_code, "error"),
                "title": TITLES.get(status_code, "Server error"),
                "status": status_code,
                "detail": detail,
            }
            return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)
        if exception is None and status_code == 500:
            return default_view(request, **kwargs)
        return default_view(request, exception, **kwargs)

    return handler


handler400 = _django_handler(400, defaults.bad_request, "The request could not be read.")
handler403 = _django_handler(403, defaults.permission_denied, "You may not do this.")
handler404 = _django_handler(404, defaults.page_not_found, "Not found.")
handler500 = _django_handler(500, defaults.server_error, "Something went wrong on our side.")
