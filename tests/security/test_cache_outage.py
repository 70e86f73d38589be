"""A Redis outage with CACHE_URL set (as production and docker-compose run): logged-in pages keep
working from the database, nobody is logged out, and nothing stale survives the outage."""

from __future__ import annotations

import os
import signal
import time

import pytest

from hypercare.cache import RETRY_AFTER_SECONDS, TolerantRedisCache
from hypercare.roles import Role
from tests.conftest import require_postgres, require_redis
from tests.factories import MembershipFactory, ProgrammeFactory, UserFactory
from tests.security.faults import (
    PrivateRedis,
    Stack,
    app_env,
    browser_session,
    database_url_of_the_test_run,
    free_port,
    http,
    page,
    shared_redis_url,
    wait_until,
)

pytestmark = pytest.mark.services


def logged_in(text: str) -> bool:
    return 'name="password"' not in text and "Log out" in text


def test_the_cache_misses_quickly_while_redis_hangs_and_forgets_what_it_could_not_write(tmp_path):
    require_redis()
    redis = PrivateRedis(tmp_path)
    redis.start()
    cache = TolerantRedisCache(redis.url, {"KEY_PREFIX": "outage"})
    try:
        cache.set("session", "logged in")
        assert cache.get("session") == "logged in"
        os.kill(redis.process.pid, signal.SIGSTOP)  # a hung server: its data stays
        started = time.monotonic()
        assert cache.get("session", "miss") == "miss"
        cache.delete("session")  # a logout during the outage: Redis never hears of it
        assert cache.get_many(["session"]) == {}
        assert time.monotonic() - started < 2  # short timeouts, then no more tries for a while
        os.kill(redis.process.pid, signal.SIGCONT)
        time.sleep(RETRY_AFTER_SECONDS + 0.1)
        # Back: the value the lost delete should have removed is not served again.
        assert cache.get("session") is None
        cache.set("session", "new")
        assert cache.get("session") == "new"
    finally:
        if redis.process and redis.process.poll() is None:
            os.kill(redis.process.pid, signal.SIGCONT)
        redis.stop()


def test_logged_in_pages_keep_working_through_a_redis_outage(transactional_db, tmp_path):
    require_postgres()
    require_redis()
    cache_redis = PrivateRedis(tmp_path)
    cache_redis.start()
    env = app_env(
        database_url=database_url_of_the_test_run(), broker_url=shared_redis_url(), var_dir=tmp_path
    )
    env["CACHE_URL"] = cache_redis.url
    env["HYPERCARE_AGGREGATE_CACHE_SECONDS"] = "60"
    programme = ProgrammeFactory(slug="cacheout", ticket_prefix="CO", status="active")
    user = UserFactory(username="cacheout-lead")
    # The web process hashes as production does (the suite's own hasher is a fast one).
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    user.password = PBKDF2PasswordHasher().encode("a-long-password-1", "outagesalt")
    user.save()
    MembershipFactory(programme=programme, user=user, roles=[Role.LEAD])
    processes = Stack(env, tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        processes.web(port)
        wait_until(lambda: http("GET", f"{base}/healthz")[0] == 200, timeout=60, what="web up")
        session = browser_session(base, "cacheout-lead", "a-long-password-1")
        pages = [f"{base}/p/cacheout/", f"{base}/p/cacheout/tickets/", f"{base}/p/cacheout/exit-gate/"]
        for url in pages:
            status, text, _ = page(session, url)
            assert status == 200 and logged_in(text), (url, status, text[:300])
        cache_redis.stop()
        for url in pages:
            status, text, seconds = page(session, url)
            assert status == 200 and logged_in(text), (url, status, text[:300])
            assert seconds < 5, (url, seconds)
        # A new login works too, with its session in the database only.
        second = browser_session(base, "cacheout-lead", "a-long-password-1")
        assert logged_in(page(second, pages[0])[1])
        cache_redis.start()
        time.sleep(RETRY_AFTER_SECONDS + 0.1)
        for opener in (session, second):
            status, text, _ = page(opener, pages[0])
            assert status == 200 and logged_in(text), (status, text[:300])
    except AssertionError as error:
        raise AssertionError(f"{error}\n{processes.logs()}") from None
    finally:
        processes.stop()
        cache_redis.stop()
