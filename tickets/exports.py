"""The queue as CSV: streamed row by row, with spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from hypercare.spreadsheet import neutralise
from sla import outcomes
from tickets.models import Ticket

COLUMNS = [
    "reference",
    "title",
    "kind",
    "category",
    "severity",
    "tier",
    "status",
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
    "response_breached",
    "resolution_breached",
    "source_reference",
    "description",
    "resolution",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).isoformat(timespec="minutes") if value else ""


def ticket_row(ticket: Ticket, zone: ZoneInfo, at: datetime) -> list[str]:
    sla = outcomes.judge(ticket, at)  # as the API and the queue show it, not the sweep's last flags
    return [
        ticket.reference,
        neutralise(ticket.title),
        ticket.kind,
        ticket.category,
        str(ticket.severity),
        str(ticket.tier),
        ticket.status,
        neutralise(ticket.assignee.username) if ticket.assignee else "",
        ticket.team,
        neutralise(ticket.reporter.username),
        neutralise(ticket.business_unit),
        neutralise(ticket.geography),
        neutralise(ticket.process),
        neutralise(ticket.known_issue.title) if ticket.known_issue else "",
        _when(ticket.reported_at, zone),
        _when(ticket.triaged_at, zone),
        _when(ticket.first_responded_at, zone),
        _when(ticket.resolved_at, zone),
        _when(ticket.closed_at, zone),
        str(ticket.resolved_at_tier or ""),
        _when(ticket.response_due_at, zone),
        _when(ticket.resolution_due_at, zone),
        "yes" if sla.response_breached else "no",
        "yes" if sla.resolution_breached else "no",
        neutralise(ticket.source_reference),
        neutralise(ticket.description),
        neutralise(ticket.resolution),
    ]


def tickets_csv(tickets: Iterable[Ticket], *, zone: ZoneInfo) -> Iterator[str]:
    """CSV lines of the tickets (a byte-order mark first, so Excel reads UTF-8), one row at a time."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(COLUMNS)
    at = timezone.now()
    for ticket in tickets:
        yield writer.writerow(ticket_row(ticket, zone, at))
