"""CSV upload of telemetry: checked whole, previewed, then stored by the lead who commits it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hypercare.audit import audit
from hypercare.models import Programme
from metrics.models import (
    DIMENSIONS,
    PointSource,
    TelemetryUpload,
)
from metrics.services.common import TelemetryRejected, read_csv, series_map
from metrics.services.telemetry import upsert_points
from metrics.snapshots import local_today
from metrics.telemetry import (
    ValidatedPoints,
    validate_points,
)

MAX_CSV_ROWS = 50_000

CSV_COLUMNS = ("series", "date", "value", *DIMENSIONS)
CSV_REQUIRED = ("series", "date", "value")


def telemetry_csv_validate(
    *, programme: Programme, content: bytes | str, at: datetime | None = None
) -> ValidatedPoints:
    """Parse and validate a telemetry CSV (series,date,value[,business_unit,geography,object]).

    Raises TelemetryRejected listing every problem with its line number (the header is line 1).
    """
    at = at or timezone.now()
    lines, rows = read_csv(content, columns=CSV_COLUMNS, required=CSV_REQUIRED, max_rows=MAX_CSV_ROWS)
    items = [
        {
            "series": row["series"],
            "date": row["date"],
            "value": row["value"],
            "dimensions": {name: row.get(name, "") for name in DIMENSIONS},
        }
        for row in rows
    ]
    result = validate_points(
        items,
        series_by_slug=series_map(programme),
        today=local_today(programme, at),
        from_text=True,
        positions=lines,
        position_name="line",
    )
    if result.errors:
        raise TelemetryRejected(result.errors, "line")
    return result


@transaction.atomic
def telemetry_upload_stage(
    *, programme: Programme, content: bytes, filename: str = "", by, at: datetime | None = None
) -> TelemetryUpload:
    """Validate a CSV file and keep it for the preview; nothing reaches the series until it is committed."""
    at = at or timezone.now()
    result = telemetry_csv_validate(programme=programme, content=content, at=at)
    # Older previews nobody committed are dropped: the table holds only today's pending files.
    TelemetryUpload.objects.filter(
        programme=programme, committed_at__isnull=True, created_at__lt=at - timedelta(days=1)
    ).delete()
    return TelemetryUpload.objects.create(
        programme=programme,
        uploaded_by=by,
        filename=filename[:255],
        content=content.decode("utf-8-sig") if isinstance(content, bytes) else content,
        row_count=len(result.rows),
        created_at=at,
    )


@transaction.atomic
def telemetry_upload_commit(*, upload: TelemetryUpload, by, at: datetime | None = None) -> int:
    """Store every row of a previewed upload, or none: it is validated again at commit time."""
    at = at or timezone.now()
    claimed = TelemetryUpload.objects.filter(pk=upload.pk, committed_at__isnull=True).update(committed_at=at)
    if claimed != 1:
        raise ValidationError("This upload was already committed.")
    result = telemetry_csv_validate(programme=upload.programme, content=upload.content, at=at)
    count = upsert_points(result.rows, source=PointSource.CSV, at=at)
    audit(
        "metrics.telemetry_uploaded", actor=by, programme=upload.programme, rows=count, file=upload.filename
    )
    upload.committed_at = at
    return count
