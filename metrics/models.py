"""Daily queue snapshots, telemetry series with their data points and baselines, ingestion tokens,
staged CSV uploads and the per-programme scorecard thresholds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from hypercare.models import Programme

DIMENSIONS = ("business_unit", "geography", "object")


class Snapshot(models.Model):
    """One programme-day of service-queue figures, taken after the day ended in the programme's time zone.

    Every figure is a function of the tickets' timestamps and current attributes, so a backfill of
    the same day computes the same row. Breakdowns are JSON keyed by the value ("1" … "4" for severity).
    """

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="snapshots", db_index=False)
    date = models.DateField()
    computed_at = models.DateTimeField()

    intake = models.PositiveIntegerField(default=0, help_text="Tickets reported that day.")
    closures = models.PositiveIntegerField(default=0, help_text="Tickets resolved (or closed) that day.")
    cumulative_intake = models.PositiveIntegerField(default=0)
    cumulative_closures = models.PositiveIntegerField(default=0)
    intake_defects = models.PositiveIntegerField(default=0)
    intake_training_gaps = models.PositiveIntegerField(default=0)
    intake_bau = models.PositiveIntegerField(
        default=0, help_text="Tickets reported that day that reached the desk and that BAU handles."
    )
    intake_desk = models.PositiveIntegerField(
        default=0, help_text="Tickets reported that day that reached the desk (not resolved at Tier 1)."
    )

    open_total = models.PositiveIntegerField(default=0)
    open_defects = models.PositiveIntegerField(default=0)
    open_training_gaps = models.PositiveIntegerField(default=0)
    open_by_severity = models.JSONField(default=dict)
    open_by_tier = models.JSONField(default=dict)
    open_by_category = models.JSONField(default=dict)

    resolved_by_tier = models.JSONField(default=dict, help_text="Tickets resolved at each tier, cumulative.")
    cycle_time_median_hours = models.FloatField(null=True, blank=True)
    cycle_time_p90_hours = models.FloatField(null=True, blank=True)
    cycle_time_sample = models.PositiveIntegerField(
        default=0, help_text="Tickets resolved in the seven days ending that day."
    )
    sla = models.JSONField(default=dict, help_text="Per severity: response and resolution met/breached/open.")
    sla_resolution_met = models.PositiveIntegerField(
        default=0, help_text="Tickets judged that day (resolution SLA) that met their target."
    )
    sla_resolution_judged = models.PositiveIntegerField(
        default=0,
        help_text="Tickets whose resolution target was judged that day: resolved, or overdue and open.",
    )

    class Meta:
        # Orderings name the column (programme_id), not the relation: no join to sort by programme.
        ordering = ["programme_id", "date"]
        constraints = [models.UniqueConstraint(fields=["programme", "date"], name="snapshot_unique_day")]

    def __str__(self) -> str:
        return f"{self.programme} on {self.date}"


class SeriesKind(models.TextChoices):
    COUNT = "count", "Count (summed)"
    GAUGE = "gauge", "Level (e.g. active users)"
    DURATION = "duration", "Duration or latency (averaged)"


class MetricSeriesQuerySet(models.QuerySet):
    def of(self, programme) -> MetricSeriesQuerySet:
        return self.filter(programme=programme)


class MetricSeries(models.Model):
    """A telemetry series of a programme, e.g. daily active users or Apex exceptions."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="metric_series", db_index=False)
    slug = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=SeriesKind.choices, default=SeriesKind.COUNT)
    unit = models.CharField(max_length=30, blank=True)
    description = models.TextField(blank=True)
    is_standard = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MetricSeriesQuerySet.as_manager()

    class Meta:
        ordering = ["programme_id", "-is_standard", "slug"]
        verbose_name_plural = "metric series"
        constraints = [models.UniqueConstraint(fields=["programme", "slug"], name="metricseries_unique_slug")]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class PointSource(models.TextChoices):
    API = "api", "REST API"
    CSV = "csv", "CSV upload"
    DEMO = "demo", "Demo data"


class DataPoint(models.Model):
    """One day's value of a series; blank dimensions mean the total over that dimension."""

    # No index of its own: the unique constraint below starts with series_id.
    series = models.ForeignKey(MetricSeries, models.CASCADE, related_name="points", db_index=False)
    date = models.DateField()
    # Blank strings rather than NULL, so the unique constraint holds on SQLite and PostgreSQL alike.
    business_unit = models.CharField(max_length=100, blank=True, default="")
    geography = models.CharField(max_length=100, blank=True, default="")
    object = models.CharField("object or process", max_length=100, blank=True, default="")
    value = models.FloatField()
    source = models.CharField(max_length=10, choices=PointSource.choices, default=PointSource.API)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["series_id", "date"]
        constraints = [
            # Also the index of every window query: (series, date) is its prefix.
            models.UniqueConstraint(
                fields=["series", "date", "business_unit", "geography", "object"], name="datapoint_unique"
            )
        ]

    def __str__(self) -> str:
        dims = "/".join(filter(None, (self.business_unit, self.geography, self.object))) or "total"
        return f"{self.series.slug} {self.date} {dims} = {self.value}"


class Baseline(models.Model):
    """The legacy system's daily figure for a series, for the whole series or one dimension value."""

    series = models.ForeignKey(MetricSeries, models.CASCADE, related_name="baselines", db_index=False)
    business_unit = models.CharField(max_length=100, blank=True, default="")
    geography = models.CharField(max_length=100, blank=True, default="")
    object = models.CharField("object or process", max_length=100, blank=True, default="")
    value = models.FloatField()
    note = models.CharField(max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["series_id", "business_unit", "geography", "object"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "business_unit", "geography", "object"], name="baseline_unique"
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="baseline_positive"),
        ]

    def __str__(self) -> str:
        return f"Baseline of {self.series.slug} {self.dimension_label}: {self.value}"

    @property
    def dimension_label(self) -> str:
        return " / ".join(filter(None, (self.business_unit, self.geography, self.object))) or "all"


class IngestionTokenQuerySet(models.QuerySet):
    def active(self) -> IngestionTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class IngestionToken(models.Model):
    """A pipeline's key to POST telemetry for one programme, and nothing else. Only its hash is stored."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="ingestion_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise the token.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = IngestionTokenQuerySet.as_manager()

    class Meta:
        ordering = ["programme_id", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class TelemetryUpload(models.Model):
    """A CSV file that passed validation and waits for the lead to commit it after the preview."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="telemetry_uploads")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    content = models.TextField()
    row_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename or 'upload'} ({self.row_count} rows)"


class KpiThreshold(models.Model):
    """A programme's own boundaries for one scorecard KPI (the defaults live in metrics.kpis)."""

    programme = models.ForeignKey(Programme, models.CASCADE, related_name="kpi_thresholds", db_index=False)
    kpi = models.CharField(max_length=50)
    green = models.FloatField()
    red = models.FloatField()
    green_high = models.FloatField(null=True, blank=True, help_text="Upper end of the green band.")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["programme_id", "kpi"]
        constraints = [models.UniqueConstraint(fields=["programme", "kpi"], name="kpithreshold_unique")]

    def __str__(self) -> str:
        return f"{self.kpi} of {self.programme}: green {self.green}, red {self.red}"
