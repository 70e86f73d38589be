"""Programmes created before the metrics app get the standard telemetry series too."""

from django.db import migrations

# Frozen copy of metrics.telemetry.STANDARD_SERIES at the time of this migration.
STANDARD_SERIES = [
    ("daily_active_users", "Daily active users", "gauge", "users"),
    ("weekly_active_users", "Weekly active users", "gauge", "users"),
    ("records_created", "Records created", "count", "records"),
    ("cycle_time_minutes", "Process cycle time", "duration", "minutes"),
    ("transactions", "Platform transactions", "count", "transactions"),
    ("exceptions", "Platform exceptions", "count", "exceptions"),
    ("governor_limit_alerts", "Governor-limit alerts", "count", "alerts"),
    ("lock_contentions", "Database lock contentions", "count", "contentions"),
    ("integration_success", "Integration calls succeeded", "count", "calls"),
    ("integration_failure", "Integration calls failed", "count", "calls"),
    ("api_latency_ms", "API response latency", "duration", "ms"),
]


def create_standard_series(apps, schema_editor):
    Programme = apps.get_model("hypercare", "Programme")
    MetricSeries = apps.get_model("metrics", "MetricSeries")
    MetricSeries.objects.bulk_create(
        [
            MetricSeries(programme_id=pk, slug=slug, name=name, kind=kind, unit=unit, is_standard=True)
            for pk in Programme.objects.values_list("pk", flat=True)
            for slug, name, kind, unit in STANDARD_SERIES
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0001_initial"),
        ("hypercare", "0002_programme_last_ticket_number_notification_and_more"),
    ]

    operations = [migrations.RunPython(create_standard_series, migrations.RunPython.noop)]
