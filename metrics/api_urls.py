"""API routes of the metrics app, under /api/v1/programmes/<slug>/."""

from django.urls import path

from metrics import api

urlpatterns = [
    path("telemetry/", api.TelemetryIngestView.as_view(), name="metrics-telemetry"),
    path("snapshots/", api.SnapshotListView.as_view(), name="metrics-snapshots"),
    path("scorecard/", api.ScorecardView.as_view(), name="metrics-scorecard"),
]
