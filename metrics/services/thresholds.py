"""A programme's own scorecard thresholds (the exit gate's criteria read the green boundaries of theirs)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hypercare.audit import audit
from hypercare.models import Programme
from metrics.kpis import KPI_BY_SLUG, Direction, Threshold, moved_green, threshold_for
from metrics.models import (
    KpiThreshold,
)


@transaction.atomic
def threshold_set(
    *,
    programme: Programme,
    kpi: str,
    green: float,
    red: float,
    green_high: float | None = None,
    by=None,
    at: datetime | None = None,
) -> KpiThreshold:
    """Set a programme's own boundaries for a KPI (see metrics.kpis for their meaning)."""
    definition = KPI_BY_SLUG.get(kpi)
    if definition is None:
        raise ValidationError({"kpi": f"Unknown KPI {kpi!r}."})
    base = definition.threshold
    if base.direction != Direction.BAND:
        green_high = None
    candidate = Threshold(base.direction, green, red, green_high, base.green_inclusive)
    errors = candidate.check()
    if errors:
        raise ValidationError(errors)
    row, _ = KpiThreshold.objects.update_or_create(
        programme=programme,
        kpi=kpi,
        defaults={
            "green": green,
            "red": red,
            "green_high": green_high,
            "updated_by": by,
            "updated_at": at or timezone.now(),
        },
    )
    audit(
        "metrics.threshold_set",
        actor=by,
        programme=programme,
        kpi=kpi,
        green=green,
        red=red,
        green_high=green_high,
    )
    return row


@transaction.atomic
def threshold_set_green(
    *, programme: Programme, kpi: str, green: float, by=None, at: datetime | None = None
) -> KpiThreshold:
    """Move a KPI's green boundary, which the exit criterion judging the same figure reads as its
    threshold; the red boundary follows only where it would otherwise be on the wrong side."""
    definition = KPI_BY_SLUG.get(kpi)
    if definition is None:
        raise ValidationError({"kpi": f"Unknown KPI {kpi!r}."})
    current = threshold_for(
        definition, {row.kpi: row for row in KpiThreshold.objects.filter(programme=programme, kpi=kpi)}
    )
    moved = moved_green(current, float(green))
    return threshold_set(
        programme=programme,
        kpi=kpi,
        green=moved.green,
        red=moved.red,
        green_high=moved.green_high,
        by=by,
        at=at,
    )


@transaction.atomic
def threshold_reset(*, programme: Programme, kpi: str, by=None) -> None:
    """Go back to the default boundaries of a KPI."""
    KpiThreshold.objects.filter(programme=programme, kpi=kpi).delete()
    audit("metrics.threshold_reset", actor=by, programme=programme, kpi=kpi)
