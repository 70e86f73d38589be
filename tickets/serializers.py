"""Shapes of tickets and known issues in the API. Validation of input shape only: the rules live in services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hypercare.calendar import WorkingCalendar, round_the_clock
from hypercare.roles import Team
from tickets.models import (
    OPEN_STATUSES,
    Attachment,
    Category,
    Clock,
    Comment,
    ImpactScope,
    KnownIssue,
    KnownIssueStatus,
    Severity,
    Status,
    Ticket,
    TicketEvent,
    Tier,
    Workaround,
)

KINDS = [("defect", "Defect"), ("training gap", "Training gap (how-to)"), ("other", "Other")]
RUNNING_STATUSES = frozenset({Status.NEW, Status.TRIAGED, Status.IN_PROGRESS})


class EnumField(serializers.ChoiceField):
    """A choice field published as a named enum component, so every endpoint shares one enum per value set."""

    def __init__(self, choices, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "tickets.serializers.EnumField"
    match_subclasses = True

    def get_name(self):
        # A blank-able use of an enum is its own component (the answer may be "" when not given).
        return ("Blank" if self.target.allow_blank else "") + self.target.enum_name

    def map_serializer_field(self, auto_schema, direction):
        values = list(self.target.choices) + ([""] if self.target.allow_blank else [])
        kind = "integer" if all(isinstance(value, int) for value in values) else "string"
        description = "\n".join(f"* `{value}` - {label}" for value, label in self.target.choices.items())
        return {"type": kind, "enum": values, "description": description}


def status_field(**kwargs) -> EnumField:
    return EnumField(Status.choices, enum_name="TicketStatusEnum", **kwargs)


def category_field(**kwargs) -> EnumField:
    return EnumField(Category.choices, enum_name="TicketCategoryEnum", **kwargs)


def severity_field(**kwargs) -> EnumField:
    return EnumField(Severity.choices, enum_name="TicketSeverityEnum", **kwargs)


def tier_field(**kwargs) -> EnumField:
    return EnumField(Tier.choices, enum_name="TicketTierEnum", **kwargs)


class OffsetDateTimeField(serializers.DateTimeField):
    """An ISO 8601 instant that must carry its UTC offset: a naive time is ambiguous across time zones."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-03-02T09:30:00+00:00.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = parse_datetime(value.strip())
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


@extend_schema_field(OpenApiTypes.INT)
class ProgrammeKnownIssueField(serializers.PrimaryKeyRelatedField):
    """The id of a known issue of the programme in the serializer's context."""

    default_error_messages = {
        "does_not_exist": "No such known issue in this programme.",
        "incorrect_type": "Give the known issue's id (an integer).",
    }

    def get_queryset(self):
        return KnownIssue.objects.filter(programme=self.context["programme"])


# SLA figures -----------------------------------------------------------------------------


class SlaCalendars:
    """The programme's working calendars, built once per request (not once per ticket)."""

    def __init__(self, programme, now: datetime | None = None):
        self.programme = programme
        self.now = now or timezone.now()

    @cached_property
    def business(self) -> WorkingCalendar:
        return self.programme.calendar.working_calendar

    @cached_property
    def round_the_clock(self) -> WorkingCalendar:
        return round_the_clock(self.programme.timezone)

    def for_clock(self, clock: str) -> WorkingCalendar:
        return self.business if clock == Clock.BUSINESS else self.round_the_clock


@dataclass(frozen=True)
class SlaFigures:
    time_remaining_minutes: int | None
    at_risk: bool
    response_breached: bool
    resolution_breached: bool
    paused: bool


def sla_figures(ticket: Ticket, calendars: SlaCalendars) -> SlaFigures:
    """A ticket's SLA state now, from its stored due instants (no query beyond the calendar's)."""
    now = calendars.now
    response_open = (
        ticket.status in OPEN_STATUSES
        and ticket.first_responded_at is None
        and ticket.response_due_at is not None
    )
    resolution_open = ticket.status in RUNNING_STATUSES and ticket.resolution_due_at is not None
    response_breached = ticket.response_breached or (response_open and now > ticket.response_due_at)
    resolution_breached = ticket.resolution_breached or (resolution_open and now > ticket.resolution_due_at)
    at_risk = (
        response_open
        and not response_breached
        and ticket.response_at_risk_at is not None
        and now >= ticket.response_at_risk_at
    ) or (
        resolution_open
        and not resolution_breached
        and ticket.resolution_at_risk_at is not None
        and now >= ticket.resolution_at_risk_at
    )
    dues = []
    if response_open:
        dues.append(ticket.response_due_at)
    if resolution_open:
        dues.append(ticket.resolution_due_at)
    remaining = None
    if dues:
        due = min(dues)
        calendar = calendars.for_clock(ticket.sla_clock)
        if due >= now:
            remaining = int(calendar.working_minutes_between(now, due))
        else:
            remaining = -int(calendar.working_minutes_between(due, now)) or -1
    return SlaFigures(
        time_remaining_minutes=remaining,
        at_risk=bool(at_risk),
        response_breached=bool(response_breached),
        resolution_breached=bool(resolution_breached),
        paused=ticket.paused_at is not None,
    )


# Tickets: output ---------------------------------------------------------------------------


class TicketSerializer(serializers.ModelSerializer):
    """A row of the queue."""

    status = status_field(read_only=True)
    category = category_field(read_only=True)
    severity = severity_field(read_only=True)
    tier = tier_field(read_only=True)
    kind = EnumField(
        KINDS,
        enum_name="TicketKindEnum",
        read_only=True,
        help_text="Defect, training gap (how-to) or other: the split the seeds ask every list to show.",
    )
    is_training_gap = serializers.BooleanField(read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    team = serializers.SerializerMethodField(help_text="Handling team, derived from the assignee.")
    reporter = serializers.SlugRelatedField(slug_field="username", read_only=True)
    known_issue = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    resolved_at_tier = tier_field(read_only=True, allow_null=True)
    time_remaining_minutes = serializers.SerializerMethodField(
        help_text="Minutes on the ticket's SLA clock (working minutes on a business-hours clock) until the "
        "nearest open due instant; negative when overdue; null when no clock is running."
    )
    at_risk = serializers.SerializerMethodField(help_text="An open clock has used its at-risk share.")
    response_breached = serializers.SerializerMethodField()
    resolution_breached = serializers.SerializerMethodField()
    paused = serializers.SerializerMethodField(
        help_text="The resolution clock is paused (waiting on the reporter)."
    )

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "title",
            "status",
            "severity",
            "tier",
            "category",
            "kind",
            "is_training_gap",
            "assignee",
            "team",
            "reporter",
            "business_unit",
            "geography",
            "process",
            "known_issue",
            "reported_at",
            "triaged_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "resolved_at_tier",
            "response_due_at",
            "resolution_due_at",
            "time_remaining_minutes",
            "at_risk",
            "response_breached",
            "resolution_breached",
            "paused",
            "updated_at",
        ]
        read_only_fields = fields

    def _sla(self, ticket: Ticket) -> SlaFigures:
        cache = self.context.setdefault("_sla", {})
        if ticket.pk not in cache:
            calendars = self.context.get("sla_calendars") or SlaCalendars(ticket.programme)
            cache[ticket.pk] = sla_figures(ticket, calendars)
        return cache[ticket.pk]

    @extend_schema_field(EnumField(Team.choices, enum_name="TicketTeamEnum", allow_null=True))
    def get_team(self, ticket: Ticket) -> str | None:
        return ticket.team or None

    def get_time_remaining_minutes(self, ticket: Ticket) -> int | None:
        return self._sla(ticket).time_remaining_minutes

    def get_at_risk(self, ticket: Ticket) -> bool:
        return self._sla(ticket).at_risk

    def get_response_breached(self, ticket: Ticket) -> bool:
        return self._sla(ticket).response_breached

    def get_resolution_breached(self, ticket: Ticket) -> bool:
        return self._sla(ticket).resolution_breached

    def get_paused(self, ticket: Ticket) -> bool:
        return self._sla(ticket).paused


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "internal", "created_at"]
        read_only_fields = fields


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    kind = EnumField(
        TicketEvent._meta.get_field("kind").choices, enum_name="TicketEventKindEnum", read_only=True
    )

    class Meta:
        model = TicketEvent
        fields = ["kind", "actor", "at", "from_value", "to_value", "note", "internal"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "internal", "uploaded_by", "created_at"]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    """A ticket with its triage, resolution and the part of its timeline the caller may see."""

    impact_scope = EnumField(
        ImpactScope.choices, enum_name="TicketImpactScopeEnum", read_only=True, allow_blank=True
    )
    workaround = EnumField(
        Workaround.choices, enum_name="TicketWorkaroundEnum", read_only=True, allow_blank=True
    )
    computed_severity = severity_field(read_only=True, allow_null=True)
    known_issue_title = serializers.CharField(source="known_issue.title", read_only=True, allow_null=True)
    replication_steps = serializers.SerializerMethodField(
        help_text="Tier 3 working notes: null for callers who do not see internal notes."
    )
    comments = CommentSerializer(many=True, read_only=True, source="visible_comments")
    timeline = TicketEventSerializer(many=True, read_only=True, source="visible_events")
    attachments = AttachmentSerializer(many=True, read_only=True, source="visible_attachments")

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "description",
            "impact_scope",
            "workaround",
            "blocks_vital_process",
            "computed_severity",
            "severity_reason",
            "replication_steps",
            "resolution",
            "source_reference",
            "known_issue_title",
            "comments",
            "timeline",
            "attachments",
        ]
        read_only_fields = fields

    def get_replication_steps(self, ticket: Ticket) -> str | None:
        access = self.context.get("access")
        return ticket.replication_steps if access is not None and access.sees_internal else None


# Tickets: input ----------------------------------------------------------------------------


class TriageAnswersMixin(serializers.Serializer):
    impact_scope = EnumField(
        ImpactScope.choices,
        enum_name="TicketImpactScopeEnum",
        required=False,
        help_text="How many people are affected.",
    )
    workaround = EnumField(
        Workaround.choices,
        enum_name="TicketWorkaroundEnum",
        required=False,
        help_text="Is there a workaround?",
    )
    blocks_vital_process = serializers.BooleanField(
        required=False, allow_null=True, help_text="Does it block a vital business process?"
    )

    ANSWERS = ("impact_scope", "workaround", "blocks_vital_process")

    def validate(self, attrs):
        given = [name for name in self.ANSWERS if attrs.get(name) is not None]
        if given and len(given) < len(self.ANSWERS):
            missing = [name for name in self.ANSWERS if name not in given]
            raise serializers.ValidationError(
                dict.fromkeys(
                    missing,
                    "Answer all three triage questions (impact_scope, workaround, blocks_vital_process).",
                )
            )
        return attrs


class TicketCreateSerializer(TriageAnswersMixin):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    business_unit = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="Defaults to the reporter's."
    )
    geography = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="Defaults to the reporter's."
    )
    process = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Business process or object."
    )
    category = category_field(default=Category.DEFECT)
    severity = severity_field(
        required=False, help_text="An explicit severity instead of the triage answers; needs severity_reason."
    )
    severity_reason = serializers.CharField(required=False, allow_blank=True, default="")
    reported_at = OffsetDateTimeField(
        required=False,
        help_text="Leads only, for historical tickets: ISO 8601 with a UTC offset, never in the future.",
    )
    resolved_at_tier1 = serializers.BooleanField(
        default=False, help_text="A champion resolved it on the spot (needs resolution)."
    )
    resolution = serializers.CharField(required=False, allow_blank=True, default="")
    known_issue = ProgrammeKnownIssueField(required=False, allow_null=True, default=None)


class TicketUpdateSerializer(TriageAnswersMixin):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    business_unit = serializers.CharField(max_length=100, required=False, allow_blank=True)
    geography = serializers.CharField(max_length=100, required=False, allow_blank=True)
    process = serializers.CharField(max_length=200, required=False, allow_blank=True)
    category = category_field(required=False)
    severity = severity_field(required=False, help_text="A change needs severity_reason.")
    severity_reason = serializers.CharField(required=False, allow_blank=True)
    assignee = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="Username of a desk analyst, engineer, BAU member or lead; null unassigns.",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "severity_reason" in attrs and "severity" not in attrs and "impact_scope" not in attrs:
            raise serializers.ValidationError({"severity": "Give the new severity with its severity_reason."})
        return attrs


class EscalateSerializer(serializers.Serializer):
    to_tier = tier_field()
    replication_steps = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required to reach Tier 3: the steps, what happens, what should happen.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField()
    internal = serializers.BooleanField(
        default=False, help_text="Tier 2/3 and leads only; hidden from champions."
    )


class TransitionSerializer(serializers.Serializer):
    status = status_field(help_text="Resolve with resolve/ and reopen with reopen/.")
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A public comment."
    )


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(help_text="The resolution note for the reporter.")


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField()


class LinkSerializer(serializers.Serializer):
    known_issue = ProgrammeKnownIssueField(allow_null=True, help_text="Id of a known issue; null unlinks.")


class AssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(allow_null=True, help_text="Username; null unassigns.")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="Images (PNG, JPEG, GIF), PDF, ZIP/Office or text logs; 10 MB at most."
    )
    internal = serializers.BooleanField(default=False)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


# Known issues ------------------------------------------------------------------------------


class KnownIssueSerializer(serializers.ModelSerializer):
    status = EnumField(KnownIssueStatus.choices, enum_name="KnownIssueStatusEnum", required=False)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    ticket_count = serializers.IntegerField(read_only=True, help_text="Tickets linked to it.")
    open_ticket_count = serializers.IntegerField(read_only=True, help_text="Open tickets linked to it.")

    class Meta:
        model = KnownIssue
        fields = [
            "id",
            "title",
            "symptoms",
            "workaround",
            "status",
            "fix_expected_on",
            "fixed_at",
            "ticket_count",
            "open_ticket_count",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "fixed_at", "created_by", "created_at", "updated_at"]
