"""Dashboard cache: results are keyed by the version of each round they read.

When a round's scores change, its version changes (after the transaction
commits), so every cached dashboard that read that round is simply never looked
up again; nothing has to find and delete entries. Works with the local-memory
cache and with Redis (REDIS_URL) alike.
"""

import hashlib
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction

TIMEOUT = 60 * 60 * 24


def _version_key(round_id: int) -> str:
    return f"scores-version:{round_id}"


def bump_round_version(round_id: int) -> None:
    """Mark a round's dashboards stale once the current transaction commits."""
    transaction.on_commit(lambda: cache.set(_version_key(round_id), uuid.uuid4().hex, None))


DONE_ACTIONS_VERSION = "done-actions-version"


def bump_done_actions_version() -> None:
    """Mark every cached figure made from done improvement actions stale, once
    the current transaction commits (an action saved as done, changed from done,
    or any action deleted; reports.receivers)."""
    transaction.on_commit(lambda: cache.set(DONE_ACTIONS_VERSION, uuid.uuid4().hex, None))


def cached(
    name: str,
    round_ids: Iterable[int],
    params: Iterable[Any],
    compute: Callable[[], Any],
    *,
    version_keys: Iterable[str] = (),
):
    """compute() cached under a key made of name, params and the rounds' versions.

    ``version_keys``: further version keys the value depends on (DONE_ACTIONS_VERSION).
    """
    round_ids = sorted(set(round_ids))
    keys = [_version_key(pk) for pk in round_ids] + sorted(set(version_keys))
    versions = cache.get_many(keys)
    missing = {key: uuid.uuid4().hex for key in keys if key not in versions}
    if missing:
        # add() so that two first visitors agree on one version.
        for key, value in missing.items():
            cache.add(key, value, None)
        versions.update(cache.get_many(list(missing)))
    fingerprint = "|".join(
        [name, *(str(p) for p in params), *(f"{k}={versions.get(k)}" for k in keys)]
    )
    key = "dashboard:" + hashlib.sha256(fingerprint.encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value
