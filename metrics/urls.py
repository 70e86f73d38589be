"""HTML pages of the metrics app, under /p/<slug>/."""

from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("scorecard/", views.scorecard, name="scorecard"),
    path("scorecard/thresholds/", views.thresholds, name="thresholds"),
    path("scorecard/<slug:kpi>/", views.kpi_detail, name="kpi"),
    path("charts/<slug:chart>.csv", views.chart_data, name="chart_csv"),
    path("telemetry/", views.telemetry, name="telemetry"),
    path("telemetry/series/", views.series_create, name="series_create"),
    path("telemetry/upload/", views.telemetry_upload, name="telemetry_upload"),
    path("telemetry/upload/<int:pk>/", views.upload_preview, name="upload_preview"),
    path("telemetry/upload/<int:pk>/commit/", views.upload_commit, name="upload_commit"),
    path("telemetry/baselines/", views.baselines, name="baselines"),
    path("telemetry/baselines/upload/", views.baselines_upload, name="baselines_upload"),
    path("telemetry/baselines/<int:pk>/delete/", views.baseline_delete, name="baseline_delete"),
    path("telemetry/tokens/", views.tokens, name="tokens"),
    path("telemetry/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
