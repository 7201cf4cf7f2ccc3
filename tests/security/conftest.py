"""Fixtures for the security tests: the world of tests/security/world.py and a fingerprint."""

from collections.abc import Callable

import pytest

from tests.security.world import World, build_world, db_fingerprint


@pytest.fixture
def world(db) -> World:
    """Payments (A) and Checkout (B), every role, two open rounds: see build_world()."""
    return build_world()


@pytest.fixture
def fingerprint() -> Callable[[], dict[str, tuple[int, str]]]:
    return db_fingerprint
