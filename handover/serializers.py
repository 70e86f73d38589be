"""Shapes of the handover API: exit gate, criteria, sign-offs, pack, runbooks, knowledge transfer.
No rules here: the services hold them."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from handover.models import (
    Attestation,
    AttestationOutcome,
    CriterionKind,
    CriterionStatus,
    HandoverItem,
    ItemKind,
    PhaseKind,
    Runbook,
    RunbookStatus,
    SignOff,
    SignOffKind,
)
from handover.services import signoff_verify
from metrics.serializers import WindowSerializer

User = get_user_model()


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


# ---------------------------------------------------------------------------------------------
# Handover pack, runbooks, knowledge transfer and exit criteria


class UsernameField(serializers.CharField):
    """A person given by username (null for nobody); the service checks they are a member."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(max_length=150, **kwargs)

    def run_validation(self, data=serializers.empty):
        username = super().run_validation(data)
        if username is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise serializers.ValidationError("No such member of the programme.")
        return user


class HandoverItemSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", allow_null=True, default=None)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    has_document = serializers.BooleanField()
    link = serializers.CharField(allow_blank=True, help_text="The document's address; blank for none.")
    runbook_count = serializers.IntegerField(default=0)

    class Meta:
        model = HandoverItem
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "owner",
            "due_date",
            "status",
            "has_document",
            "document_name",
            "link",
            "rejection_reason",
            "decided_by",
            "decided_at",
            "runbook_count",
            "position",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class HandoverItemCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ItemKind.choices, default=ItemKind.OTHER)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000, default="")
    owner = UsernameField(help_text="Username of the member who supplies the document; null for nobody.")
    due_date = serializers.DateField(required=False, allow_null=True)


class HandoverItemUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    owner = UsernameField(help_text="Username of the member who supplies the document; null for nobody.")
    due_date = serializers.DateField(required=False, allow_null=True)
    link = serializers.URLField(
        required=False,
        max_length=500,
        help_text="A link to the document (the owner or a lead): a missing or rejected item becomes a draft.",
    )

    EDIT_FIELDS = ("title", "description", "owner", "due_date")


class ItemRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000, help_text="Why the item is rejected (required).")


class RunbookSerializer(serializers.ModelSerializer):
    known_issue = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    item = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    tickets = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username")
    published_by = serializers.CharField(source="published_by.username", allow_null=True, default=None)

    class Meta:
        model = Runbook
        fields = [
            "id",
            "title",
            "status",
            "symptoms",
            "workaround",
            "steps",
            "known_issue",
            "tickets",
            "item",
            "created_by",
            "created_at",
            "updated_at",
            "published_at",
            "published_by",
        ]
        read_only_fields = fields

    def get_tickets(self, obj) -> list[str]:
        """References of the resolved tickets the runbook was drafted from."""
        return [ticket.reference for ticket in obj.tickets.all()]


class RunbookCreateSerializer(serializers.Serializer):
    known_issue = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,  # a bigger number is bad input, not a query SQLite cannot run
        help_text="Draft from this known issue (its resolved tickets join in).",
    )
    tickets = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=200,
        help_text="References of resolved tickets to draft from.",
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class RunbookUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    symptoms = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    workaround = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    steps = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    status = serializers.ChoiceField(
        choices=RunbookStatus.choices,
        required=False,
        help_text='"published" publishes the runbook; a published one does not return to draft.',
    )

    TEXT_FIELDS = ("title", "symptoms", "workaround", "steps")


class KtPhaseRowSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=PhaseKind.choices, source="phase.phase")
    label = serializers.CharField(source="phase.get_phase_display")
    starts_on = serializers.DateField(source="phase.starts_on")
    ends_on = serializers.DateField(allow_null=True, help_text="Null for the last phase.")
    current = serializers.BooleanField(source="is_current")
    past = serializers.BooleanField(source="is_past")
    tickets = serializers.IntegerField(
        help_text="Tickets reported in the phase so far that reached the desk."
    )
    bau = serializers.IntegerField(help_text="Of those, the ones whose handling team is BAU.")
    bau_share = serializers.FloatField(
        allow_null=True,
        help_text="bau ÷ tickets in percent (the scorecard's BAU share over the phase's days).",
    )


class ShareSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="Percent; null while nothing was reported.")
    part = serializers.FloatField()
    whole = serializers.FloatField()
    window = WindowSerializer()


class KnowledgeTransferSerializer(serializers.Serializer):
    phases = KtPhaseRowSerializer(many=True)
    planned_phase = serializers.ChoiceField(
        choices=PhaseKind.choices, allow_null=True, help_text="The phase the plan puts today in."
    )
    measured_phase = serializers.ChoiceField(
        choices=PhaseKind.choices,
        allow_null=True,
        help_text="The phase the handling data shows (the exit gate's BAU handling criteria).",
    )
    measured_reason = serializers.CharField(allow_blank=True)
    bau_share = ShareSerializer(help_text="The scorecard's and the exit gate's BAU share, over their window.")


class KnowledgeTransferPlanSerializer(serializers.Serializer):
    """The whole plan: the start date of every phase, in order."""

    project_leads = serializers.DateField()
    co_managed = serializers.DateField()
    bau_leads = serializers.DateField()
    handed_over = serializers.DateField()


class ExitCriterionSerializer(CriterionResultSerializer):
    description = serializers.CharField(allow_blank=True)
    attested = serializers.BooleanField(help_text="True when a person attests it (POST …/attest/).")


class ExitCriterionUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    threshold = serializers.DecimalField(
        required=False,
        allow_null=True,
        max_digits=12,
        decimal_places=4,
        min_value=0,
        help_text="For a criterion judging a scorecard figure, this moves the KPI's green boundary.",
    )
    window_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=366)
    share_threshold = serializers.DecimalField(
        required=False, allow_null=True, max_digits=7, decimal_places=4, min_value=0, max_value=100
    )


class AttestSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=AttestationOutcome.choices)
    note = serializers.CharField(max_length=5000, help_text="What you checked.")
    evidence_url = serializers.URLField(required=False, allow_blank=True, max_length=500, default="")
    evidence_file = serializers.FileField(
        required=False, help_text="Evidence as a file (multipart); a link or a file is required."
    )


class AttestationSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username")
    evidence_url = serializers.CharField(allow_blank=True, help_text="Blank when the evidence is a file.")
    evidence_file = serializers.CharField(source="evidence_name", help_text="Name of the uploaded file.")

    class Meta:
        model = Attestation
        fields = ["id", "criterion", "outcome", "note", "evidence_url", "evidence_file", "by", "at"]
        read_only_fields = fields
