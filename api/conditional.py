"""ETag and conditional GET for results: If-None-Match with the current tag -> 304.

The tag is a digest of the JSON body this viewer would get, so it changes when
(and only when) what they may see changes: a new release, a recomputed score,
a changed k. It says nothing the body does not say to the same person.
"""

import hashlib
import json

from django.utils.cache import patch_vary_headers
from rest_framework import status
from rest_framework.response import Response


def etag_of(data) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:40] + '"'


def _matches(header: str, tag: str) -> bool:
    candidates = [value.strip() for value in header.split(",")]
    weak = "W/" + tag
    return "*" in candidates or tag in candidates or weak in candidates


def conditional(request, data) -> Response:
    """200 with an ETag, or 304 without a body when the client's copy is current."""
    tag = etag_of(data)
    if _matches(request.headers.get("If-None-Match", ""), tag):
        response = Response(status=status.HTTP_304_NOT_MODIFIED)
    else:
        response = Response(data)
    response["ETag"] = tag
    # Private: the body depends on who asks. Revalidate every time: a round may close.
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Authorization", "Cookie"])
    return response
