"""The reads of the ticket pages: the queues, My tickets, the ticket page and its action panels.

Every raw SQL statement and compiled query (hypercare.compiled) of those pages is here, behind
one loader per object: `ticket_for_page` for a ticket, `ticket_events` for its timeline,
`ticket_comments` for its conversation. Each starts from `Ticket.objects.visible_to(access)`
(or, for members who see every ticket of the programme, its compiled equivalent), so what a
member may see is decided here and not in a template. The views only choose and render.
"""

from __future__ import annotations

import json
from datetime import date

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.html import format_html_join

from hypercare.access import ProgrammeAccess
from hypercare.compiled import CompiledQuery
from hypercare.models import BusinessCalendar, Holiday, Membership
from hypercare.roles import QUEUE_WORKERS, Role
from hypercare.vocabulary import DONE_STATUSES, OPEN_STATUSES, EventKind, Status, Tier
from sla.models import SlaTarget
from tickets import search
from tickets.models import Attachment, Comment, KnownIssue, Ticket, TicketEvent, TicketWatcher

User = get_user_model()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# --- People and words the forms offer -------------------------------------------------------


class Assignees(list):
    """The people tickets can be assigned to, with their <option>s rendered once per page.

    A queue page repeats the assignee menu on every row: rendering the options through the
    template engine for each row was half of the page's rendering time.
    """

    @cached_property
    def options_html(self) -> str:
        return format_html_join(
            "", '<option value="{}">{}</option>', ((u.pk, u.get_full_name() or u.username) for u in self)
        )


def assignees(programme) -> Assignees:
    """People tickets can be assigned to (one query)."""
    memberships = (
        Membership.objects.active()
        .filter(programme=programme)
        .with_any_role(*QUEUE_WORKERS)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )
    return Assignees(m.user for m in memberships if set(m.roles) & QUEUE_WORKERS)


def process_suggestions(programme) -> list[str]:
    """Earlier tickets' process values, most used first: the datalist of the process field.

    Counted over the latest 500 tickets (index ticket_programme_latest): the same list in
    practice, at a fixed cost where grouping every ticket of the programme took about 40 ms
    at 100,000 tickets and grew with them (2,000 rows still read 17 ms of cold pages at 1M).
    """
    recent = Ticket.objects.filter(programme=programme).order_by("-reported_at").values("pk")[:500]
    return list(
        Ticket.objects.filter(pk__in=Subquery(recent))
        .exclude(process="")
        .values("process")
        .annotate(n=Count("id"))
        .order_by("-n", "process")
        .values_list("process", flat=True)[:60]
    )


# --- The queues and My tickets --------------------------------------------------------------


def business_units(programme) -> list[str]:
    """The business units the programme's tickets name, in order (the queue's filter choices).

    A loose index scan: one index descent per distinct unit on ticket_programme_unit, where
    SELECT DISTINCT read every ticket of the programme (about 1 s at a million tickets).
    """
    table = _table(Ticket)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE units(unit) AS (
                SELECT MIN(business_unit) FROM {table} WHERE programme_id = %(p)s AND business_unit > ''
                UNION ALL
                SELECT (SELECT MIN(business_unit) FROM {table} WHERE programme_id = %(p)s AND business_unit > unit)
                FROM units WHERE unit IS NOT NULL
            )
            SELECT unit FROM units WHERE unit IS NOT NULL
            """,
            {"p": programme.pk},
        )
        return [unit for (unit,) in cursor.fetchall()]


def queue_tickets(
    access: ProgrammeAccess,
    *,
    view: str,
    status: str,
    order: tuple[str, ...],
    severity: int | None = None,
    category: str | None = None,
    business_unit: str | None = None,
    known_issue: int | None = None,
    q: str = "",
) -> QuerySet:
    """The tickets of one working queue (`view`) with the queue page's filters, in `order`."""
    tickets = Ticket.objects.visible_to(access)
    if view == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif view == "mine":
        tickets = tickets.filter(assignee=access.user)
    elif view == "team":
        team = access.membership.team if access.membership else ""
        tickets = tickets.filter(team=team)
    elif view == "tier2":
        tickets = tickets.filter(tier=Tier.TIER2)
    elif view == "tier3":
        tickets = tickets.filter(tier=Tier.TIER3)
    if status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif status == "done":
        tickets = tickets.filter(status__in=DONE_STATUSES)
    elif status in Status.values:
        tickets = tickets.filter(status=status)
    if severity:
        tickets = tickets.filter(severity=severity)
    if category:
        tickets = tickets.filter(category=category)
    if business_unit:
        tickets = tickets.filter(business_unit=business_unit)
    if known_issue:
        tickets = tickets.filter(known_issue_id=known_issue)
    tickets = search.filter_tickets(tickets, q)
    return tickets.for_list().order_by(*order)


def my_tickets(access: ProgrammeAccess, *, show: str) -> QuerySet:
    """The tickets the member logged and, for a champion, those of their business unit:
    `show` is "open", "done" or anything else for all of them. Newest first."""
    mine = Q(reporter=access.user)
    unit = access.membership.business_unit if access.membership else ""
    if unit and access.has_role(Role.CHAMPION):
        mine |= Q(business_unit=unit)
    tickets = Ticket.objects.visible_to(access).filter(mine)
    if show == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif show == "done":
        tickets = tickets.filter(status__in=DONE_STATUSES)
    return tickets.for_list().order_by("-reported_at", "-pk")


def with_public_replies(page_rows: QuerySet) -> QuerySet:
    """A page of My tickets with each ticket's count of public comments and the latest one.

    Only for the page's rows (a paginator's `rows` hook): annotating the whole list grouped
    every matching ticket with its comments (730 ms for a champion at 1M tickets).
    """
    latest = Subquery(
        Comment.objects.filter(ticket=OuterRef("pk"), internal=False)
        .order_by("-created_at", "-pk")
        .values("body")[:1]
    )
    return page_rows.annotate(
        public_comments=Count("comments", filter=Q(comments__internal=False)),
        latest_reply=latest,
    )


# --- The ticket page ------------------------------------------------------------------------


def ticket_for_page(access: ProgrammeAccess, reference: str) -> Ticket:
    """The ticket `reference` if the member may see it (else 404), with all its pages need, in
    one query cheap to plan.

    The SLA panel's policy, calendar and holidays come as objects, and so do the target's
    figures (`sla_target_values`, None without a target) and whether the ticket has
    attachments; the people and the known issue the page names come as names
    (`assignee_name`, `reporter_name`, `resolved_by_name`, `known_issue_title`), not as joined
    rows. Seven joins took PostgreSQL 1-2 ms to plan, longer than running the query; scalar
    subqueries on primary keys plan in microseconds, and as SQL they cost nothing to build in
    Python. The calendar's holidays come in the same query, as JSON (a second query and
    Django's prefetch machinery cost about 1 ms).
    """
    if access.sees_all_tickets:
        found = _ticket_rows(programme_id=access.programme.pk, reference=reference, user_id=access.user.pk)
    else:
        found = list(
            _ticket_query(Ticket.objects.visible_to(access), access.user.pk).filter(reference=reference)
        )
    if not found:
        raise Http404("No such ticket.")
    ticket = found[0]
    calendar = getattr(ticket.programme, "calendar", None)
    if calendar is not None and hasattr(ticket, "calendar_holidays"):
        _prefetched_holidays(calendar, ticket.calendar_holidays)
    ticket.sla_target_values = (
        {
            "response_minutes": ticket.sla_target_response_minutes,
            "resolution_minutes": ticket.sla_target_resolution_minutes,
            "clock": ticket.sla_target_clock,
            "at_risk_percent": ticket.sla_target_at_risk_percent,
        }
        if ticket.sla_target_clock is not None
        else None
    )
    return ticket


def _name_sql(users: str, user_id: str) -> str:
    """A user's name as the pages show it (get_full_name, else the username), as a scalar subquery."""
    return (
        f"SELECT COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username) "
        f"FROM {users} u WHERE u.id = {user_id}"
    )


def _holidays_sql(tickets: str) -> str | None:
    """The holidays of the ticket's programme calendar as JSON text, [[id, "date", "name"], …]."""
    rows = (
        f"FROM {_table(Holiday)} h JOIN {_table(BusinessCalendar)} c ON c.id = h.calendar_id "
        f"WHERE c.programme_id = {tickets}.programme_id"
    )
    if connection.vendor == "postgresql":
        return f"SELECT COALESCE(json_agg(json_build_array(h.id, h.date, h.name)), '[]')::text {rows}"
    if connection.vendor == "sqlite":
        return f"SELECT json_group_array(json_array(h.id, h.date, h.name)) {rows}"
    return None


def _prefetched_holidays(calendar: BusinessCalendar, rows: str | None) -> None:
    """Give the calendar its holidays as prefetch_related("holidays") would (the SLA panel reads them so)."""
    holidays = sorted(
        (
            Holiday(id=pk, calendar=calendar, date=date.fromisoformat(day), name=name)
            for pk, day, name in json.loads(rows or "[]")
        ),
        key=lambda holiday: (holiday.date, holiday.pk),
    )
    queryset = calendar.holidays.all()
    queryset._result_cache = holidays
    queryset._prefetch_done = True
    calendar._prefetched_objects_cache = {"holidays": queryset}


def _ticket_query(visible: QuerySet, user_id: int) -> QuerySet:
    """ticket_for_page's columns on a queryset of tickets the member may see."""
    tickets, users = _table(Ticket), _table(User)
    target = (
        f"FROM {_table(SlaTarget)} t "
        f"WHERE t.policy_id = {tickets}.sla_policy_id AND t.severity = {tickets}.severity"
    )
    text, number = CharField(), IntegerField()
    columns = {
        "has_attachments": (
            f"EXISTS (SELECT 1 FROM {_table(Attachment)} a WHERE a.ticket_id = {tickets}.id)",
            BooleanField(),
        ),
        "sla_target_response_minutes": (f"SELECT t.response_minutes {target}", number),
        "sla_target_resolution_minutes": (f"SELECT t.resolution_minutes {target}", number),
        "sla_target_clock": (f"SELECT t.clock {target}", text),
        "sla_target_at_risk_percent": (f"SELECT t.at_risk_percent {target}", number),
        "assignee_name": (_name_sql(users, f"{tickets}.assignee_id"), text),
        "reporter_name": (_name_sql(users, f"{tickets}.reporter_id"), text),
        "resolved_by_name": (_name_sql(users, f"{tickets}.resolved_by_id"), text),
        "duplicate_of_reference": (
            f"SELECT d.reference FROM {tickets} d WHERE d.id = {tickets}.duplicate_of_id",
            text,
        ),
        "known_issue_title": (
            f"SELECT k.title FROM {_table(KnownIssue)} k WHERE k.id = {tickets}.known_issue_id",
            text,
        ),
    }
    holidays = _holidays_sql(tickets)
    queryset = visible.select_related("programme__calendar", "sla_policy")
    if holidays is None:
        queryset = queryset.prefetch_related("programme__calendar__holidays")
    else:
        columns["calendar_holidays"] = (holidays, text)
    # Whether the member follows the ticket (tickets.TicketWatcher).
    following = RawSQL(
        f"EXISTS (SELECT 1 FROM {_table(TicketWatcher)} w WHERE w.ticket_id = {tickets}.id AND w.user_id = %s)",
        (user_id,),
        output_field=BooleanField(),
    )
    return queryset.annotate(
        **{name: RawSQL(sql, (), output_field=field) for name, (sql, field) in columns.items()},
        following=following,
    )


# Members who see every ticket of the programme (the desk, engineers, leads): compiled once.
_ticket_rows = CompiledQuery(
    lambda programme_id, reference, user_id: _ticket_query(
        Ticket.objects.filter(programme_id=programme_id, reference=reference), user_id
    ),
    programme_id=int,
    reference=str,
    user_id=int,
)


def ticket_events(ticket: Ticket) -> list[TicketEvent]:
    """Every event of the ticket with its actor and, for an assignment, the assignee's name: one query.

    Assignment events store a username; the name is read from the user it names (empty when
    that user is gone: the timeline then shows the username). Written as SQL because the
    equivalent Case/Subquery expression cost more to build than the query took to run.
    """
    return _events_of(ticket_id=ticket.pk)


def ticket_comments(ticket: Ticket, *, internal: bool) -> list[Comment]:
    """The ticket's comments, oldest first, each with its author's name (`author_name`); the
    internal ones only when `internal` (the member sees internal notes). One query."""
    return _comments_of[internal](ticket_id=ticket.pk)


def ticket_attachments(access: ProgrammeAccess, ticket: Ticket) -> QuerySet:
    """The ticket's attachments the member may see (champions never see internal ones)."""
    attachments = Attachment.objects.filter(ticket=ticket)
    return attachments if access.sees_internal else attachments.filter(internal=False)


def _events_query(ticket_id: int) -> QuerySet:
    users, events = _table(User), _table(TicketEvent)
    assignee_name = RawSQL(
        f"SELECT TRIM(u.first_name || ' ' || u.last_name) FROM {users} u "
        f"WHERE u.username = {events}.to_value AND {events}.kind = %s",
        (EventKind.ASSIGNED.value,),
        output_field=CharField(),
    )
    return (
        TicketEvent.objects.filter(ticket_id=ticket_id)
        .select_related("actor")
        .annotate(assignee_name=assignee_name)
        .order_by("at", "pk")
    )


def _comments_query(ticket_id: int, internal: bool) -> QuerySet:
    author = RawSQL(_name_sql(_table(User), f"{_table(Comment)}.author_id"), (), output_field=CharField())
    comments = Comment.objects.filter(ticket_id=ticket_id).annotate(author_name=author)
    return comments if internal else comments.filter(internal=False)


# The ticket page's queries, compiled once per process (hypercare.compiled).
_events_of = CompiledQuery(_events_query, ticket_id=int)
_comments_of = {
    internal: CompiledQuery(
        lambda ticket_id, internal=internal: _comments_query(ticket_id, internal), ticket_id=int
    )
    for internal in (True, False)
}


def ticket_by_reference(access: ProgrammeAccess, reference: str) -> Ticket | None:
    """A ticket of the programme the member may see, by reference (None if there is none)."""
    return Ticket.objects.visible_to(access).filter(reference=reference.strip()).first()
