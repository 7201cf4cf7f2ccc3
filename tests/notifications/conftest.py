import pytest

from tests.notifications.world import CREATED, build_world


@pytest.fixture
def world(db, time_machine):
    time_machine.move_to(CREATED, tick=False)
    return build_world()
