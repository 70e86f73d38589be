"""Every write of the metrics app. The figures other apps show are read in `metrics.selectors`."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from hypercare.audit import audit
from hypercare.models import Programme, ProgrammeStatus
from metrics.kpis import KPI_BY_SLUG, Direction, Threshold, moved_green, threshold_for
from metrics.models import (
    DIMENSIONS,
    Baseline,
    DataPoint,
    IngestionToken,
    KpiThreshold,
    MetricSeries,
    PointSource,
    SeriesKind,
    Snapshot,
    TelemetryUpload,
)
from metrics.snapshots import FIGURE_FIELDS, day_bounds, local_today, snapshot_figures
from metrics.telemetry import (
    DIMENSION_MAX_LENGTH,
    STANDARD_SERIES,
    PointError,
    ValidatedPoints,
    parse_value,
    validate_points,
)

MAX_POINTS_PER_REQUEST = 100_000
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_ROWS = 50_000
UPSERT_BATCH = 5_000
SNAPSHOT_CATCH_UP_DAYS = 7
TOKEN_PREFIX = "hct_"


class TelemetryRejected(Exception):
    """Incoming points with problems: nothing of the request was stored."""

    def __init__(self, errors: list[PointError], position_name: str = "index"):
        self.errors = errors
        self.position_name = position_name
        super().__init__(f"{len(errors)} problem(s); nothing was stored.")

    def messages(self, limit: int = 200) -> list[str]:
        label = "Line" if self.position_name == "line" else "Point"
        out = []
        for error in self.errors[:limit]:
            where = (
                "File" if self.position_name == "line" and not error.position else f"{label} {error.position}"
            )
            field = f" ({error.field})" if error.field not in ("non_field_errors", "") else ""
            out.append(f"{where}{field}: {error.message}")
        if len(self.errors) > limit:
            out.append(f"… and {len(self.errors) - limit} more.")
        return out


# Snapshots -----------------------------------------------------------------------------------


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


# Series --------------------------------------------------------------------------------------


def series_create_standard(*, programme: Programme) -> int:
    """Give a programme the standard telemetry series (existing ones are left alone)."""
    created = MetricSeries.objects.bulk_create(
        [
            MetricSeries(
                programme=programme,
                slug=slug,
                name=name,
                kind=kind,
                unit=unit,
                description=help,
                is_standard=True,
            )
            for slug, name, kind, unit, help in STANDARD_SERIES
        ],
        ignore_conflicts=True,
    )
    return len(created)


@transaction.atomic
def series_create(
    *, programme: Programme, slug: str, name: str, kind: str, unit: str = "", description: str = "", by=None
) -> MetricSeries:
    """Add a programme's own telemetry series."""
    series = MetricSeries(
        programme=programme,
        slug=slug.strip(),
        name=name.strip(),
        kind=kind,
        unit=unit.strip(),
        description=description,
    )
    series.full_clean(exclude=["programme"], validate_unique=False)
    if MetricSeries.objects.filter(programme=programme, slug=series.slug).exists():
        raise ValidationError({"slug": f"This programme already has a series {series.slug!r}."})
    series.save()
    audit("metrics.series_created", actor=by, programme=programme, series=series.slug)
    return series


# Telemetry -----------------------------------------------------------------------------------


def _series_map(programme: Programme) -> dict[str, int]:
    return dict(MetricSeries.objects.filter(programme=programme).values_list("slug", "pk"))


def _upsert_points(rows: list[tuple], *, source: str, at: datetime) -> int:
    """Insert or replace points keyed on (series, date, business unit, geography, object)."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        # One statement whatever the size: the columns travel as arrays and unnest() turns them
        # into rows. bulk_create(update_conflicts=True) does the same upsert, but prepares every
        # value of every model instance in Python first: 7 s instead of under 1 for 50,000 points.
        columns = [
            DataPoint._meta.get_field(name).column for name in ("series", "date", *DIMENSIONS, "value")
        ]
        conflict = ", ".join(columns[:5])
        table = connection.ops.quote_name(DataPoint._meta.db_table)
        series_ids, days, units, geographies, objects, values = (
            list(column) for column in zip(*rows, strict=True)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}, source, updated_at) "
                "SELECT s, d, b, g, o, v, %s, %s FROM unnest(%s::bigint[], %s::date[], %s::text[], %s::text[], "
                "%s::text[], %s::float8[]) AS points(s, d, b, g, o, v) "
                f"ON CONFLICT ({conflict}) DO UPDATE SET value = EXCLUDED.value, source = EXCLUDED.source, "
                "updated_at = EXCLUDED.updated_at",
                [source, at, series_ids, days, units, geographies, objects, values],
            )
        return len(rows)
    points = [
        DataPoint(
            series_id=series_id,
            date=day,
            business_unit=unit,
            geography=geography,
            object=obj,
            value=value,
            source=source,
            updated_at=at,
        )
        for series_id, day, unit, geography, obj, value in rows
    ]
    DataPoint.objects.bulk_create(
        points,
        batch_size=UPSERT_BATCH,
        update_conflicts=True,
        unique_fields=["series", "date", *DIMENSIONS],
        update_fields=["value", "source", "updated_at"],
    )
    return len(points)


@transaction.atomic
def telemetry_ingest(
    *, programme: Programme, points, source: str = PointSource.API, at: datetime | None = None
) -> int:
    """Validate every point, then upsert them all; one bad point rejects the request and stores nothing.

    Upsert on (series, date, dimensions): a pipeline can resend a day and the values are replaced.
    """
    at = at or timezone.now()
    if not isinstance(points, list):
        raise TelemetryRejected([PointError(0, "non_field_errors", "Send a JSON array of points.")])
    if len(points) > MAX_POINTS_PER_REQUEST:
        raise TelemetryRejected(
            [PointError(0, "non_field_errors", f"At most {MAX_POINTS_PER_REQUEST:,} points per request.")]
        )
    result = validate_points(points, series_by_slug=_series_map(programme), today=local_today(programme, at))
    if result.errors:
        raise TelemetryRejected(result.errors)
    return _upsert_points(result.rows, source=source, at=at)


CSV_COLUMNS = ("series", "date", "value", *DIMENSIONS)
CSV_REQUIRED = ("series", "date", "value")


def _read_csv(content: bytes | str, *, columns, required, max_rows: int) -> tuple[list[int], list[dict]]:
    """Rows of a CSV file as dicts with their line numbers; TelemetryRejected names the line of a problem."""

    def fail(line: int, message: str, field: str = ""):
        raise TelemetryRejected([PointError(line, field, message)], "line")

    if isinstance(content, bytes):
        if len(content) > MAX_CSV_BYTES:
            fail(0, f"The file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB: split it.")
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            fail(0, "The file is not UTF-8 text: save it as CSV UTF-8.")
    if not content.strip():
        fail(0, "The file is empty.")
    reader = csv.reader(io.StringIO(content))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as error:
        fail(1, f"Not a readable CSV header: {error}.")
    unknown = [name for name in header if name not in columns]
    if unknown:
        fail(1, f"Unknown column {unknown[0]!r}; the columns are {', '.join(columns)}.")
    missing = [name for name in required if name not in header]
    if missing:
        fail(1, f"Missing column(s): {', '.join(missing)}.")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        fail(1, f"Column {repeated[0]!r} appears twice.")
    lines, rows, errors = [], [], []
    try:
        for record in reader:
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(rows) >= max_rows:
                fail(reader.line_num, f"More than {max_rows:,} rows: split the file.")
            if len(record) != len(header):
                errors.append(
                    PointError(reader.line_num, "", f"Expected {len(header)} fields, found {len(record)}.")
                )
                continue
            lines.append(reader.line_num)
            rows.append(dict(zip(header, (cell.strip() for cell in record), strict=True)))
    except csv.Error as error:
        fail(reader.line_num, f"Not readable as CSV: {error}.")
    if errors:
        raise TelemetryRejected(errors, "line")
    if not rows:
        fail(0, "The file has a header but no data rows.")
    return lines, rows


def telemetry_csv_validate(
    *, programme: Programme, content: bytes | str, at: datetime | None = None
) -> ValidatedPoints:
    """Parse and validate a telemetry CSV (series,date,value[,business_unit,geography,object]).

    Raises TelemetryRejected listing every problem with its line number (the header is line 1).
    """
    at = at or timezone.now()
    lines, rows = _read_csv(content, columns=CSV_COLUMNS, required=CSV_REQUIRED, max_rows=MAX_CSV_ROWS)
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
        series_by_slug=_series_map(programme),
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
    count = _upsert_points(result.rows, source=PointSource.CSV, at=at)
    audit(
        "metrics.telemetry_uploaded", actor=by, programme=upload.programme, rows=count, file=upload.filename
    )
    upload.committed_at = at
    return count


# Baselines -----------------------------------------------------------------------------------

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
    lines, rows = _read_csv(content, columns=BASELINE_COLUMNS, required=("series", "value"), max_rows=5_000)
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


# Ingestion tokens ----------------------------------------------------------------------------


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: IngestionToken
    key: str  # shown once, never stored


@transaction.atomic
def ingestion_token_create(*, programme: Programme, name: str, by, at: datetime | None = None) -> NewToken:
    """Create a pipeline token for this programme's telemetry; the key is returned once and only its hash kept."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after the pipeline that will use it."})
    if len(name) > 100:
        raise ValidationError({"name": "At most 100 characters."})
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = IngestionToken.objects.create(
        programme=programme,
        name=name,
        prefix=key[:10],
        key_hash=_hash(key),
        created_by=by,
        created_at=at or timezone.now(),
    )
    audit("metrics.token_created", actor=by, programme=programme, token=token.prefix, name=name)
    return NewToken(token, key)


@transaction.atomic
def ingestion_token_revoke(*, token: IngestionToken, by, at: datetime | None = None) -> IngestionToken:
    """Revoke a token at once; a second revoke changes nothing."""
    at = at or timezone.now()
    IngestionToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=at, revoked_by=by)
    token.refresh_from_db()
    audit("metrics.token_revoked", actor=by, programme=token.programme, token=token.prefix)
    return token


def ingestion_token_authenticate(key: str, *, at: datetime | None = None) -> IngestionToken | None:
    """The active token with this key, its use recorded; None for an unknown or revoked key."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = IngestionToken.objects.active().select_related("programme").filter(key_hash=_hash(key)).first()
    if token is not None:
        token.last_used_at = at or timezone.now()
        IngestionToken.objects.filter(pk=token.pk).update(last_used_at=token.last_used_at)
    return token


# Thresholds ----------------------------------------------------------------------------------


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


def series_kinds() -> list[tuple[str, str]]:
    return list(SeriesKind.choices)
