"""Django's Redis cache backend, keeping one redis-py client per connection pool.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` object around the
pool on every cache call. That object is only a handle (the connections live
in the pool) but building it costs about 0.3 ms of CPU, and a signed-in page
makes three cache calls (session, menu, questionnaire token): about 1 ms a
request (docs/performance.md, "Answering: issue 12"). redis-py's client is
thread-safe for plain commands, so one per pool serves every thread.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class PooledClientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with a client kept per pool."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledClientRedisCacheClient
