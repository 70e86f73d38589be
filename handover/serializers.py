"""Shapes of the exit-gate and sign-off API. No rules here: the services hold them."""

from rest_framework import serializers

from handover.models import CriterionKind, CriterionStatus, SignOff, SignOffKind
from handover.services import signoff_verify
from metrics.serializers import WindowSerializer


class AttestationSnapshotSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    by = serializers.CharField(help_text="Username of the attester.")
    by_name = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField()
    evidence_url = serializers.CharField(allow_blank=True)
    evidence_file = serializers.CharField(allow_blank=True, help_text="Name of the uploaded evidence file.")


class CriterionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CriterionKind.choices)
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=CriterionStatus.choices)
    value = serializers.FloatField(allow_null=True, help_text="The measured value (null: not measurable).")
    value_display = serializers.CharField()
    threshold = serializers.CharField(
        allow_null=True,
        help_text="The threshold in force as a decimal string. For the criteria that judge a scorecard figure "
        "(exception rate, integration success, governor-limit alerts, lock contentions, BAU share, SLA "
        "compliance) it is the scorecard KPI's green boundary: one threshold for both.",
    )
    threshold_display = serializers.CharField()
    window_days = serializers.IntegerField(allow_null=True)
    window = WindowSerializer(
        allow_null=True,
        help_text="The local days a figure criterion measured (the scorecard's window for the same figure); "
        "null for the other kinds.",
    )
    share_threshold = serializers.CharField(
        allow_null=True,
        help_text="Co-management: the share (percent) of each working day's handled tickets BAU must have "
        "handled; null for other kinds, or for the default (25).",
    )
    test = serializers.CharField(help_text="The exact rule the value is tested against.")
    detail = serializers.CharField(allow_blank=True)
    evidence_url = serializers.CharField(allow_blank=True)
    evidence_items = serializers.ListField(
        child=serializers.DictField(),
        help_text='What the measurement found, item by item, each with a "text": the working days that were '
        "not co-managed (date, handled, bau), the rescues (reference, at, from, to, url), the days a trend "
        "was fitted to.",
    )
    forecast = serializers.DateField(
        allow_null=True,
        help_text="When a criterion that does not pass is expected to pass, if there is a date.",
    )
    forecast_note = serializers.CharField(
        allow_blank=True, help_text="How the forecast was made, or why there is none."
    )
    attestation = AttestationSnapshotSerializer(allow_null=True)


class PackProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    accepted = serializers.IntegerField()
    submitted = serializers.IntegerField()
    draft = serializers.IntegerField()
    missing = serializers.IntegerField()
    rejected = serializers.IntegerField()
    percent = serializers.IntegerField()


class ExitGateSerializer(serializers.Serializer):
    programme = serializers.CharField()
    evaluated_at = serializers.DateTimeField()
    green = serializers.BooleanField(help_text="True only when every criterion passes.")
    forecast_green_on = serializers.DateField(allow_null=True)
    forecast_note = serializers.CharField()
    planned_exit_date = serializers.DateField()
    forecast_after_planned_exit = serializers.BooleanField(
        help_text="True when the gate is forecast to turn green only after the planned exit date."
    )
    kt_phase = serializers.CharField(
        allow_null=True, help_text="The knowledge-transfer phase planned for today."
    )
    kt_phase_measured = serializers.CharField(
        allow_null=True,
        help_text="The phase the handling data shows (project_leads, co_managed or bau_leads); null without "
        "the BAU handling criteria.",
    )
    days_in_hypercare = serializers.IntegerField()
    days_planned = serializers.IntegerField()
    pack = PackProgressSerializer()
    criteria = CriterionResultSerializer(many=True)


class SignOffSerializer(serializers.ModelSerializer):
    signatory = serializers.CharField(source="signatory.username", read_only=True)
    signatory_name = serializers.SerializerMethodField()
    revoked = serializers.SerializerMethodField()
    hash_verified = serializers.SerializerMethodField()
    revokes = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = SignOff
        fields = [
            "id",
            "kind",
            "signatory",
            "signatory_name",
            "role",
            "signed_at",
            "ip_address",
            "gate_green",
            "justifications",
            "revokes",
            "revoked",
            "reason",
            "content_hash",
            "hash_verified",
            "snapshot",
        ]
        read_only_fields = fields

    def get_signatory_name(self, obj) -> str:
        return obj.signatory.get_full_name() or obj.signatory.get_username()

    def get_revoked(self, obj) -> bool:
        return obj.kind == SignOffKind.SIGN_OFF and obj.is_revoked

    def get_hash_verified(self, obj) -> bool:
        return signoff_verify(obj)


class SignOffCreateSerializer(serializers.Serializer):
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, help_text="Your password, asked again to sign."
    )
    justifications = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text='While the gate is not green: {"<criterion id>": "why you sign anyway"} for every failing criterion.',
    )


class SignOffRevokeSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    reason = serializers.CharField(help_text="Why the sign-off is revoked.")
