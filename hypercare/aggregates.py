"""Dashboard aggregates, computed at most once a minute per programme.

The triage board, the scorecard and the exit gate show figures over every ticket of a
programme (SLA compliance, open counts, intake trends). At a million tickets each such
aggregate reads hundreds of thousands of rows (0.3-0.7 s on the benchmark machine), which no
page view should pay. `cached_aggregate` keeps the value in Django's cache for
HYPERCARE_AGGREGATE_CACHE_SECONDS (60 by default; 0 turns it off, as in the test suite, where
pages must show what the test just wrote). The key holds the time bucket, so a figure is
never older than that, and nothing needs invalidating.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

T = TypeVar("T")
_MISSING = object()


def aggregate_seconds() -> int:
    return int(getattr(settings, "HYPERCARE_AGGREGATE_CACHE_SECONDS", 0))


def cached_aggregate(name: str, *key, at: datetime | None = None, compute: Callable[[], T]) -> T:
    """`compute()`, or its value from the same time bucket of the same `key` (see the module)."""
    seconds = aggregate_seconds()
    if seconds <= 0:
        return compute()
    instant = at or timezone.now()
    bucket = int(instant.timestamp() // seconds)
    cache_key = "hc:aggregate:" + ":".join([name, *(str(part) for part in key), str(bucket)])
    value = cache.get(cache_key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(cache_key, value, seconds * 2)
    return value
