"""seed_demo refuses to run with debug off or before the questionnaire, and writes nothing."""

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Team

pytestmark = pytest.mark.django_db


def test_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DJANGO_DEBUG off"):
        call_command("seed_demo")
    assert not Team.objects.exists()


def test_demo_needs_the_questionnaire_first(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="load_questionnaire"):
        call_command("seed_demo")
    assert not Team.objects.exists()
