"""REST API of tickets and known issues, under /api/v1/programmes/{slug}/. Every write calls tickets.services."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from functools import partial

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import Count, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from hypercare.access import ProgrammeAccess, ProgrammeClosed, get_programme_for
from hypercare.api import ProgrammeScopedMixin, as_drf_error
from hypercare.audit import audit
from hypercare.calendar import DEFAULT_WORKING_HOURS, WorkingCalendar
from hypercare.compiled import CompiledQuery
from hypercare.models import BusinessCalendar, Holiday, Membership
from hypercare.pagination import DeferredJoinPaginator
from hypercare.vocabulary import OPEN_STATUSES
from tickets import selectors, services
from tickets.bulk import BulkForm, tickets_bulk_apply
from tickets.filters import KnownIssueFilter, ProgrammeFilterBackend, TicketFilter
from tickets.models import (
    Attachment,
    CannedReply,
    Comment,
    KnownIssue,
    ProgrammeTicketCount,
    Ticket,
    TicketEvent,
)
from tickets.serializers import (
    ROW_COLUMNS,
    AssignSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    BulkResultSerializer,
    BulkSerializer,
    CannedReplySerializer,
    CommentCreateSerializer,
    CommentSerializer,
    DuplicateSerializer,
    ErrorSerializer,
    EscalateSerializer,
    KnownIssueSerializer,
    LinkSerializer,
    ReopenSerializer,
    ResolveSerializer,
    SlaCalendars,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    TransitionSerializer,
)
from tickets.services import TicketStateError, TriageAnswers


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This change is not possible in the ticket's current state."
    default_code = "conflict"


class TicketRowsPaginator(DeferredJoinPaginator):
    """The deferred join in one query: the page's ids, read off an index (ORDER BY … OFFSET n
    LIMIT k), are a subquery of the query that reads the rows' columns (ROW_COLUMNS: values,
    not model instances, the assignee's and reporter's usernames joined)."""

    def __init__(self, *args, known_count: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if known_count is not None:
            self.count = known_count  # Paginator.count is a cached_property: this is its value

    def _rows(self, bottom: int, top: int):
        tickets = self.object_list
        if top <= bottom:
            return []
        ordering = tickets.query.order_by or Ticket._meta.ordering
        page = tickets.values("pk")[bottom:top]
        return list(Ticket.objects.filter(pk__in=page).order_by(*ordering).values(*ROW_COLUMNS))


class QueuePagination(PageNumberPagination):
    # A page reads its 50 ids off an index, then loads those rows: page 1,000 costs what page 1 does.
    django_paginator_class = TicketRowsPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        # The whole programme's list (no filter, a role that sees every ticket) takes its exact
        # count from the trigger-kept ProgrammeTicketCount the access query read, not COUNT(*).
        known = getattr(view, "known_count", lambda: None)()
        self.django_paginator_class = partial(TicketRowsPaginator, known_count=known)
        return super().paginate_queryset(queryset, request, view)


class RatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    rated_at = serializers.DateTimeField(read_only=True)


ERRORS = {
    400: OpenApiResponse(description="Validation errors, by field."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such ticket (or programme) for you."),
}
CONFLICT = {
    409: OpenApiResponse(
        ErrorSerializer,
        description="Refused in the ticket's current state, or the programme is closed (then only BAU "
        "support and the operational owner work the tickets left open, until resolved); says why.",
    )
}
READ_ONLY = {
    409: OpenApiResponse(
        ErrorSerializer, description="The programme is closed: its known issues are read-only."
    )
}
CLOSED = {
    409: OpenApiResponse(
        ErrorSerializer,
        description="The programme is closed: hypercare takes no new tickets. The message names the BAU "
        "service desk (name, web address, e-mail) where new issues go.",
    )
}


class ServiceErrorsMixin:
    @contextmanager
    def service_errors(self):
        """A service's refusal as the API's answer: 400 with field messages, 403, or 409 with the reason."""
        try:
            yield
        except DjangoValidationError as error:
            raise as_drf_error(error) from None
        except ProgrammeClosed:
            raise  # 409 with the BAU service desk (hypercare.drf.exception_handler)
        except DjangoPermissionDenied as error:
            audit(
                "permission.denied",
                actor=self.request.user,
                programme=self.programme,
                path=self.request.path,
                reason=str(error),
            )
            raise exceptions.PermissionDenied(str(error) or None) from None
        except TicketStateError as error:
            raise Conflict(str(error)) from None


def _holiday_dates_sql() -> str:
    """The business calendar's holidays of the membership's programme as one comma-separated
    'YYYY-MM-DD' string (NULL for none): a correlated subquery of the access query, as raw SQL
    (a Subquery expression cost half a millisecond of query building per request)."""
    quote = connection.ops.quote_name
    holiday, calendar = Holiday._meta, BusinessCalendar._meta
    dates = f"h.{quote(holiday.get_field('date').column)}"
    if connection.vendor == "postgresql":
        dates = f"STRING_AGG(TO_CHAR({dates}, 'YYYY-MM-DD'), ',')"
    else:  # SQLite keeps dates as YYYY-MM-DD text
        dates = f"GROUP_CONCAT({dates}, ',')"
    return (
        f"SELECT {dates} FROM {quote(holiday.db_table)} h "
        f"JOIN {quote(calendar.db_table)} c ON c.{quote(calendar.pk.column)} = h.{quote('calendar_id')} "
        f"WHERE c.{quote('programme_id')} = {quote(Membership._meta.db_table)}.{quote('programme_id')}"
    )


def _ticket_count_sql() -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT n.{quote('tickets')} FROM {quote(ProgrammeTicketCount._meta.db_table)} n "
        f"WHERE n.{quote('programme_id')} = {quote(Membership._meta.db_table)}.{quote('programme_id')}"
    )


_api_membership = CompiledQuery(
    lambda user_id, slug: (
        Membership.objects.active()
        .filter(user_id=user_id, programme__slug=slug)  # one row at most: (programme, user) is unique
        .select_related("programme__calendar")
        .annotate(
            holiday_dates=RawSQL(_holiday_dates_sql(), ()), programme_tickets=RawSQL(_ticket_count_sql(), ())
        )
        .order_by()
    ),
    user_id=int,
    slug=str,
)


def programme_access(user, slug: str) -> ProgrammeAccess:
    """hypercare.access.get_programme_for for the API, in one query that also reads what the SLA
    figures need: the caller's membership of this programme, the programme, its business calendar
    and the calendar's holidays (its working_calendar is built from them), and the programme's
    ticket count (the list's `count`). The API shows no navigation, so the user's
    other memberships and unread badge are not read. Anyone else goes through get_programme_for
    (superusers' access to every programme; a 404 for non-members)."""
    if user.is_authenticated:
        membership = next(iter(_api_membership(user_id=user.pk, slug=slug)), None)
        if membership is not None:
            membership.user = user
            programme = membership.programme
            calendar = getattr(programme, "calendar", None)
            if calendar is not None:
                # What BusinessCalendar.working_calendar would build, with the holidays just read.
                dates = membership.holiday_dates
                calendar.working_calendar = WorkingCalendar.build(
                    timezone=programme.timezone,
                    working_hours=calendar.working_hours or DEFAULT_WORKING_HOURS,
                    holidays=[date.fromisoformat(day) for day in dates.split(",")] if dates else (),
                )
            return ProgrammeAccess(programme, membership, frozenset(membership.roles), user)
    return get_programme_for(user, slug)


def _member_by_username(programme, username: str | None):
    """The user behind a username among the programme's active members (None for null)."""
    if username is None:
        return None
    membership = (
        Membership.objects.active()
        .filter(programme=programme, user__username=username)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise serializers.ValidationError({"assignee": f"{username!r} is not a member of this programme."})
    return membership.user


@extend_schema_view(
    list=extend_schema(
        summary="List the tickets you may see",
        description="Filters combine; repeat severity, tier, status or category for several values. "
        "Champions see their own tickets and those of their business unit.",
        responses={200: TicketSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="A ticket with its SLA clocks, comments and timeline",
        description="Champions, sponsors, owners and viewers never see internal comments, internal "
        "timeline entries or Tier 3 replication steps.",
        responses={200: TicketDetailSerializer, 404: ERRORS[404]},
    ),
)
class TicketViewSet(
    ServiceErrorsMixin,
    ProgrammeScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Tickets of a programme, by reference (e.g. ACME-142)."""

    queryset = Ticket.objects.none()
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    filter_backends = [ProgrammeFilterBackend]
    pagination_class = QueuePagination
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Ticket.objects.none()
        tickets = Ticket.objects.visible_to(self.access).order_by("-reported_at", "-pk")
        if self.action == "list":
            return tickets  # the paginator reads only the columns a row shows
        return self.with_timeline(tickets.for_list())

    def with_timeline(self, tickets):
        """Comments, events and attachments the caller may see, in three queries."""
        internal = Q() if self.access.sees_internal else Q(internal=False)
        return tickets.prefetch_related(
            Prefetch(
                "comments",
                Comment.objects.filter(internal).select_related("author"),
                to_attr="visible_comments",
            ),
            Prefetch(
                "events",
                TicketEvent.objects.filter(internal).select_related("actor"),
                to_attr="visible_events",
            ),
            Prefetch(
                "attachments",
                Attachment.objects.filter(internal).select_related("uploaded_by"),
                to_attr="visible_attachments",
            ),
        )

    def access_for(self, user, slug: str) -> ProgrammeAccess:
        return programme_access(user, slug)

    def known_count(self) -> int | None:
        """The list's count when it is the whole programme: from the access query, no COUNT(*)."""
        membership = self.access.membership
        if (
            self.action != "list"
            or membership is None
            or not self.access.sees_all_tickets
            or not hasattr(membership, "programme_tickets")
            or any(name in self.request.query_params for name in TicketFilter.base_filters)
        ):
            return None
        return membership.programme_tickets or 0

    def filter_queryset(self, queryset):
        # Without a filter's parameter the filter set would validate an empty form (a millisecond
        # of django-filter machinery) and hand the queryset back unchanged.
        asked = self.request.query_params
        if not any(name in asked for name in TicketFilter.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if hasattr(self, "access"):
            calendars = SlaCalendars(self.programme)
            calendars.business  # noqa: B018 -- built up front: a fixed query budget whatever the page holds
            context.update(access=self.access, programme=self.programme, sla_calendars=calendars)
        return context

    def get_serializer_class(self):
        return TicketSerializer if self.action == "list" else TicketDetailSerializer

    def detail_response(self, ticket: Ticket, status_code: int = status.HTTP_200_OK, **headers) -> Response:
        fresh = self.with_timeline(Ticket.objects.visible_to(self.access).for_list()).get(pk=ticket.pk)
        return Response(
            TicketDetailSerializer(fresh, context=self.get_serializer_context()).data,
            status=status_code,
            headers=headers,
        )

    def input(self, serializer_class, partial: bool = False):
        serializer = serializer_class(
            data=self.request.data, context=self.get_serializer_context(), partial=partial
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary="Log a ticket",
        description="Give the triage answers (impact_scope, workaround, blocks_vital_process) for the matrix "
        "to set the severity. Reporters must answer them and may not send a severity (400 naming `severity`); "
        "the support team may instead, or as well, give an explicit severity with severity_reason (an override, "
        "listed on the override report). reported_at (leads only) "
        "imports a historical ticket; resolved_at_tier1 records a champion's own fix.",
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer, **ERRORS, **CLOSED},
    )
    def create(self, request, *args, **kwargs):
        data = self.input(TicketCreateSerializer)
        answers = None
        if data.get("impact_scope") is not None:
            answers = TriageAnswers(
                impact_scope=data["impact_scope"],
                workaround=data["workaround"],
                blocks_vital_process=data["blocks_vital_process"],
            )
        with self.service_errors():
            ticket = services.ticket_create(
                access=self.access,
                title=data["title"],
                description=data["description"],
                business_unit=data["business_unit"],
                geography=data["geography"],
                process=data["process"],
                category=data["category"],
                answers=answers,
                severity=data.get("severity"),
                severity_reason=data["severity_reason"],
                reported_at=data.get("reported_at"),
                resolved_at_tier1=data["resolved_at_tier1"],
                resolution=data["resolution"],
                known_issue=data["known_issue"],
            )
        location = reverse(
            "api:ticket-detail", kwargs={"slug": self.programme.slug, "reference": ticket.reference}
        )
        # The ticket as the service saved it is what a read would give (tests compare the two):
        # no comments or attachments yet, its timeline the events it was logged with.
        ticket.visible_comments = []
        ticket.visible_attachments = []
        ticket.visible_events = [
            event for event in ticket.logged_events if self.access.sees_internal or not event.internal
        ]
        return Response(
            TicketDetailSerializer(ticket, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    @extend_schema(
        summary="Edit a ticket",
        description="Descriptive fields (reporters may edit title and description of their own tickets); "
        "category, severity (with severity_reason), new triage answers and the assignee for the support team.",
        request=TicketUpdateSerializer,
        responses={200: TicketDetailSerializer, **ERRORS, **CONFLICT},
    )
    @transaction.atomic
    def partial_update(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self.input(TicketUpdateSerializer, partial=True)
        edits = {name: data[name] for name in services.EDITABLE_FIELDS if name in data}
        with self.service_errors():
            if edits:
                services.ticket_update(access=self.access, ticket=ticket, **edits)
            if data.get("impact_scope") is not None:
                services.ticket_retriage(
                    access=self.access,
                    ticket=ticket,
                    answers=TriageAnswers(
                        impact_scope=data["impact_scope"],
                        workaround=data["workaround"],
                        blocks_vital_process=data["blocks_vital_process"],
                    ),
                    severity=data.get("severity"),
                    reason=data.get("severity_reason", ""),
                )
            elif "severity" in data and data["severity"] != ticket.severity:
                services.ticket_change_severity(
                    access=self.access,
                    ticket=ticket,
                    severity=data["severity"],
                    reason=data.get("severity_reason", ""),
                )
            if "assignee" in data:
                assignee = _member_by_username(self.programme, data["assignee"])
                if assignee != ticket.assignee:
                    services.ticket_assign(access=self.access, ticket=ticket, assignee=assignee)
        return self.detail_response(ticket)

    @extend_schema(
        summary="One action on many tickets",
        description="assign, transition, severity (one reason), link or resolve (one note) on each ticket "
        "named, each through the same rules as the single action. 200 lists every ticket's outcome: "
        "`ok` false with the reason for each refused or unknown ticket; the others changed. "
        "Only the support team (403 otherwise); at most 200 tickets.",
        request=BulkSerializer,
        responses={200: BulkResultSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request, *args, **kwargs):
        if not self.access.can_work_queue or self.access.is_read_only:
            raise exceptions.PermissionDenied("Only the support team acts on tickets in bulk.")
        data = self.input(BulkSerializer)
        form_data = {
            key: data[key]
            for key in ("action", "status", "comment", "severity", "reason", "resolution")
            if data.get(key) is not None
        }
        if data.get("assignee") is not None:
            form_data["assignee"] = _member_by_username(self.programme, data["assignee"]).pk
        if data.get("known_issue") is not None:
            form_data["known_issue"] = data["known_issue"]
        form = BulkForm(
            form_data,
            access=self.access,
            assignees=selectors.assignees(self.programme),
            references=data["tickets"],
        )
        if not form.is_valid():
            raise serializers.ValidationError({field: list(errors) for field, errors in form.errors.items()})
        with self.service_errors():
            outcomes = tickets_bulk_apply(
                access=self.access,
                references=form.cleaned_data["references"],
                action=form.cleaned_data["action"],
                data=form.cleaned_data,
            )
        return Response(
            {"results": [{"reference": o.reference, "ok": o.ok, "detail": o.detail} for o in outcomes]}
        )

    @extend_schema(
        summary="Close a ticket as a duplicate of another",
        description="The support team. The duplicate is closed with a link to its original (`duplicate_of`); "
        "its reporter is notified and follows the original. It still counts in intake.",
        request=DuplicateSerializer,
        responses={200: TicketDetailSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def duplicate(self, request, *args, **kwargs):
        ticket = self.get_object()
        if not self.access.can_work_queue:  # before looking the original up: a refusal, not a 400
            raise exceptions.PermissionDenied("Only the support team marks a ticket as a duplicate.")
        data = self.input(DuplicateSerializer)
        original = selectors.ticket_by_reference(self.access, data["original"].upper())
        if original is None:
            raise serializers.ValidationError(
                {"original": f"No ticket {data['original']} in this programme."}
            )
        with self.service_errors():
            services.ticket_mark_duplicate(access=self.access, ticket=ticket, original=original)
        return self.detail_response(ticket)

    @extend_schema(
        summary="Rate the resolution (the reporter)",
        description="The reporter rates the resolution of their resolved or closed ticket from 1 (poor) to 5 "
        "(excellent), with an optional comment. One rating per resolution: rating it again replaces it.",
        request=RatingSerializer,
        responses={201: RatingSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, *args, **kwargs):
        ticket = self.get_object()
        serializer = RatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with self.service_errors():
            rated = services.ticket_rate(access=self.access, ticket=ticket, **serializer.validated_data)
        return Response(RatingSerializer(rated).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Follow a ticket",
        description="Any member who may see the ticket; followers are notified of its comments, status "
        "changes and resolution.",
        request=None,
        responses={204: OpenApiResponse(description="You follow the ticket."), 404: ERRORS[404]},
    )
    @action(detail=True, methods=["post"])
    def watch(self, request, *args, **kwargs):
        ticket = self.get_object()
        with self.service_errors():
            services.ticket_watch(access=self.access, ticket=ticket)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Stop following a ticket",
        request=None,
        responses={204: OpenApiResponse(description="You no longer follow the ticket."), 404: ERRORS[404]},
    )
    @action(detail=True, methods=["post"])
    def unwatch(self, request, *args, **kwargs):
        ticket = self.get_object()
        services.ticket_unwatch(access=self.access, ticket=ticket)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Move a ticket to another tier",
        description="Up to Tier 3 only with documented replication_steps; back down with a note. "
        "A champion may pass their own Tier 1 ticket to the desk.",
        request=EscalateSerializer,
        responses={200: TicketDetailSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self.input(EscalateSerializer)
        with self.service_errors():
            services.ticket_escalate(
                access=self.access,
                ticket=ticket,
                to_tier=data["to_tier"],
                replication_steps=data["replication_steps"],
                note=data["note"],
            )
        return self.detail_response(ticket)

    @extend_schema(
        summary="Comment on a ticket",
        description="Public comments are seen by the reporter and champions; internal ones by the support team only.",
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def comment(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self.input(CommentCreateSerializer)
        with self.service_errors():
            comment = services.ticket_comment(
                access=self.access, ticket=ticket, body=data["body"], internal=data["internal"]
            )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a ticket's status",
        description="Allowed moves follow the status table (see the README); a refused move is a 409 saying "
        "which statuses are possible. Resolving and reopening have their own actions.",
        request=TransitionSerializer,
        responses={200: TicketDetailSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self.input(TransitionSerializer)
        with self.service_errors():
            services.ticket_transition(
                access=self.access, ticket=ticket, status=data["status"], comment=data["comment"]
            )
        return self.detail_response(ticket)

    @extend_schema(
        summary="Resolve a ticket",
        description="At Tier 1 or 2: resolves the ticket (resolved_at_tier) and notifies the reporter. At Tier 3: "
        "proposes the resolution instead: the ticket returns to the Tier 2 queue in progress, with "
        "proposed_resolution set, assigned to the analyst who escalated it (who is notified); the reporter is "
        "told only when the desk resolves it, which then counts as resolved at Tier 3. The desk may send an "
        "empty resolution to confirm the proposed one as written.",
        request=ResolveSerializer,
        responses={200: TicketDetailSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self.input(ResolveSerializer)
        with self.service_errors():
            services.ticket_resolve(access=self.access, ticket=ticket, resolution=data["resolution"])
        return self.detail_response(ticket)

    @extend_schema(
        summary="Reopen a resolved or closed ticket",
        description="The reporter or the support team; the history stays and the resolution clock resumes.",
        request=ReopenSerializer,
        responses={200: TicketDetailSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self.input(ReopenSerializer)
        with self.service_errors():
            services.ticket_reopen(access=self.access, ticket=ticket, reason=data["reason"])
        return self.detail_response(ticket)

    @extend_schema(
        summary="Link a ticket to a known issue",
        description="null unlinks. The support team, or the reporter for their own ticket.",
        request=LinkSerializer,
        responses={200: TicketDetailSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def link(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self.input(LinkSerializer)
        with self.service_errors():
            services.ticket_link(access=self.access, ticket=ticket, known_issue=data["known_issue"])
        return self.detail_response(ticket)

    @extend_schema(
        summary="Assign a ticket",
        description="To a desk analyst, engineer, BAU member or lead of the programme; null unassigns. "
        "The handling team follows the assignee.",
        request=AssignSerializer,
        responses={200: TicketDetailSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self.input(AssignSerializer)
        assignee = _member_by_username(self.programme, data["assignee"])
        with self.service_errors():
            services.ticket_assign(access=self.access, ticket=ticket, assignee=assignee)
        return self.detail_response(ticket)

    @extend_schema(
        summary="Take a ticket (assign it to yourself)",
        request=None,
        responses={200: TicketDetailSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def take(self, request, *args, **kwargs):
        ticket = self.get_object()
        with self.service_errors():
            services.ticket_take(access=self.access, ticket=ticket)
        return self.detail_response(ticket)

    @extend_schema(
        summary="Attach a file",
        description="multipart/form-data. Images (PNG, JPEG, GIF), PDF, ZIP/Office documents or text logs, "
        "recognised by their content; 10 MB each, 20 per ticket.",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, *args, **kwargs):
        ticket = self.get_object()
        data = self.input(AttachmentUploadSerializer)
        with self.service_errors():
            attachment = services.ticket_attach(
                access=self.access, ticket=ticket, upload=data["file"], internal=data["internal"]
            )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Known issues of the programme", description="Readable by every member."),
    retrieve=extend_schema(summary="A known issue", responses={200: KnownIssueSerializer, 404: ERRORS[404]}),
)
class KnownIssueViewSet(
    ServiceErrorsMixin,
    ProgrammeScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Known issues (problems): the workaround and expected fix of what several tickets share."""

    lookup_value_regex = "[0-9]+"  # a non-numeric id is a 404, not a failed integer lookup
    queryset = KnownIssue.objects.none()
    serializer_class = KnownIssueSerializer
    filterset_class = KnownIssueFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return KnownIssue.objects.none()
        return (
            KnownIssue.objects.filter(programme=self.programme)
            .select_related("created_by")
            .annotate(
                ticket_count=Count("tickets"),
                open_ticket_count=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES)),
            )
            .order_by("-created_at", "-pk")
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if hasattr(self, "programme"):
            context["programme"] = self.programme
        return context

    def fresh(self, known_issue: KnownIssue) -> dict:
        return KnownIssueSerializer(
            self.get_queryset().get(pk=known_issue.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(
        summary="Record a known issue",
        description="The support team.",
        request=KnownIssueSerializer,
        responses={201: KnownIssueSerializer, **ERRORS, **READ_ONLY},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with self.service_errors():
            known_issue = services.known_issue_create(access=self.access, **serializer.validated_data)
        return Response(self.fresh(known_issue), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a known issue",
        description="The support team. When it becomes fixed, the reporters of its linked tickets are notified.",
        request=KnownIssueSerializer,
        responses={200: KnownIssueSerializer, **ERRORS, **READ_ONLY},
    )
    @transaction.atomic
    def partial_update(self, request, *args, **kwargs):
        known_issue = self.get_object()
        serializer = self.get_serializer(known_issue, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with self.service_errors():
            services.known_issue_update(
                access=self.access, known_issue=known_issue, **serializer.validated_data
            )
        return Response(self.fresh(known_issue))


CANNED_WRITE = {
    400: ERRORS[400],
    403: OpenApiResponse(
        ErrorSerializer, description="Only the programme's hypercare leads manage canned replies."
    ),
    409: OpenApiResponse(
        ErrorSerializer, description="The programme is closed: its canned replies are read-only."
    ),
}
CANNED_READ = {
    401: OpenApiResponse(description="Not authenticated."),
    403: OpenApiResponse(ErrorSerializer, description="Canned replies are for the support team and leads."),
    404: OpenApiResponse(ErrorSerializer, description="No such programme (or canned reply) for you."),
}


@extend_schema_view(
    list=extend_schema(
        summary="Canned replies of the programme",
        description="Read by the support team and leads.",
        responses={200: CannedReplySerializer(many=True), **CANNED_READ},
    ),
    retrieve=extend_schema(summary="A canned reply", responses={200: CannedReplySerializer, **CANNED_READ}),
)
class CannedReplyViewSet(
    ServiceErrorsMixin,
    ProgrammeScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Replies the desk sends often: leads write them, the support team reads them."""

    lookup_value_regex = "[0-9]+"
    queryset = CannedReply.objects.none()
    serializer_class = CannedReplySerializer
    filter_backends = []
    pagination_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not (self.access.can_work_queue or self.access.is_lead):
            raise exceptions.PermissionDenied("Canned replies are for the support team and leads.")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CannedReply.objects.none()
        return CannedReply.objects.filter(programme=self.programme).select_related("created_by")

    @extend_schema(
        summary="Add a canned reply",
        description="Leads only. Titles are unique in the programme.",
        request=CannedReplySerializer,
        responses={201: CannedReplySerializer, **CANNED_WRITE, 401: CANNED_READ[401], 404: CANNED_READ[404]},
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with self.service_errors():
            reply = services.canned_reply_create(access=self.access, **serializer.validated_data)
        return Response(self.get_serializer(reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a canned reply",
        description="Leads only.",
        request=CannedReplySerializer,
        responses={200: CannedReplySerializer, **CANNED_WRITE, **CANNED_READ},
    )
    def partial_update(self, request, *args, **kwargs):
        reply = self.get_object()
        serializer = self.get_serializer(reply, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with self.service_errors():
            services.canned_reply_update(access=self.access, reply=reply, **serializer.validated_data)
        return Response(self.get_serializer(reply).data)

    @extend_schema(
        summary="Delete a canned reply",
        description="Leads only; comments already sent keep their text.",
        responses={
            204: OpenApiResponse(description="Deleted."),
            403: CANNED_WRITE[403],
            409: CANNED_WRITE[409],
            **CANNED_READ,
        },
    )
    def destroy(self, request, *args, **kwargs):
        reply = self.get_object()
        with self.service_errors():
            services.canned_reply_delete(access=self.access, reply=reply)
        return Response(status=status.HTTP_204_NO_CONTENT)
