"""Six weeks of the demo programme's telemetry, baselines and snapshot history.

Three weeks of pilot then go-live (on the programme's go-live date): a spike in exceptions,
integration failures, governor-limit alerts and lock contentions that burns down; Finance users
drifting away from the system (the adoption dip); quote generation stuck far above its legacy
baseline (the slow process). Snapshots are rebuilt from whatever tickets the tickets demo made.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from metrics import services
from metrics.models import Baseline, DataPoint, MetricSeries, PointSource
from metrics.snapshots import local_today

DAYS = 42
# business unit: (weekly active users after go-live, DAU/WAU ratio)
UNITS = {"Sales": (380, 0.62), "Service": (290, 0.58), "Finance": (110, 0.55)}
# geography: share of users, how much more (or less) often they log in than average
GEOGRAPHIES = {
    "UK": (0.45, 1.05),
    "Ireland": (0.1, 1.1),
    "Germany": (0.2, 1.0),
    "Italy": (0.1, 0.85),
    "US": (0.15, 0.9),
}
# object: legacy records created per day (7-day average), level reached by now
OBJECTS = {
    "Account": (120, 0.92),
    "Case": (300, 1.02),
    "Lead": (80, 0.55),
    "Opportunity": (60, 0.85),
    "Quote": (40, 0.9),
}
# process: legacy minutes, excess over it at go-live, excess by now
PROCESSES = {"lead_conversion": (2880, 0.35, 0.08), "case_resolution": (240, 0.6, 0.12), "quote_generation": (45, 0.9, 0.72)}  # fmt: skip


def seed(*, programme, people, today: date) -> None:
    rng = random.Random(f"metrics-demo-{programme.slug}")
    at = timezone.now()
    go_live = programme.go_live_date
    series = {s.slug: s for s in MetricSeries.objects.filter(programme=programme)}
    points: list[DataPoint] = []

    def add(slug: str, day: date, value: float, **dims: str) -> None:
        points.append(
            DataPoint(
                series=series[slug],
                date=day,
                value=round(max(value, 0), 2),
                source=PointSource.DEMO,
                updated_at=at,
                **dims,
            )
        )

    for offset in range(DAYS):
        day = today - timedelta(days=DAYS - 1 - offset)
        live = (day - go_live).days  # days since go-live; negative during the pilot
        weekend = day.weekday() >= 5
        pilot = live < 0
        settle = max(0.0, 1 - live / 21) if not pilot else 0.0  # 1 at go-live, 0 three weeks later
        noise = lambda spread=0.08: 1 + rng.uniform(-spread, spread)  # noqa: E731

        # Adoption: weekly and daily active users per unit, per geography and in total.
        dau_total = wau_total = 0.0
        for unit, (wau, ratio) in UNITS.items():
            users = wau * (0.1 if pilot else min(1.0, 0.75 + live / 40))
            if unit == "Finance" and live >= 7:
                ratio = max(0.15, ratio - 0.05 * (live - 6))  # the adoption dip: Finance drifts away
            daily = users * ratio * (0.25 if weekend else 1.15) * noise()
            add("weekly_active_users", day, users, business_unit=unit)
            add("daily_active_users", day, daily, business_unit=unit)
            dau_total += daily
            wau_total += users
        add("weekly_active_users", day, wau_total)
        add("daily_active_users", day, dau_total)
        for geography, (share, keenness) in GEOGRAPHIES.items():
            add("weekly_active_users", day, wau_total * share, geography=geography)
            add("daily_active_users", day, dau_total * share * keenness, geography=geography)

        # Records created per object, against the legacy daily average (weekdays busy, weekends quiet).
        for obj, (baseline, level) in OBJECTS.items():
            reached = 0.05 if pilot else min(level, 0.5 + (level - 0.5) * live / 14)
            add("records_created", day, baseline * reached * (0.25 if weekend else 1.3) * noise(), object=obj)

        # Process cycle times: slow at go-live; quote generation stays slow (a training gap).
        if not pilot:
            for process, (baseline, start, now) in PROCESSES.items():
                excess = now + (start - now) * settle
                add("cycle_time_minutes", day, baseline * (1 + excess) * noise(0.05), object=process)

        # Technical health: the go-live spike burns down.
        transactions = (4_000 if pilot else 82_000) * (0.2 if weekend else 1) * noise()
        add("transactions", day, transactions)
        exception_rate = 0.0004 if pilot else 0.0004 + 0.008 * settle**2
        add("exceptions", day, round(transactions * exception_rate * noise(0.2)))
        calls = (800 if pilot else 24_000) * (0.3 if weekend else 1) * noise()
        failure_rate = 0.001 if pilot else 0.0015 + 0.03 * settle**2
        failures = round(calls * failure_rate)
        add("integration_success", day, calls - failures)
        add("integration_failure", day, failures)
        add("governor_limit_alerts", day, 0 if pilot or live > 16 else round(7 * settle * noise(0.3)))
        add("lock_contentions", day, 0 if pilot or live > 11 else round(12 * settle**1.5 * noise(0.3)))
        add("api_latency_ms", day, (210 + 260 * settle) * noise(0.1))

    DataPoint.objects.bulk_create(points, batch_size=2_000)

    lead = people["lead"].user
    Baseline.objects.bulk_create(
        [
            Baseline(series=series["records_created"], object=obj, value=baseline, note="Legacy CRM, 2025 average",
                     updated_by=lead, updated_at=at)
            for obj, (baseline, _) in OBJECTS.items()
        ]
        + [
            Baseline(series=series["cycle_time_minutes"], object=process, value=baseline,
                     note="Legacy process timing study", updated_by=lead, updated_at=at)
            for process, (baseline, _, _) in PROCESSES.items()
        ]
    )  # fmt: skip

    last = min(today, local_today(programme, at)) - timedelta(days=1)
    services.snapshots_backfill(programme=programme, start=today - timedelta(days=DAYS - 1), end=last, at=at)
