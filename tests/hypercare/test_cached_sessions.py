"""With CACHE_URL set, sessions live in Redis as well as the database (cached_db): a page reads
no session row, and a logout in one worker ends the session for every other."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import require_redis
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

REDIS_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/11",
        "KEY_PREFIX": "hc-test-sessions",
    },
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"},
}


@pytest.fixture
def redis_sessions(settings):
    require_redis()
    settings.CACHES = REDIS_CACHE
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    caches["default"].clear()
    yield
    caches["default"].clear()


def test_a_signed_in_page_reads_the_session_from_redis(redis_sessions, desk, programme):
    browser = Client()
    assert browser.login(username=desk.user.username, password=PASSWORD)
    home = f"/p/{programme.slug}/"
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(home)
    assert page.status_code == 200
    assert desk.user.get_full_name() in page.content.decode()
    assert not [q for q in queries if "django_session" in q["sql"]]
    key = browser.cookies["sessionid"].value
    assert caches["default"].get(f"django.contrib.sessions.cached_db{key}") is not None


def test_a_logout_ends_the_session_in_every_worker(redis_sessions, desk, programme):
    browser = Client()
    assert browser.login(username=desk.user.username, password=PASSWORD)
    cookie = browser.cookies["sessionid"].value
    other_worker = Client()
    other_worker.cookies["sessionid"] = cookie
    home = f"/p/{programme.slug}/"
    assert other_worker.get(home).status_code == 200
    assert browser.post("/accounts/logout/").status_code in (200, 302)
    answer = other_worker.get(home)
    assert answer.status_code == 302 and "/login" in answer["Location"]


def test_the_database_still_holds_the_session_if_redis_loses_it(redis_sessions, desk, programme):
    browser = Client()
    assert browser.login(username=desk.user.username, password=PASSWORD)
    caches["default"].clear()  # Redis restarted without persistence
    assert browser.get(f"/p/{programme.slug}/").status_code == 200
