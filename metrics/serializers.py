"""Shapes of the metrics API. Validation of telemetry points lives in metrics.telemetry (plain Python,
fast enough for 50,000 points a request); these serializers describe the contract in OpenAPI."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from metrics.kpis import Direction, Rag
from metrics.models import Snapshot
from metrics.snapshots import (
    day_bau_share,
    day_resolution_compliance,
    day_window,
    sla_compliance,
    tier_shares,
)


class WindowSerializer(serializers.Serializer):
    """The local days a figure covers."""

    first = serializers.DateField(help_text="First day (programme-local), inclusive.")
    last = serializers.DateField(help_text="Last day, inclusive; today's figures count up to now.")
    days = serializers.IntegerField()
    label = serializers.CharField(help_text='As the screens print it, e.g. "last 7 days, 14 Mar – 20 Mar".')


class DimensionsSerializer(serializers.Serializer):
    business_unit = serializers.CharField(required=False, allow_blank=True, max_length=100)
    geography = serializers.CharField(required=False, allow_blank=True, max_length=100)
    object = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="The object (Account, Case …) or process."
    )


class TelemetryPointSerializer(serializers.Serializer):
    series = serializers.SlugField(
        help_text="A series slug of the programme, e.g. daily_active_users, exceptions, transactions."
    )
    date = serializers.DateField(help_text="The programme-local day, not in the future.")
    value = serializers.FloatField(min_value=0, help_text="A JSON number, zero or more.")
    dimensions = DimensionsSerializer(
        required=False, help_text="Blank or missing dimensions mean the total over that dimension."
    )


class TelemetryAcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Points stored (inserted or replaced).")


class PointErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the point in the array (0-based).")
    field = serializers.CharField()
    message = serializers.CharField()


class TelemetryRejectedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    error_count = serializers.IntegerField()
    errors = PointErrorSerializer(many=True, help_text="The first 100 problems.")


class SlaCountsSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    open = serializers.IntegerField()


class SlaSeveritySerializer(serializers.Serializer):
    response = SlaCountsSerializer()
    resolution = SlaCountsSerializer()


class SnapshotSerializer(serializers.ModelSerializer):
    is_live = serializers.SerializerMethodField(help_text="True for today so far (computed now, not stored).")
    open_by_severity = serializers.DictField(child=serializers.IntegerField(), help_text='Keys "1" … "4".')
    open_by_tier = serializers.DictField(child=serializers.IntegerField(), help_text='Keys "1" … "3".')
    open_by_category = serializers.DictField(child=serializers.IntegerField())
    resolved_by_tier = serializers.DictField(
        child=serializers.IntegerField(), help_text="Tickets resolved at each tier, cumulative."
    )
    tier_shares = serializers.SerializerMethodField(help_text="% of resolved tickets resolved at each tier.")
    window = serializers.SerializerMethodField(help_text="The one day the day's figures cover.")
    bau_share = serializers.SerializerMethodField(
        help_text="The day's BAU share, as the scorecard and the exit gate define it over that one day: of "
        "the tickets reported that day that reached the desk (`intake_desk`), the % whose handling team is "
        "BAU (`intake_bau`)."
    )
    sla = serializers.DictField(child=SlaSeveritySerializer(), help_text="Per severity, cumulative.")
    sla_compliance = serializers.SerializerMethodField(
        help_text="`resolution`: the day's resolution SLA compliance, as the scorecard and the exit gate define "
        "it over that one day (`sla_resolution_met` of `sla_resolution_judged`); `response`: met / (met + "
        "breached) in %, all severities, cumulative."
    )

    class Meta:
        model = Snapshot
        fields = [
            "date",
            "is_live",
            "computed_at",
            "intake",
            "closures",
            "cumulative_intake",
            "cumulative_closures",
            "intake_defects",
            "intake_training_gaps",
            "intake_bau",
            "intake_desk",
            "bau_share",
            "open_total",
            "open_defects",
            "open_training_gaps",
            "open_by_severity",
            "open_by_tier",
            "open_by_category",
            "resolved_by_tier",
            "tier_shares",
            "cycle_time_median_hours",
            "cycle_time_p90_hours",
            "cycle_time_sample",
            "sla",
            "sla_resolution_met",
            "sla_resolution_judged",
            "sla_compliance",
            "window",
        ]

    def get_is_live(self, snapshot) -> bool:
        return snapshot.pk is None

    def get_tier_shares(self, snapshot) -> dict[str, float | None]:
        return {tier: _round(share) for tier, share in tier_shares(snapshot).items()}

    @property
    def _programme(self):
        return self.context["programme"]

    @extend_schema_field(WindowSerializer)
    def get_window(self, snapshot) -> dict:
        return WindowSerializer(day_window(snapshot, self._programme).as_dict()).data

    def get_bau_share(self, snapshot) -> float | None:
        return _round(day_bau_share(snapshot, self._programme).percent)

    def get_sla_compliance(self, snapshot) -> dict[str, float | None]:
        return {
            "response": _round(sla_compliance(snapshot, "response")),
            "resolution": _round(day_resolution_compliance(snapshot, self._programme).percent),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


class RagField(serializers.ChoiceField):
    """A red/amber/green status (one named schema component, RagStatus, wherever it appears)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Rag.choices, **kwargs)


class RagFieldSchema(OpenApiSerializerFieldExtension):
    target_class = RagField

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name="RagStatus",
            type=ResolvedComponent.SCHEMA,
            object="RagStatus",
            schema={
                "type": "string",
                "enum": Rag.values,
                "description": "green, amber, red, or none (no data).",
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class ThresholdSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=Direction.choices)
    green = serializers.FloatField()
    red = serializers.FloatField(help_text="For a band: how many points outside it turn red.")
    green_high = serializers.FloatField(allow_null=True, help_text="Upper end of a green band.")
    green_inclusive = serializers.BooleanField()
    text = serializers.CharField()


class KpiRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    status = RagField()
    detail = serializers.CharField(allow_blank=True)


class KpiSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    help = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    status = RagField()
    threshold = ThresholdSerializer()
    sparkline = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="Daily values."
    )
    rows = KpiRowSerializer(many=True)
    note = serializers.CharField(allow_blank=True)
    window = WindowSerializer(
        allow_null=True, help_text="The days `value` covers; null for a KPI cumulative since go-live."
    )


class AreaSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    status = RagField()
    kpis = KpiSerializer(many=True)


class FindingSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("business_unit", "Business unit"), ("process", "Process")])
    name = serializers.CharField()
    evidence = serializers.ListField(child=serializers.CharField())


class ScorecardSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    today = serializers.DateField(help_text="The programme's local date.")
    window_from = serializers.DateField(help_text="First day of the 7-day KPI window.")
    window_to = serializers.DateField()
    sparkline_from = serializers.DateField(help_text="First day of the sparklines.")
    areas = AreaSerializer(many=True)
    training_gaps = FindingSerializer(many=True)
