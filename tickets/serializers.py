"""Shapes of tickets and known issues in the API. Validation of input shape only: the rules live in services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from hypercare.calendar import WorkingCalendar, round_the_clock
from hypercare.roles import Team
from hypercare.vocabulary import (
    TRAINING_GAP_CATEGORIES,
    Category,
    Clock,
    ImpactScope,
    Severity,
    Status,
    TicketKind,
    Tier,
    Workaround,
    kind_of,
)
from sla import outcomes
from tickets.models import (
    DETAILS_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Attachment,
    CannedReply,
    Comment,
    KnownIssue,
    KnownIssueStatus,
    Ticket,
    TicketEvent,
)

KINDS = TicketKind.choices


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

    def minutes_between(self, clock: str, start: datetime, end: datetime) -> float:
        """Working minutes from `start` to `end` on the ticket's clock.

        On the 24×7 clock every minute counts: its windows run midnight to midnight, back to
        back, so their sum is the elapsed time itself (the same float, without the day walk).
        """
        if end <= start:
            return 0.0
        if clock != Clock.BUSINESS:
            return (end - start) / MINUTE
        # The calendar keeps each day's window, so the rows of a page share their days.
        return self.business.working_time_between(start, end) / MINUTE


MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class SlaFigures:
    time_remaining_minutes: int | None
    at_risk: bool
    response_breached: bool
    resolution_breached: bool
    paused: bool


# The ticket columns sla_figures reads: the SLA layer's, and the clock that counts the time left.
SLA_COLUMNS = (*outcomes.SLA_COLUMNS, "sla_clock")


def sla_figures(ticket: Ticket, calendars: SlaCalendars) -> SlaFigures:
    """A ticket's SLA state now, from its stored due instants (no query beyond the calendar's)."""
    return _figures(outcomes.judge(ticket, calendars.now), ticket.sla_clock, calendars)


def sla_figures_of(row, calendars: SlaCalendars) -> SlaFigures:
    """sla_figures of a ticket's columns (a mapping with the SLA_COLUMNS keys)."""
    return _figures(outcomes.judge(row, calendars.now), row["sla_clock"], calendars)


def _figures(outcome: outcomes.Outcome, clock: str, calendars: SlaCalendars) -> SlaFigures:
    """The API's SLA figures of one judgement; the time left is counted on the ticket's own clock."""
    now, due, remaining = calendars.now, outcome.next_due, None
    if due is not None:
        if due >= now:
            remaining = int(calendars.minutes_between(clock, now, due))
        else:
            remaining = -int(calendars.minutes_between(clock, due, now)) or -1
    return SlaFigures(
        time_remaining_minutes=remaining,
        at_risk=outcome.at_risk,
        response_breached=outcome.response_breached,
        resolution_breached=outcome.resolution_breached,
        paused=outcome.paused,
    )


# Tickets: output ---------------------------------------------------------------------------

# The columns a list row reads: `TicketQuerySet.values(*ROW_COLUMNS)` gives what
# `TicketSerializer` shows, without model instances or the related users' rows.
ROW_COLUMNS = (
    "pk",
    "reference",
    "title",
    "severity",
    "tier",
    "category",
    "assignee__username",
    "team",
    "reporter__username",
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
    "updated_at",
    *SLA_COLUMNS,
)


def _same(values) -> dict:
    # value -> the plain value: an enum member (a ticket in memory) reads as its value, as
    # DRF's ChoiceField gives it; unknown values pass through unchanged, as there.
    return {value: value for value in values}


_STATUS = _same(Status.values)
_SEVERITY = _same(Severity.values)
_TIER = _same(Tier.values)
_CATEGORY = _same(Category.values)
_IMPACT_SCOPE = _same(ImpactScope.values)
_WORKAROUND = _same(Workaround.values)
_EVENT_KIND = _same(value for value, _ in TicketEvent._meta.get_field("kind").choices)


def _choice(values: dict, value):
    if value is None or value == "":
        return value
    return values.get(value, value)


_UTC = frozenset({UTC, ZoneInfo("UTC")})


def _instant(value, tz):
    """A datetime as DRF's DateTimeField gives it: in the current time zone, ISO 8601, UTC as Z."""
    if not value:
        return None
    if isinstance(value, str):
        return value
    zone = value.tzinfo
    # Converting to its own zone (or from one UTC to another) leaves the text as it is.
    if zone is not tz and not (zone in _UTC and tz in _UTC):
        value = timezone.make_aware(value, tz) if timezone.is_naive(value) else value.astimezone(tz)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _username(user):
    return None if user is None else user.username


class Rendering:
    """What every row of one response shares: the SLA calendars, the caller's access, the time zone."""

    def __init__(self, context: dict):
        self.access = context.get("access")
        self.calendars = context.get("sla_calendars")
        self.tz = timezone.get_current_timezone()

    def calendars_for(self, programme) -> SlaCalendars:
        if self.calendars is None:
            self.calendars = SlaCalendars(programme)
        return self.calendars

    def row(self, row, calendars: SlaCalendars) -> dict:
        """A list row from ROW_COLUMNS values: the TicketSerializer fields, in their order."""
        tz = self.tz
        category = row["category"]
        sla = sla_figures_of(row, calendars)
        return {
            "reference": row["reference"],
            "title": row["title"],
            "status": _choice(_STATUS, row["status"]),
            "severity": _choice(_SEVERITY, row["severity"]),
            "tier": _choice(_TIER, row["tier"]),
            "category": _choice(_CATEGORY, category),
            "kind": kind_of(category).value,
            "is_training_gap": category in TRAINING_GAP_CATEGORIES,
            "assignee": row["assignee__username"],
            "team": row["team"] or None,
            "reporter": row["reporter__username"],
            "business_unit": row["business_unit"],
            "geography": row["geography"],
            "process": row["process"],
            "known_issue": row["known_issue"],
            "reported_at": _instant(row["reported_at"], tz),
            "triaged_at": _instant(row["triaged_at"], tz),
            "first_responded_at": _instant(row["first_responded_at"], tz),
            "resolved_at": _instant(row["resolved_at"], tz),
            "closed_at": _instant(row["closed_at"], tz),
            "resolved_at_tier": _choice(_TIER, row["resolved_at_tier"]),
            "response_due_at": _instant(row["response_due_at"], tz),
            "resolution_due_at": _instant(row["resolution_due_at"], tz),
            "time_remaining_minutes": sla.time_remaining_minutes,
            "at_risk": sla.at_risk,
            "response_breached": sla.response_breached,
            "resolution_breached": sla.resolution_breached,
            "paused": sla.paused,
            "updated_at": _instant(row["updated_at"], tz),
        }

    def ticket(self, ticket: Ticket) -> dict:
        """A list row of a model instance (its assignee and reporter loaded with it)."""
        row = {name: getattr(ticket, name) for name in _INSTANCE_COLUMNS}
        row["assignee__username"] = _username(ticket.assignee)
        row["reporter__username"] = _username(ticket.reporter)
        row["known_issue"] = ticket.known_issue_id
        return self.row(row, self.calendars_for(ticket.programme))

    def detail(self, ticket: Ticket) -> dict:
        """The TicketDetailSerializer fields of a ticket loaded with its visible timeline."""
        tz = self.tz
        data = self.ticket(ticket)
        known_issue = ticket.known_issue
        blocks = ticket.blocks_vital_process
        data.update(
            description=ticket.description,
            impact_scope=_choice(_IMPACT_SCOPE, ticket.impact_scope),
            workaround=_choice(_WORKAROUND, ticket.workaround),
            blocks_vital_process=None if blocks is None else bool(blocks),
            computed_severity=_choice(_SEVERITY, ticket.computed_severity),
            severity_reason=ticket.severity_reason,
            replication_steps=(
                ticket.replication_steps if self.access is not None and self.access.sees_internal else None
            ),
            resolution=ticket.resolution,
            proposed_resolution=(
                ticket.proposed_resolution or None
                if self.access is not None and self.access.sees_internal
                else None
            ),
            source_reference=ticket.source_reference,
            known_issue_title=None if known_issue is None else known_issue.title,
            # Rare: read only for a duplicate (one query then).
            duplicate_of=ticket.duplicate_of.reference if ticket.duplicate_of_id else None,
            comments=[
                {
                    "id": comment.pk,
                    "author": _username(comment.author),
                    "body": comment.body,
                    "internal": bool(comment.internal),
                    "created_at": _instant(comment.created_at, tz),
                }
                for comment in ticket.visible_comments
            ],
            timeline=[
                {
                    "kind": _choice(_EVENT_KIND, event.kind),
                    "actor": _username(event.actor),
                    "at": _instant(event.at, tz),
                    "from_value": event.from_value,
                    "to_value": event.to_value,
                    "note": event.note,
                    "internal": bool(event.internal),
                }
                for event in ticket.visible_events
            ],
            attachments=[
                {
                    "id": attachment.pk,
                    "name": attachment.original_name,
                    "content_type": attachment.content_type,
                    "size": attachment.size,
                    "internal": bool(attachment.internal),
                    "uploaded_by": _username(attachment.uploaded_by),
                    "created_at": _instant(attachment.created_at, tz),
                }
                for attachment in ticket.visible_attachments
            ],
        )
        return data


_INSTANCE_COLUMNS = tuple(
    name
    for name in ROW_COLUMNS
    if name not in ("pk", "assignee__username", "reporter__username", "known_issue")
)


# The declared fields of the two ticket serializers document the shape (OpenAPI) and are the
# reference implementation; `to_representation` builds the same dict directly (DRF's field
# machinery cost about a millisecond a row), from a model instance or a row of
# `values(*ROW_COLUMNS)`. tests/tickets/test_api_representation.py holds the two equal, field
# by field. (The docstrings are the schema's descriptions.)


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

    def _rendering(self) -> Rendering:
        context = self.context
        rendering = context.get("_rendering")
        if rendering is None:
            rendering = context["_rendering"] = Rendering(context)
        return rendering

    def to_representation(self, ticket):
        rendering = self._rendering()
        if isinstance(ticket, Ticket):
            return rendering.ticket(ticket)
        return rendering.row(ticket, rendering.calendars)

    # The declared fields' own path (DRF's), kept as the reference the fast one is tested against.

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
    duplicate_of = serializers.CharField(
        source="duplicate_of.reference",
        read_only=True,
        allow_null=True,
        help_text="The original's reference when this ticket was closed as its duplicate.",
    )
    replication_steps = serializers.SerializerMethodField(
        help_text="Tier 3 working notes: null for callers who do not see internal notes."
    )
    proposed_resolution = serializers.SerializerMethodField(
        help_text="A Tier 3 resolution waiting for the desk to confirm it with the reporter (the ticket is "
        "back at Tier 2, in progress); null when there is none, and for callers who do not see internal notes."
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
            "proposed_resolution",
            "source_reference",
            "known_issue_title",
            "duplicate_of",
            "comments",
            "timeline",
            "attachments",
        ]
        read_only_fields = fields

    def to_representation(self, ticket):
        return self._rendering().detail(ticket)

    def get_proposed_resolution(self, ticket: Ticket) -> str | None:
        access = self.context.get("access")
        sees = access is not None and access.sees_internal
        return (ticket.proposed_resolution or None) if sees else None

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
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH)
    description = serializers.CharField(
        max_length=DETAILS_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
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
        required=False,
        help_text="Support team only: an explicit severity instead of the triage answers; needs severity_reason. "
        "Refused (400) from reporters.",
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
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH, required=False)
    description = serializers.CharField(max_length=DETAILS_MAX_LENGTH, required=False, allow_blank=True)
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
    resolution = serializers.CharField(
        allow_blank=True,
        help_text="The resolution note for the reporter (at Tier 3, the proposal for the desk). Blank only to "
        "confirm a Tier 3 proposal as written.",
    )


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


class DuplicateSerializer(serializers.Serializer):
    original = serializers.CharField(
        help_text="Reference of the original ticket, e.g. ACME-12 (same programme)."
    )


class BulkSerializer(serializers.Serializer):
    tickets = serializers.ListField(
        child=serializers.CharField(), help_text='References of the tickets to change, e.g. ["ACME-12"].'
    )
    action = serializers.ChoiceField(choices=["assign", "transition", "severity", "link", "resolve"])
    assignee = serializers.CharField(
        allow_null=True, required=False, help_text="assign: a username; null unassigns."
    )
    status = serializers.CharField(required=False, help_text="transition: the status to move to.")
    comment = serializers.CharField(
        required=False, allow_blank=True, help_text="transition: a public comment."
    )
    severity = serializers.IntegerField(required=False, help_text="severity: 1 to 4.")
    reason = serializers.CharField(required=False, help_text="severity: one reason for every ticket.")
    known_issue = serializers.IntegerField(
        allow_null=True, required=False, help_text="link: id of a known issue; null unlinks."
    )
    resolution = serializers.CharField(required=False, help_text="resolve: one note for every reporter.")


class BulkOutcomeSerializer(serializers.Serializer):
    reference = serializers.CharField()
    ok = serializers.BooleanField(help_text="Whether this ticket changed.")
    detail = serializers.CharField(help_text="What happened, or why this ticket was refused.")


class BulkResultSerializer(serializers.Serializer):
    results = BulkOutcomeSerializer(many=True)


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


class CannedReplySerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CannedReply
        fields = ["id", "title", "body", "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]
        # Uniqueness per programme is the service's to check (with a message naming the title).
        validators = []
