"""Fixtures for the privacy attacks: the organisation of tests/privacy/organisation.py."""

import pytest

from tests.privacy.organisation import Org, build_org


@pytest.fixture
def org(db) -> Org:
    return build_org()
