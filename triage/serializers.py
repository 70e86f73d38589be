"""Shapes of the triage API. They validate input and shape output; the rules live in triage.services."""

from __future__ import annotations

from rest_framework import serializers

from hypercare.vocabulary import Clock, ImpactScope, Workaround


class SlaTargetSerializer(serializers.Serializer):
    severity = serializers.IntegerField(min_value=1, max_value=4)
    response_minutes = serializers.IntegerField(min_value=1)
    resolution_minutes = serializers.IntegerField(min_value=1, allow_null=True)
    clock = serializers.ChoiceField(choices=Clock.choices)
    at_risk_percent = serializers.IntegerField(min_value=1, max_value=100, default=75)


class SlaPolicySerializer(serializers.Serializer):
    """A version of the SLA policy: its targets per severity and the instant it applies from."""

    version = serializers.IntegerField(source="pk", read_only=True)
    effective_from = serializers.DateTimeField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )
    created_at = serializers.DateTimeField(read_only=True)
    targets = SlaTargetSerializer(many=True)

    def validate_targets(self, value):
        severities = [row["severity"] for row in value]
        if sorted(severities) != [1, 2, 3, 4]:
            raise serializers.ValidationError(
                "Give exactly one target for each of Sev1, Sev2, Sev3 and Sev4."
            )
        return value


class MatrixCellSerializer(serializers.Serializer):
    impact_scope = serializers.ChoiceField(choices=ImpactScope.choices)
    workaround = serializers.ChoiceField(choices=Workaround.choices)
    blocks_vital_process = serializers.BooleanField()
    severity = serializers.IntegerField(min_value=1, max_value=4)


class MatrixSerializer(serializers.Serializer):
    """The programme's triage matrix: every combination of answers and the severity it gives."""

    cells = MatrixCellSerializer(many=True)
    always_sev4_categories = serializers.ListField(child=serializers.CharField(), read_only=True)


class MatrixUpdateResultSerializer(MatrixSerializer):
    changed = serializers.IntegerField(read_only=True)


class PeriodQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "end must be after start."})
        return attrs


class ComplianceRowSerializer(serializers.Serializer):
    met = serializers.IntegerField(
        help_text="Judged in the period and resolved by the resolution due instant."
    )
    breached = serializers.IntegerField(
        help_text="Judged in the period: resolved late, or still open past it."
    )
    open = serializers.IntegerField(help_text="Still open, resolution target not due yet: not judged.")
    total = serializers.IntegerField()
    response_breached = serializers.IntegerField(
        help_text="Of these tickets, those that missed the response target."
    )
    resolution_breached = serializers.IntegerField(help_text="The same as `breached`.")
    met_percent = serializers.FloatField(
        allow_null=True,
        help_text="met / (met + breached) × 100, one decimal: the scorecard's resolution compliance.",
    )


class SeverityComplianceSerializer(ComplianceRowSerializer):
    severity = serializers.IntegerField()


class TierComplianceSerializer(ComplianceRowSerializer):
    tier = serializers.IntegerField()


class ComplianceSerializer(serializers.Serializer):
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    at = serializers.DateTimeField()
    overall = ComplianceRowSerializer()
    by_severity = SeverityComplianceSerializer(many=True)
    by_tier = TierComplianceSerializer(many=True)


class OverridePersonSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    decisions = serializers.IntegerField()
    overridden = serializers.IntegerField()


class OverrideSerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    at = serializers.DateTimeField()
    username = serializers.CharField()
    computed_severity = serializers.IntegerField(allow_null=True)
    severity = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class OverrideReportSerializer(serializers.Serializer):
    decisions = serializers.IntegerField()
    overridden = serializers.IntegerField()
    override_percent = serializers.FloatField(allow_null=True)
    raised = serializers.IntegerField(help_text="Overrides that made the ticket more severe than the matrix.")
    lowered = serializers.IntegerField(
        help_text="Overrides that made the ticket less severe than the matrix."
    )
    by_person = OverridePersonSerializer(many=True)
    recent = OverrideSerializer(many=True)


class ClockReportSerializer(serializers.Serializer):
    target_minutes = serializers.IntegerField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    at_risk_at = serializers.DateTimeField(allow_null=True)
    used_minutes = serializers.FloatField(
        help_text="Working minutes counted so far (or until the clock stopped)."
    )
    left_minutes = serializers.FloatField(
        allow_null=True, help_text="Working minutes left; negative when overdue."
    )
    breached = serializers.BooleanField()
    state = serializers.CharField()
    why = serializers.CharField()
    paused_minutes = serializers.FloatField()
    stopped_minutes = serializers.FloatField()


class MomentSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    clock = serializers.CharField()
    what = serializers.CharField()
    detail = serializers.CharField()


class SegmentSerializer(serializers.Serializer):
    state = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True)
    working_minutes = serializers.FloatField()
    status = serializers.CharField(source="reason")


class RecomputeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    by = serializers.CharField()
    reason = serializers.CharField()
    changed = serializers.ListField(child=serializers.CharField())
    previous = serializers.DictField()
    current = serializers.DictField()


class PolicyRefSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="pk")
    effective_from = serializers.DateTimeField()
    note = serializers.CharField()


class TicketSlaSerializer(serializers.Serializer):
    """A ticket's SLA timeline: the clocks, why they are due when they are, and their history."""

    reference = serializers.CharField(source="ticket.reference")
    severity = serializers.IntegerField(source="ticket.severity")
    status = serializers.CharField(source="ticket.status")
    at = serializers.DateTimeField()
    policy = PolicyRefSerializer(allow_null=True)
    clock = serializers.CharField()
    timezone = serializers.CharField()
    calendar = serializers.CharField()
    holidays = serializers.SerializerMethodField()
    started_at = serializers.DateTimeField(allow_null=True)
    response_due_at = serializers.DateTimeField(source="response.due_at", allow_null=True, default=None)
    resolution_due_at = serializers.DateTimeField(source="resolution.due_at", allow_null=True, default=None)
    response_minutes_left = serializers.FloatField(
        source="response.left_minutes", allow_null=True, default=None
    )
    resolution_minutes_left = serializers.FloatField(
        source="resolution.left_minutes", allow_null=True, default=None
    )
    at_risk = serializers.BooleanField()
    response_breached = serializers.BooleanField(source="response.breached", default=False)
    resolution_breached = serializers.BooleanField(source="resolution.breached", default=False)
    paused = serializers.BooleanField()
    response = ClockReportSerializer(allow_null=True)
    resolution = ClockReportSerializer(allow_null=True)
    moments = MomentSerializer(many=True)
    segments = SegmentSerializer(many=True)
    recomputes = RecomputeSerializer(many=True)

    def get_holidays(self, obj) -> list[dict]:
        return [{"date": day.isoformat(), "name": name} for day, name in obj.holidays]


class OnCallShiftSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(source="user.username")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
