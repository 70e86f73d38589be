"""Shapes of the releases API. Serializers validate input and shape output; the rules live in services."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from releases.models import (
    Bulletin,
    BulletinState,
    ChangeKind,
    ChangeStatus,
    Hotfix,
    HotfixStage,
    PatchRelease,
    ProductionChange,
    ReleaseStatus,
    Risk,
    Stage,
    StatusReport,
    Webhook,
    WebhookEvent,
)
from tickets.models import KnownIssue, Ticket


class TicketRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["reference", "title", "severity"]


class HotfixStageSerializer(serializers.ModelSerializer):
    stage = serializers.ChoiceField(choices=Stage.choices, read_only=True)
    by = serializers.CharField(source="by.username", read_only=True)
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = HotfixStage
        fields = ["stage", "by", "at", "evidence_link", "report_url", "pass_count", "note", "emergency"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_report_url(self, record) -> str | None:
        if not record.evidence_file:
            return None
        hotfix = record.hotfix
        return reverse("releases:hotfix_report", args=[hotfix.programme.slug, hotfix.pk, record.stage])


class HotfixSerializer(serializers.ModelSerializer):
    stage = serializers.ChoiceField(choices=[("", "Recorded"), *Stage.choices], read_only=True)
    stage_label = serializers.CharField(read_only=True)
    next_stage = serializers.CharField(
        read_only=True, allow_null=True, help_text="The stage to record next (null once deployed)."
    )
    tickets = TicketRefSerializer(many=True, read_only=True)
    known_issue_title = serializers.CharField(
        source="known_issue.title", read_only=True, default=None, allow_null=True
    )
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    stages = HotfixStageSerializer(many=True, read_only=True)

    class Meta:
        model = Hotfix
        fields = [
            "id",
            "title",
            "summary",
            "emergency",
            "stage",
            "stage_label",
            "next_stage",
            "tickets",
            "known_issue",
            "known_issue_title",
            "release",
            "created_by",
            "created_at",
            "deployed_at",
            "stages",
        ]
        read_only_fields = fields


class HotfixCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    tickets = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        default=list,
        help_text='Ticket references, e.g. ["ACME-12", "ACME-15"].',
    )
    known_issue = serializers.PrimaryKeyRelatedField(
        queryset=KnownIssue.objects.none(), required=False, allow_null=True, default=None
    )
    emergency = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args, programme=None, **kwargs):
        super().__init__(*args, **kwargs)
        if programme is not None:
            self.fields["known_issue"].queryset = KnownIssue.objects.filter(programme=programme)


class EvidenceSerializer(serializers.Serializer):
    link = serializers.URLField(required=False, allow_blank=True, default="", max_length=500)
    pass_count = serializers.IntegerField(required=False, allow_null=True, min_value=0, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class HotfixAdvanceSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    evidence = EvidenceSerializer(
        required=False,
        help_text="regression_passed needs a link (or an uploaded report) and pass_count.",
    )
    report = serializers.FileField(
        required=False, help_text="An uploaded regression report (multipart, with evidence.pass_count)."
    )

    def to_internal_value(self, data):
        # Forgiving shapes for JSON callers: "evidence" as a bare URL, "url" for "link",
        # and pass_count / note given next to "stage" instead of inside "evidence".
        if isinstance(data, dict) and not hasattr(data, "getlist"):  # JSON, not a form's QueryDict
            data = dict(data)
            evidence = data.get("evidence")
            if isinstance(evidence, str):
                evidence = {"link": evidence}
            evidence = dict(evidence or {})
            if "url" in evidence and "link" not in evidence:
                evidence["link"] = evidence.pop("url")
            for name in ("pass_count", "note", "link"):
                if name in data and name not in evidence:
                    evidence[name] = data.pop(name)
            if evidence:
                data["evidence"] = evidence
        return super().to_internal_value(data)


class PatchReleaseSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ReleaseStatus.choices, read_only=True)
    name = serializers.CharField(read_only=True)
    hotfixes = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    deployed_by = serializers.CharField(
        source="deployed_by.username", read_only=True, default=None, allow_null=True
    )
    release_notes = serializers.SerializerMethodField()

    class Meta:
        model = PatchRelease
        fields = [
            "id",
            "number",
            "name",
            "planned_for",
            "status",
            "hotfixes",
            "deployed_at",
            "deployed_by",
            "release_notes",
        ]
        read_only_fields = fields

    def get_release_notes(self, release) -> str:
        if release.notes:
            return release.notes
        from releases.services import release_notes

        return release_notes(release=release)


class ProductionChangeSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, default=None, allow_null=True
    )
    kind = serializers.ChoiceField(choices=ChangeKind.choices, default=ChangeKind.OTHER)
    risk = serializers.ChoiceField(choices=Risk.choices, default=Risk.MEDIUM)
    status = serializers.ChoiceField(choices=ChangeStatus.choices, read_only=True)

    class Meta:
        model = ProductionChange
        fields = [
            "id",
            "title",
            "kind",
            "component",
            "description",
            "impact_assessment",
            "risk",
            "rollback_plan",
            "hotfix",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = ["status", "requested_at", "decided_at", "decision_note"]
        extra_kwargs = {"hotfix": {"required": False, "allow_null": True}}

    def __init__(self, *args, programme=None, **kwargs):
        super().__init__(*args, **kwargs)
        if programme is not None:
            self.fields["hotfix"].queryset = Hotfix.objects.filter(programme=programme)


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.MultipleChoiceField(choices=WebhookEvent.choices)
    secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Empty: one is generated."
    )

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "events", "format", "secret", "is_active", "created_at"]
        read_only_fields = ["is_active", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["events"] = list(instance.events)
        return data


class StatusReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusReport
        fields = ["id", "kind", "date", "state", "subject", "recipient_count", "sent_at"]
        read_only_fields = fields


class StatusReportDetailSerializer(StatusReportSerializer):
    data = serializers.JSONField(help_text="The figures as they were sent (the report page shows the same).")

    class Meta(StatusReportSerializer.Meta):
        fields = [*StatusReportSerializer.Meta.fields, "data"]
        read_only_fields = fields


class BulletinSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(choices=BulletinState.choices, read_only=True)
    audience = serializers.CharField(source="audience_label", read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )
    sent_by = serializers.CharField(source="sent_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "date",
            "title",
            "business_units",
            "geographies",
            "audience",
            "fixed",
            "coming",
            "workarounds",
            "message",
            "state",
            "scheduled",
            "created_by",
            "created_at",
            "sent_by",
            "sent_at",
            "recipient_count",
        ]
        read_only_fields = fields


class BulletinWriteSerializer(serializers.Serializer):
    """A draft's fields; any left out keep their value (or, on create, the prepared or default one)."""

    date = serializers.DateField(required=False)
    title = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    business_units = serializers.ListField(child=serializers.CharField(), required=False)
    geographies = serializers.ListField(child=serializers.CharField(), required=False)
    fixed = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    coming = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    workarounds = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    message = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class BulletinCreateSerializer(BulletinWriteSerializer):
    from_draft = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Fill the sections from today's known issues and releases (fields given still win).",
    )
