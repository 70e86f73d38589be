"""What the telemetry, CSV upload and baseline services share: the rejection of bad input, reading a
CSV file, and the programme's series by slug."""

from __future__ import annotations

import csv
import io

from hypercare.models import Programme
from metrics.models import (
    MetricSeries,
)
from metrics.telemetry import (
    PointError,
)

MAX_CSV_BYTES = 5 * 1024 * 1024


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


def read_csv(content: bytes | str, *, columns, required, max_rows: int) -> tuple[list[int], list[dict]]:
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


def series_map(programme: Programme) -> dict[str, int]:
    return dict(MetricSeries.objects.filter(programme=programme).values_list("slug", "pk"))
