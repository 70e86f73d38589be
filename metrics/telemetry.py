"""Telemetry: the standard series, validation of incoming points, and SQL roll-ups over a window.

A point's blank dimension means "all": the total of a day is the point sent with every dimension
blank when there is one, otherwise the sum (counts and levels) or the mean (durations) of the
points sent for that day. Pipelines therefore send either totals or one breakdown, or both.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Avg, Count, Max, Q, Sum

from hypercare.aggregates import cached_aggregate
from metrics.models import DIMENSIONS, DataPoint, MetricSeries, SeriesKind

DIMENSION_MAX_LENGTH = 100

# (slug, name, kind, unit, description): the slugs are a public contract of the ingestion API.
STANDARD_SERIES = [
    ("daily_active_users", "Daily active users", SeriesKind.GAUGE, "users", "Distinct users who logged in that day."),
    ("weekly_active_users", "Weekly active users", SeriesKind.GAUGE, "users", "Distinct users in the 7 days ending that day."),
    ("records_created", "Records created", SeriesKind.COUNT, "records", "Records created per core object (object = Account, Case, Lead, Opportunity …)."),
    ("cycle_time_minutes", "Process cycle time", SeriesKind.DURATION, "minutes", "Average duration per process (object = lead conversion, case resolution, quote generation …)."),
    ("transactions", "Platform transactions", SeriesKind.COUNT, "transactions", "Transactions executed on the platform."),
    ("exceptions", "Platform exceptions", SeriesKind.COUNT, "exceptions", "Unhandled exceptions, e.g. Apex exceptions."),
    ("governor_limit_alerts", "Governor-limit alerts", SeriesKind.COUNT, "alerts", "Platform limit warnings raised."),
    ("lock_contentions", "Database lock contentions", SeriesKind.COUNT, "contentions", "Row-lock or record-lock contentions."),
    ("integration_success", "Integration calls succeeded", SeriesKind.COUNT, "calls", "Integration calls that succeeded."),
    ("integration_failure", "Integration calls failed", SeriesKind.COUNT, "calls", "Integration calls that failed."),
    ("api_latency_ms", "API response latency", SeriesKind.DURATION, "ms", "Average API response time."),
]  # fmt: skip
STANDARD_SLUGS = [slug for slug, *_ in STANDARD_SERIES]


@dataclass(frozen=True)
class PointError:
    """One problem with one incoming point: its position (index or CSV line), the field, the message."""

    position: int
    field: str
    message: str

    def as_dict(self, position_name: str = "index") -> dict:
        return {position_name: self.position, "field": self.field, "message": self.message}


@dataclass
class ValidatedPoints:
    """Points ready for the upsert, or the reasons none of them may be stored."""

    rows: list[tuple[int, date, str, str, str, float]] = field(default_factory=list)
    errors: list[PointError] = field(default_factory=list)


def parse_date(value, *, today: date) -> tuple[date | None, str | None]:
    if not isinstance(value, str) or not value.strip():
        return None, "A date is required (YYYY-MM-DD)."
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        return None, f"{value!r} is not a date in YYYY-MM-DD form."
    if len(value.strip()) != 10:
        return None, f"{value!r} is not a date in YYYY-MM-DD form."
    if parsed > today:
        return (
            None,
            f"{parsed.isoformat()} is in the future (today is {today.isoformat()} in the programme's time zone).",
        )
    return parsed, None


def parse_value(value, *, from_text: bool) -> tuple[float | None, str | None]:
    if isinstance(value, bool) or value is None or value == "":
        return None, "A numeric value is required."
    if isinstance(value, str):
        if not from_text:
            return None, f"{value!r} is not a number: send a JSON number."
        try:
            number = float(value.strip().replace(",", "")) if value.strip() else None
        except ValueError:
            return None, f"{value!r} is not a number."
        if number is None:
            return None, "A numeric value is required."
    elif isinstance(value, int | float):
        number = float(value)
    else:
        return None, f"{value!r} is not a number."
    if not math.isfinite(number):
        return None, f"{value!r} is not a finite number."
    if number < 0:
        return None, f"{value!r} is negative: counts, levels and durations cannot be below zero."
    return number, None


def validate_points(
    items,
    *,
    series_by_slug: dict[str, int],
    today: date,
    from_text: bool = False,
    positions: list[int] | None = None,
    position_name: str = "index",
) -> ValidatedPoints:
    """Check every point ({series, date, value, dimensions}); collect every error, keep rows only if none.

    `from_text` accepts numbers written as text (CSV); `positions` numbers the items (their JSON
    index by default, the CSV line numbers for a file).
    """
    result = ValidatedPoints()
    seen: dict[tuple, int] = {}
    rows = result.rows
    errors = result.errors
    for offset, item in enumerate(items):
        position = positions[offset] if positions is not None else offset
        if not isinstance(item, dict):
            errors.append(PointError(position, "non_field_errors", "Each point must be an object."))
            continue
        unknown = set(item) - {"series", "date", "value", "dimensions"}
        if unknown:
            errors.append(
                PointError(
                    position, sorted(unknown)[0], "Unknown field: use series, date, value and dimensions."
                )
            )
        slug = item.get("series")
        series_id = series_by_slug.get(slug) if isinstance(slug, str) else None
        if series_id is None:
            message = "A series is required." if not slug else f"Unknown series {slug!r} in this programme."
            errors.append(PointError(position, "series", message))
        day, problem = parse_date(item.get("date"), today=today)
        if problem:
            errors.append(PointError(position, "date", problem))
        value, problem = parse_value(item.get("value"), from_text=from_text)
        if problem:
            errors.append(PointError(position, "value", problem))
        dims = item.get("dimensions") or {}
        if not isinstance(dims, dict):
            errors.append(
                PointError(
                    position,
                    "dimensions",
                    "dimensions must be an object with business_unit, geography and object.",
                )
            )
            dims = {}
        bad_dims = set(dims) - set(DIMENSIONS)
        if bad_dims:
            errors.append(
                PointError(
                    position,
                    f"dimensions.{sorted(bad_dims)[0]}",
                    "Unknown dimension: use business_unit, geography and object.",
                )
            )
        values = []
        for name in DIMENSIONS:
            raw = dims.get(name) or ""
            if not isinstance(raw, str):
                errors.append(PointError(position, f"dimensions.{name}", "A dimension is text."))
                raw = ""
            raw = raw.strip()
            if "\x00" in raw:  # PostgreSQL refuses NUL in text: a 400 here, not a failed upsert
                errors.append(
                    PointError(position, f"dimensions.{name}", "A dimension cannot contain a NUL character.")
                )
                raw = ""
            if len(raw) > DIMENSION_MAX_LENGTH:
                errors.append(
                    PointError(position, f"dimensions.{name}", f"At most {DIMENSION_MAX_LENGTH} characters.")
                )
            values.append(raw)
        if series_id is None or day is None or value is None:
            continue
        key = (series_id, day, *values)
        if key in seen:
            errors.append(
                PointError(
                    position,
                    "non_field_errors",
                    f"Repeats {position_name} {seen[key]} (same series, date and dimensions).",
                )
            )
            continue
        seen[key] = position
        rows.append((series_id, day, values[0], values[1], values[2], value))
    if errors:
        result.rows = []
    return result  # fmt: skip


# Roll-ups --------------------------------------------------------------------------------------


def _resolve(kind: str, exact: float | None, summed: float | None, mean: float | None) -> float | None:
    if exact is not None:
        return exact
    return mean if kind == SeriesKind.DURATION else summed


def rollup(
    series: list[MetricSeries], start: date, end: date, *, by: str | None = None, **filters: str
) -> dict[tuple[int, str], dict[date, float]]:
    """Daily values per (series id, dimension value) over [start, end], in one GROUP BY query.

    With `by` (business_unit, geography or object) one line per non-blank value of that dimension,
    otherwise the total (key ""). `filters` pin other dimensions (e.g. business_unit="Sales").
    A point whose remaining dimensions are blank is the exact figure; without one, the points are
    summed (or averaged, for durations).
    """
    if not series:
        return {}
    kinds = {s.pk: s.kind for s in series}
    # Kept with the other dashboard aggregates for the minute, so a page's cost does not grow
    # with the volume of telemetry a programme has sent.
    return cached_aggregate(
        "telemetry-rollup",
        ",".join(str(pk) for pk in sorted(kinds)),
        start,
        end,
        by or "-",
        # Dimension values are free text: hashed, so the key stays a valid cache key.
        hashlib.sha1(repr(sorted(filters.items())).encode(), usedforsecurity=False).hexdigest(),
        compute=lambda: _rollup(kinds, start, end, by=by, **filters),
    )


def _rollup(kinds: dict[int, str], start: date, end: date, *, by: str | None, **filters: str):
    points = DataPoint.objects.filter(series__in=list(kinds), date__gte=start, date__lte=end, **filters)
    free = [name for name in DIMENSIONS if name != by and name not in filters]
    group = ["series_id", "date"]
    if by:
        points = points.exclude(**{by: ""})
        group.append(by)
    rows = (
        points.order_by()
        .values(*group)
        .annotate(
            exact=Max("value", filter=Q(**dict.fromkeys(free, ""))),
            summed=Sum("value"),
            mean=Avg("value"),
            n=Count("pk"),
        )
    )
    lines: dict[tuple[int, str], dict[date, float]] = defaultdict(dict)
    for row in rows:
        value = _resolve(kinds[row["series_id"]], row["exact"], row["summed"], row["mean"])
        if value is not None:
            lines[(row["series_id"], row[by] if by else "")][row["date"]] = value
    return dict(lines)


@dataclass
class TelemetryWindow:
    """A series over a window: one value per day that has data, and the window's aggregate."""

    series: MetricSeries | None
    start: date
    end: date
    days: dict[date, float]

    @property
    def total(self) -> float | None:
        """Sum of the daily values (what a count means over a window); None without data."""
        return sum(self.days.values()) if self.days else None

    @property
    def mean(self) -> float | None:
        """Mean of the daily values (what a level or a duration means over a window)."""
        return sum(self.days.values()) / len(self.days) if self.days else None

    @property
    def value(self) -> float | None:
        """The window's figure: the total of a count, the mean of a level or duration."""
        if self.series is not None and self.series.kind == SeriesKind.COUNT:
            return self.total
        return self.mean


def window(
    programme, series_slug: str, start: date, end: date, *, business_unit=None, geography=None, object=None
) -> TelemetryWindow:
    filters = {
        name: value
        for name, value in (("business_unit", business_unit), ("geography", geography), ("object", object))
        if value is not None
    }
    series = MetricSeries.objects.filter(programme=programme, slug=series_slug).first()
    if series is None:
        return TelemetryWindow(None, start, end, {})
    lines = rollup([series], start, end, **filters)
    return TelemetryWindow(series, start, end, dict(sorted(lines.get((series.pk, ""), {}).items())))
