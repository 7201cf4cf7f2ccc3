"""Fixtures for the answering tests: an open round with a member (tests/surveys/survey.py)."""

import pytest

from tests.surveys.survey import Survey


@pytest.fixture
def survey(db):
    return Survey()


@pytest.fixture
def member_client(client, survey):
    client.force_login(survey.member)
    return client
