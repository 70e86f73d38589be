"""CSV import wizard (leads) and the queue's CSV export, under /p/<slug>/."""

from django.urls import path

from tickets import views_import

urlpatterns = [
    path("tickets/import/", views_import.import_upload, name="import"),
    path("tickets/import/map/", views_import.import_map, name="import_map"),
    path("tickets/import/values/", views_import.import_values, name="import_values"),
    path("tickets/import/preview/", views_import.import_preview, name="import_preview"),
    path("tickets/import/dry-run/", views_import.import_dry_run, name="import_dry_run"),
    path("tickets/import/commit/", views_import.import_commit, name="import_commit"),
    path("tickets/import/jobs/<int:pk>/", views_import.import_job, name="import_job"),
    path("tickets/import/save-mapping/", views_import.import_save_mapping, name="import_save_mapping"),
    path("tickets/import/cancel/", views_import.import_cancel, name="import_cancel"),
    path("tickets/export.csv", views_import.export, name="export"),
]
