from django.contrib import admin

from metrics.models import (
    Baseline,
    DataPoint,
    IngestionToken,
    KpiThreshold,
    MetricSeries,
    Snapshot,
    TelemetryUpload,
)


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = [
        "programme",
        "date",
        "intake",
        "closures",
        "open_total",
        "cycle_time_median_hours",
        "computed_at",
    ]
    list_filter = ["programme"]
    date_hierarchy = "date"


@admin.register(MetricSeries)
class MetricSeriesAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "programme", "kind", "unit", "is_standard"]
    list_filter = ["programme", "kind", "is_standard"]
    search_fields = ["slug", "name"]


@admin.register(DataPoint)
class DataPointAdmin(admin.ModelAdmin):
    list_display = ["series", "date", "business_unit", "geography", "object", "value", "source"]
    list_filter = ["source", "series__programme"]
    list_select_related = ["series"]
    raw_id_fields = ["series"]
    date_hierarchy = "date"


@admin.register(Baseline)
class BaselineAdmin(admin.ModelAdmin):
    list_display = ["series", "business_unit", "geography", "object", "value", "updated_at"]
    list_select_related = ["series"]
    raw_id_fields = ["series", "updated_by"]


@admin.register(IngestionToken)
class IngestionTokenAdmin(admin.ModelAdmin):
    # The key hash is useless to a reader and stays out of the form.
    list_display = ["name", "prefix", "programme", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["programme"]
    fields = [
        "programme",
        "name",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(TelemetryUpload)
class TelemetryUploadAdmin(admin.ModelAdmin):
    list_display = ["filename", "programme", "uploaded_by", "row_count", "created_at", "committed_at"]
    raw_id_fields = ["uploaded_by"]


@admin.register(KpiThreshold)
class KpiThresholdAdmin(admin.ModelAdmin):
    list_display = ["programme", "kpi", "green", "red", "green_high", "updated_at"]
    list_filter = ["programme"]
