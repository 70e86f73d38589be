"""The shared cache on Redis, tolerant of Redis going away.

With `CACHE_URL`, sessions are read through the cache (cached_db) and dashboards keep their
aggregates in it. Django's RedisCache raises when Redis is down, so an outage would turn every
logged-in page into a 500. `TolerantRedisCache` answers a cache miss instead (reads) or does
nothing (writes), quickly (short socket timeouts): sessions are then read from and written to
the database, aggregates are recomputed, and nobody is logged out.

One thing cannot simply be skipped: a write or delete that failed during the outage leaves
Redis holding an older value (a session that was since logged out, say). So a process that
failed to write remembers it, and the first time Redis answers again it empties the cache
database before using it: everything in it can be rebuilt from PostgreSQL.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# How long a failed call keeps the process from trying Redis again (each try costs a timeout).
RETRY_AFTER_SECONDS = 2.0


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, params)
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._stale = False  # a write or delete was lost: flush before trusting Redis again

    def _call(self, operation: str, default, method, *args, writes: bool = False, **kwargs):
        if time.monotonic() < self._down_until:
            self._stale |= writes
            return default
        try:
            if self._stale:
                self._flush_after_outage()
            return method(*args, **kwargs)
        except UNAVAILABLE as error:
            with self._lock:
                if time.monotonic() >= self._down_until:
                    log.warning("Cache unavailable (%s on %s): serving without it.", error, operation)
                self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
                self._stale |= writes
            return default

    def _flush_after_outage(self) -> None:
        super().clear()
        self._stale = False
        log.warning("Cache back after an outage in which writes were lost: emptied it.")

    # Reads: a miss.
    def get(self, key, default=None, version=None):
        return self._call("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, super().has_key, key, version)

    # Writes: nothing stored (and the cache is emptied when Redis is back).
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, super().set, key, value, timeout, version, writes=True)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, super().add, key, value, timeout, version, writes=True)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), super().set_many, data, timeout, version, writes=True)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, super().touch, key, timeout, version, writes=True)

    def delete(self, key, version=None):
        return self._call("delete", False, super().delete, key, version, writes=True)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, super().delete_many, keys, version, writes=True)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", None, super().incr, key, delta, version, writes=True)

    def clear(self):
        return self._call("clear", None, super().clear, writes=True)
