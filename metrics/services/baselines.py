"""The legacy system's daily figures the scorecard compares with: set one, delete one, or import a CSV."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hypercare.audit import audit
from hypercare.models import Programme
from metrics.models import (
    DIMENSIONS,
    Baseline,
    MetricSeries,
)
from metrics.services.common import TelemetryRejected, read_csv
from metrics.telemetry import (
    DIMENSION_MAX_LENGTH,
    PointError,
    parse_value,
)

BASELINE_COLUMNS = ("series", "value", *DIMENSIONS, "note")


def _check_baseline_dimensions(dims: dict[str, str]) -> str | None:
    if sum(1 for name in DIMENSIONS if dims.get(name)) > 1:
        return "A baseline is for the whole series or for one business unit, geography or object: set one at most."
    for name in DIMENSIONS:
        if len(dims.get(name) or "") > DIMENSION_MAX_LENGTH:
            return f"{name}: at most {DIMENSION_MAX_LENGTH} characters."
    return None


@transaction.atomic
def baseline_set(
    *,
    programme: Programme,
    series: MetricSeries,
    value: float,
    business_unit: str = "",
    geography: str = "",
    object: str = "",
    note: str = "",
    by=None,
    at: datetime | None = None,
) -> Baseline:
    """Enter (or replace) the legacy system's daily figure for a series or one dimension value of it."""
    at = at or timezone.now()
    if series.programme_id != programme.pk:
        raise ValidationError({"series": "Unknown series in this programme."})
    dims = {"business_unit": business_unit.strip(), "geography": geography.strip(), "object": object.strip()}
    problem = _check_baseline_dimensions(dims)
    if problem:
        raise ValidationError({"business_unit": problem})
    if value is None or value <= 0:
        raise ValidationError({"value": "A baseline is a positive number."})
    baseline, _ = Baseline.objects.update_or_create(
        series=series,
        **dims,
        defaults={"value": value, "note": note.strip()[:200], "updated_by": by, "updated_at": at},
    )
    audit("metrics.baseline_set", actor=by, programme=programme, series=series.slug, value=value, **dims)
    return baseline


@transaction.atomic
def baseline_delete(*, baseline: Baseline, by=None) -> None:
    """Remove a baseline; the KPI shows "no baseline" for it again."""
    programme = baseline.series.programme
    Baseline.objects.filter(pk=baseline.pk).delete()
    audit("metrics.baseline_deleted", actor=by, programme=programme, series=baseline.series.slug)


@transaction.atomic
def baselines_import_csv(
    *, programme: Programme, content: bytes | str, by=None, at: datetime | None = None
) -> int:
    """Import baselines from CSV (series,value[,business_unit,geography,object,note]); all rows or none."""
    at = at or timezone.now()
    lines, rows = read_csv(content, columns=BASELINE_COLUMNS, required=("series", "value"), max_rows=5_000)
    series_by_slug = {s.slug: s for s in MetricSeries.objects.filter(programme=programme)}
    errors, seen, valid = [], {}, []
    for line, row in zip(lines, rows, strict=True):
        series = series_by_slug.get(row["series"])
        if series is None:
            errors.append(PointError(line, "series", f"Unknown series {row['series']!r} in this programme."))
        value, problem = parse_value(row["value"], from_text=True)
        if problem is None and value == 0:
            problem = "A baseline is a positive number."
        if problem:
            errors.append(PointError(line, "value", problem))
        dims = {name: row.get(name, "") for name in DIMENSIONS}
        problem = _check_baseline_dimensions(dims)
        if problem:
            errors.append(PointError(line, "dimensions", problem))
        key = (row["series"], *dims.values())
        if key in seen:
            errors.append(PointError(line, "", f"Repeats line {seen[key]} (same series and dimensions)."))
        seen.setdefault(key, line)
        if series is not None and value and not problem:
            valid.append((series, value, dims, row.get("note", "")))
    if errors:
        raise TelemetryRejected(errors, "line")
    Baseline.objects.bulk_create(
        [
            Baseline(series=series, value=value, note=note[:200], updated_by=by, updated_at=at, **dims)
            for series, value, dims, note in valid
        ],
        update_conflicts=True,
        unique_fields=["series", *DIMENSIONS],
        update_fields=["value", "note", "updated_by", "updated_at"],
    )
    audit("metrics.baselines_imported", actor=by, programme=programme, rows=len(valid))
    return len(valid)
