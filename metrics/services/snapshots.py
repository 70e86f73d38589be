"""Daily snapshots: taken after each programme's local midnight, backfilled from the ticket history."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hypercare.models import Programme, ProgrammeStatus
from metrics.models import (
    Snapshot,
)
from metrics.snapshots import FIGURE_FIELDS, day_bounds, local_today, snapshot_figures

SNAPSHOT_CATCH_UP_DAYS = 7


def _snapshot(programme: Programme, day: date, at: datetime) -> Snapshot:
    return Snapshot(
        programme=programme, date=day, computed_at=at, **snapshot_figures(programme=programme, day=day, at=at)
    )


def _upsert_snapshots(snapshots: list[Snapshot]) -> None:
    Snapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["programme", "date"],
        update_fields=["computed_at", *FIGURE_FIELDS],
    )


def snapshot_take(*, programme: Programme, day: date, at: datetime | None = None) -> Snapshot:
    """Compute the snapshot of a local day and store it, replacing any earlier one of that day."""
    at = at or timezone.now()
    _, end = day_bounds(programme, day)
    if end > at:
        raise ValidationError({"date": f"{day} has not ended yet in {programme.timezone}."})
    snapshot = _snapshot(programme, day, at)
    _upsert_snapshots([snapshot])
    return Snapshot.objects.get(programme=programme, date=day)


def snapshots_backfill(*, programme: Programme, start: date, end: date, at: datetime | None = None) -> int:
    """Rebuild the snapshots of [start, end] from the ticket history; days not over yet are refused."""
    at = at or timezone.now()
    if end < start:
        raise ValidationError({"to": "The end date is before the start date."})
    _, last_end = day_bounds(programme, end)
    if last_end > at:
        raise ValidationError({"to": f"{end} has not ended yet in {programme.timezone}."})
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    snapshots = [_snapshot(programme, day, at) for day in days]
    with transaction.atomic():
        _upsert_snapshots(snapshots)
    return len(snapshots)


def snapshots_take_due(*, at: datetime | None = None) -> int:
    """Snapshot every open programme's days that have ended since its last snapshot (at most a week back).

    Beat calls this every few minutes, so each programme's day is taken just after its local
    midnight; re-running it is harmless (each day is an upsert on programme and date).
    """
    at = at or timezone.now()
    programmes = list(Programme.objects.exclude(status=ProgrammeStatus.CLOSED))
    if not programmes:
        return 0
    earliest = min(local_today(p, at) for p in programmes) - timedelta(days=SNAPSHOT_CATCH_UP_DAYS)
    taken = set(
        Snapshot.objects.filter(programme__in=programmes, date__gte=earliest).values_list(
            "programme_id", "date"
        )
    )
    count = 0
    for programme in programmes:
        today = local_today(programme, at)
        first = max(
            today - timedelta(days=SNAPSHOT_CATCH_UP_DAYS), local_today(programme, programme.created_at)
        )
        due = [
            first + timedelta(days=n)
            for n in range((today - first).days)
            if (programme.pk, first + timedelta(days=n)) not in taken
        ]
        if due:
            with transaction.atomic():
                _upsert_snapshots([_snapshot(programme, day, at) for day in due])
            count += len(due)
    return count
