"""The Redis cache backend (REDIS_URL): Django's, with one redis-py client kept per pool.

Uses the Redis server the test machine runs (127.0.0.1:6379, as CI does),
database 14, under a key prefix of its own per test; keys expire within a minute.
"""

import threading
import uuid

import pytest
from django.core.cache.backends.redis import RedisCache

from assessment.cache import PooledClientRedisCache
from tests.processes import setting_in_new_process

REDIS = "redis://127.0.0.1:6379/14"


@pytest.fixture
def cache():
    backend = PooledClientRedisCache(
        REDIS, {"KEY_PREFIX": f"shipshape-test-cache-{uuid.uuid4().hex}", "TIMEOUT": 60}
    )
    yield backend
    # Not clear(): that empties the whole Redis database, other tests' keys too.
    backend.delete_many(["menu", "token", "count", "x"])
    backend.close()


def test_the_cache_works_as_djangos_does(cache):
    assert cache.get("missing", "default") == "default"
    cache.set("menu", {"teams": ("Atlas",)})
    assert cache.get("menu") == {"teams": ("Atlas",)}
    assert cache.add("menu", "other") is False
    assert cache.add("token", "abc") is True
    assert cache.get_many(["menu", "token", "missing"]) == {
        "menu": {"teams": ("Atlas",)},
        "token": "abc",
    }
    cache.set("count", 1)
    assert cache.incr("count") == 2
    cache.delete("token")
    assert cache.get("token") is None


def test_one_client_serves_every_call_and_thread(cache):
    clients = {id(cache._cache.get_client()) for _ in range(5)}
    clients.add(id(cache._cache.get_client(write=True)))
    seen = []

    def read():
        cache.get("x")
        seen.append(id(cache._cache.get_client()))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(clients | set(seen)) == 1
    # Django's own backend builds a new client object on every call.
    stock = RedisCache(REDIS, {})
    assert stock._cache.get_client() is not stock._cache.get_client()


def test_redis_url_selects_this_backend():
    backend = setting_in_new_process("settings.CACHES['default']['BACKEND']", REDIS_URL=REDIS)
    assert backend == "assessment.cache.PooledClientRedisCache"
