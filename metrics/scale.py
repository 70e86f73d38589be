"""Telemetry for `manage.py seed_scale`: realistic daily points for every standard series, by COPY."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from hypercare.bulk import load_rows
from hypercare.models import Programme
from metrics.models import DataPoint, MetricSeries, PointSource
from metrics.services import series_create_standard

UNITS = ["Sales", "Service", "Finance", "Operations", "Marketing", "Field Service"]
GEOGRAPHIES = ["UK", "Germany", "France", "US", "India", "Brazil"]
OBJECTS = ["Account", "Case", "Lead", "Opportunity"]
PROCESSES = ["lead conversion", "case resolution", "quote generation"]
# Typical level of each standard series for a 10,000-user go-live (a day's total).
LEVELS = {
    "daily_active_users": 7_000,
    "weekly_active_users": 9_000,
    "records_created": 40_000,
    "cycle_time_minutes": 90,
    "transactions": 2_000_000,
    "exceptions": 400,
    "governor_limit_alerts": 30,
    "lock_contentions": 60,
    "integration_success": 150_000,
    "integration_failure": 1_500,
    "api_latency_ms": 350,
}


def _breakdown(slug: str) -> list[tuple[str, str, str]]:
    """The dimensions a pipeline sends for a series besides the day's total."""
    if slug == "records_created":
        return [("", "", obj) for obj in OBJECTS]
    if slug == "cycle_time_minutes":
        return [("", "", process) for process in PROCESSES]
    if slug in ("daily_active_users", "exceptions", "transactions"):
        return [(unit, geography, "") for unit in UNITS for geography in GEOGRAPHIES]
    return [(unit, "", "") for unit in UNITS]


def seed_telemetry(*, programme: Programme, days: int, today: date) -> int:
    """Load `days` days of points ending yesterday: totals plus one breakdown per series.

    Adoption climbs and errors fall as the weeks pass, with day-to-day noise. Existing points of
    the programme are left alone (days already loaded are skipped). Returns the points written.
    """
    series_create_standard(programme=programme)
    series = dict(
        MetricSeries.objects.filter(programme=programme, is_standard=True).values_list("slug", "pk")
    )
    loaded = set(
        DataPoint.objects.filter(series__programme=programme).values_list("date", flat=True).distinct()
    )
    now = timezone.now()
    rng = random.Random(programme.pk)
    rows = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        if day in loaded:
            continue
        progress = (days - back) / max(days, 1)
        for slug, series_id in series.items():
            level = LEVELS.get(slug, 100)
            if slug in ("daily_active_users", "weekly_active_users", "records_created", "transactions"):
                level *= 0.5 + 0.5 * progress
            elif slug in ("exceptions", "governor_limit_alerts", "lock_contentions", "integration_failure"):
                level *= 2.0 - 1.5 * progress
            total = level * rng.uniform(0.9, 1.1)
            rows.append((series_id, day, "", "", "", round(total, 2), PointSource.DEMO, now))
            parts = _breakdown(slug)
            for unit, geography, obj in parts:
                share = total / len(parts) if slug not in ("cycle_time_minutes", "api_latency_ms") else total
                rows.append(
                    (
                        series_id,
                        day,
                        unit,
                        geography,
                        obj,
                        round(share * rng.uniform(0.7, 1.3), 2),
                        PointSource.DEMO,
                        now,
                    )
                )
    with transaction.atomic():
        return load_rows(
            DataPoint,
            ["series", "date", "business_unit", "geography", "object", "value", "source", "updated_at"],
            rows,
        )
