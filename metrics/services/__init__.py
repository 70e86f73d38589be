"""Every write of the metrics app, by subdomain. The figures other apps show are read in
`metrics.selectors`, never here.

telemetry: the series and the ingestion of their points; uploads: CSV upload of telemetry, checked,
previewed, committed; baselines: the legacy figures; tokens: ingestion tokens; snapshots: the daily
snapshots; thresholds: a programme's own scorecard thresholds; common: what they share.
"""

from metrics.services.baselines import baseline_delete, baseline_set, baselines_import_csv
from metrics.services.common import MAX_CSV_BYTES, TelemetryRejected
from metrics.services.snapshots import snapshot_take, snapshots_backfill, snapshots_take_due
from metrics.services.telemetry import (
    MAX_POINTS_PER_REQUEST,
    series_create,
    series_create_standard,
    series_kinds,
    telemetry_ingest,
)
from metrics.services.thresholds import threshold_reset, threshold_set, threshold_set_green
from metrics.services.tokens import (
    TOKEN_PREFIX,
    NewToken,
    ingestion_token_authenticate,
    ingestion_token_create,
    ingestion_token_revoke,
)
from metrics.services.uploads import (
    MAX_CSV_ROWS,
    telemetry_csv_validate,
    telemetry_upload_commit,
    telemetry_upload_stage,
)

__all__ = [
    "MAX_CSV_BYTES",
    "MAX_CSV_ROWS",
    "MAX_POINTS_PER_REQUEST",
    "TOKEN_PREFIX",
    "NewToken",
    "TelemetryRejected",
    "baseline_delete",
    "baseline_set",
    "baselines_import_csv",
    "ingestion_token_authenticate",
    "ingestion_token_create",
    "ingestion_token_revoke",
    "series_create",
    "series_create_standard",
    "series_kinds",
    "snapshot_take",
    "snapshots_backfill",
    "snapshots_take_due",
    "telemetry_csv_validate",
    "telemetry_ingest",
    "telemetry_upload_commit",
    "telemetry_upload_stage",
    "threshold_reset",
    "threshold_set",
    "threshold_set_green",
]
