"""Fixtures of the metrics tests: a clock fixed inside the programme's life, and telemetry helpers."""

from datetime import UTC, date, datetime, timedelta

import pytest

from metrics import services

# 20 March 2026, 12:00 in London (GMT): the demo-like programme went live on 2 March.
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 20)


def day(offset: int) -> str:
    """An ISO date `offset` days from TODAY (negative: in the past)."""
    return (TODAY + timedelta(days=offset)).isoformat()


def point(series: str, offset: int, value, **dimensions) -> dict:
    item = {"series": series, "date": day(offset), "value": value}
    if dimensions:
        item["dimensions"] = dimensions
    return item


@pytest.fixture
def ingest(programme):
    """Store points through the service, as of NOW."""

    def store(*points, target=None):
        return services.telemetry_ingest(programme=target or programme, points=list(points), at=NOW)

    return store


@pytest.fixture
def frozen_now(monkeypatch):
    """Pin django.utils.timezone.now to NOW for views and API calls (which take the time themselves)."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW
