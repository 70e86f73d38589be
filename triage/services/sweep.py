"""The breach sweep: flag tickets that became at risk or breached, and tell the right people once.

Two steps, each safe to repeat, to run twice at once, or to die half-way:

1. `sla_sweep` is a constant number of set-based statements in one transaction. Each
   flips a flag with `UPDATE … WHERE flag = false AND <instant> < now` (served by the
   partial indexes of the ticket table) and records an alert per flipped ticket in
   `triage_slaalert`, whose (ticket, kind) pair is unique: `INSERT … ON CONFLICT DO
   NOTHING`. On PostgreSQL the two are one statement (`WITH … UPDATE … RETURNING`); on
   SQLite the transaction holds the database's write lock from its first statement.
   A concurrent sweep blocks on the same rows and then finds their flags already set.
2. `sla_alerts_fan_out` turns pending alerts into notifications in bounded batches: each
   batch claims its alerts (`FOR UPDATE SKIP LOCKED` on PostgreSQL), inserts the
   notifications (unique dedupe keys) and timeline entries, and marks the alerts notified,
   all in one transaction. A worker killed mid-batch leaves the alerts pending for the next
   run; a second worker skips the claimed ones. An imported ticket's alert for what happened
   before its import (`is_history`) gets its timeline entry and is marked handled, but
   nobody is told: only what happens after an import is news.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from hypercare.models import Membership
from hypercare.notifications import Message, notify_many
from hypercare.roles import Role
from hypercare.vocabulary import OPEN_STATUSES, AlertKind, EventKind
from sla.engine import RUNNING_STATUSES
from tickets.models import SlaAlert, Ticket, TicketEvent
from triage.models import OnCallShift, QueueLead

OPEN = "(" + ", ".join(f"'{s}'" for s in sorted(OPEN_STATUSES)) + ")"
RUNNING = "(" + ", ".join(f"'{s}'" for s in sorted(RUNNING_STATUSES)) + ")"

# Each rule: the alert kind, the SET clause, and the WHERE clause that finds the tickets
# whose flag flips now. The WHERE clauses start with the partial indexes' conditions.
# When a target is breached the at-risk flag drops back to the other clock's risk, as in
# sla.engine.compute, so the board shows a ticket either at risk or breached.
RULES = (
    (
        AlertKind.RESPONSE_BREACH,
        "response_breached = TRUE, at_risk = COALESCE(resolved_at IS NULL AND status IN {running} "
        "AND NOT resolution_breached AND resolution_at_risk_at <= %(at)s, FALSE)",
        "response_breached = FALSE AND first_responded_at IS NULL AND response_due_at < %(at)s "
        "AND status IN {open}",
    ),
    (
        AlertKind.RESOLUTION_BREACH,
        "resolution_breached = TRUE, at_risk = COALESCE(first_responded_at IS NULL "
        "AND NOT response_breached AND response_at_risk_at <= %(at)s, FALSE)",
        "resolution_breached = FALSE AND resolved_at IS NULL AND resolution_due_at < %(at)s "
        "AND status IN {running}",
    ),
    (
        AlertKind.AT_RISK,
        "at_risk = TRUE",
        "at_risk = FALSE AND status IN {open} AND ("
        "(first_responded_at IS NULL AND NOT response_breached AND response_at_risk_at <= %(at)s) OR "
        "(resolved_at IS NULL AND status IN {running} AND NOT resolution_breached "
        "AND resolution_at_risk_at <= %(at)s))",
    ),
)

NOTIFICATION_KINDS = {
    AlertKind.AT_RISK: "sla_at_risk",
    AlertKind.RESPONSE_BREACH: "sla_response_breach",
    AlertKind.RESOLUTION_BREACH: "sla_resolution_breach",
}


def _sql(kind: str, set_clause: str, where: str, vendor: str) -> list[str]:
    tickets, alerts = Ticket._meta.db_table, SlaAlert._meta.db_table
    set_clause = set_clause.format(open=OPEN, running=RUNNING)
    where = where.format(open=OPEN, running=RUNNING)
    if vendor == "postgresql":
        return [
            f"WITH flagged AS (UPDATE {tickets} SET {set_clause} WHERE {where} RETURNING id, severity) "
            f"INSERT INTO {alerts} (ticket_id, kind, severity, created_at) "
            f"SELECT id, '{kind}', severity, %(at)s FROM flagged "
            "ON CONFLICT (ticket_id, kind) DO NOTHING"
        ]
    return [
        f"INSERT INTO {alerts} (ticket_id, kind, severity, created_at) "
        f"SELECT id, '{kind}', severity, %(at)s FROM {tickets} WHERE {where} "
        "ON CONFLICT (ticket_id, kind) DO NOTHING",
        f"UPDATE {tickets} SET {set_clause} WHERE {where}",
    ]


def sla_sweep(*, at: datetime | None = None) -> dict[str, int]:
    """Flag every open ticket that became at risk or breached by `at`, and record its alerts.

    A constant number of statements (three on PostgreSQL, six on SQLite) in one
    transaction, whatever the number of tickets. Returns the new alerts per kind.
    """
    at = at or timezone.now()
    params = {"at": connection.ops.adapt_datetimefield_value(at)}
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for kind, set_clause, where in RULES:
            statements = _sql(kind, set_clause, where, connection.vendor)
            cursor.execute(statements[0], params)
            counts[kind] = max(cursor.rowcount, 0)
            for statement in statements[1:]:
                cursor.execute(statement, params)
    return counts


def _recipients(alerts: list[SlaAlert], at: datetime) -> dict[int, list]:
    """Who hears of each alert: assignee and queue lead; Sev1, and Sev1/Sev2 breaches, also the
    hypercare leads and whoever is on call. A queue with no named lead falls back to the
    hypercare leads, so an alert always reaches someone who can act."""
    programme_ids = {alert.ticket.programme_id for alert in alerts}
    queue_leads = {
        (row.programme_id, row.tier): row.user
        for row in QueueLead.objects.filter(
            programme_id__in=programme_ids, user__is_active=True
        ).select_related("user")
    }
    leads: dict[int, list] = defaultdict(list)
    for membership in (
        Membership.objects.active()
        .with_role(Role.LEAD)
        .filter(programme_id__in=programme_ids, user__is_active=True)
        .select_related("user")
    ):
        leads[membership.programme_id].append(membership.user)
    on_call: dict[int, list] = defaultdict(list)
    for shift in OnCallShift.objects.at(at).filter(programme_id__in=programme_ids).select_related("user"):
        on_call[shift.programme_id].append(shift.user)

    people: dict[int, list] = {}
    for alert in alerts:
        ticket = alert.ticket
        chosen = []
        if ticket.assignee is not None and ticket.assignee.is_active:
            chosen.append(ticket.assignee)
        queue_lead = queue_leads.get((ticket.programme_id, max(ticket.tier, 2)))
        chosen.extend([queue_lead] if queue_lead else leads[ticket.programme_id])
        escalate = alert.severity == 1 or (alert.kind != AlertKind.AT_RISK and alert.severity <= 2)
        if escalate:
            chosen.extend(leads[ticket.programme_id])
            chosen.extend(on_call[ticket.programme_id])
        unique = {user.pk: user for user in chosen}
        people[alert.pk] = list(unique.values())
    return people


def _message(alert: SlaAlert, recipients: list) -> Message:
    ticket = alert.ticket
    zone = ZoneInfo(ticket.programme.timezone)
    if alert.kind == AlertKind.RESPONSE_BREACH:
        what, due = "response target breached", ticket.response_due_at
    elif alert.kind == AlertKind.RESOLUTION_BREACH:
        what, due = "resolution target breached", ticket.resolution_due_at
    else:
        what = "SLA at risk"
        due = ticket.response_due_at if ticket.first_responded_at is None else ticket.resolution_due_at
    due_text = f"{due.astimezone(zone):%a %d %b %H:%M} ({ticket.programme.timezone})" if due else "—"
    assignee = (ticket.assignee.get_full_name() or ticket.assignee.username) if ticket.assignee else "nobody"
    return Message(
        programme_id=ticket.programme_id,
        recipients=recipients,
        kind=NOTIFICATION_KINDS[alert.kind],
        key=f"sla:{alert.kind}:{ticket.pk}",
        subject=f"{ticket.reference} Sev{alert.severity}: {what}",
        body=(
            f"{ticket.title}\n{what.capitalize()}: due {due_text}. "
            f"Tier {ticket.tier}, {ticket.get_status_display().lower()}, assigned to {assignee}."
        ),
        link=f"/p/{ticket.programme.slug}/tickets/{ticket.reference}/",
        reference=ticket.reference,
    )


def _happened_at(alert: SlaAlert) -> datetime | None:
    """When the alert's event happened: the breached due instant, or the at-risk instant passed."""
    ticket = alert.ticket
    if alert.kind == AlertKind.RESPONSE_BREACH:
        return ticket.response_due_at
    if alert.kind == AlertKind.RESOLUTION_BREACH:
        return ticket.resolution_due_at
    instants = [
        instant
        for instant, running in (
            (ticket.response_at_risk_at, ticket.first_responded_at is None),
            (ticket.resolution_at_risk_at, ticket.resolved_at is None),
        )
        if running and instant is not None
    ]
    return min(instants, default=None)


def is_history(alert: SlaAlert) -> bool:
    """An imported ticket's alert for what happened before the import: recorded, told to nobody."""
    return alert.ticket.happened_before_import(_happened_at(alert))


@transaction.atomic
def _fan_out_batch(*, at: datetime, batch_size: int) -> int:
    claim = SlaAlert.objects.pending().order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        claim = claim.select_for_update(skip_locked=True, of=("self",))
    alerts = list(claim.select_related("ticket__programme", "ticket__assignee")[:batch_size])
    if not alerts:
        return 0
    history = [alert for alert in alerts if is_history(alert)]
    news = [alert for alert in alerts if not is_history(alert)]
    recipients = _recipients(news, at) if news else {}
    notify_many([_message(alert, recipients[alert.pk]) for alert in news], at=at)
    TicketEvent.objects.bulk_create(
        [
            TicketEvent(
                ticket_id=alert.ticket_id,
                kind=EventKind.BREACH,
                at=alert.created_at,
                to_value=alert.kind,
                note=f"{alert.get_kind_display()}; told {', '.join(u.username for u in recipients[alert.pk]) or 'nobody'}.",
                data={"alert": alert.kind, "severity": alert.severity},
            )
            for alert in news
        ]
        + [
            TicketEvent(
                ticket_id=alert.ticket_id,
                kind=EventKind.BREACH,
                at=_happened_at(alert),
                to_value=alert.kind,
                note=f"{alert.get_kind_display()} before the ticket was imported; recorded, nobody told.",
                data={"alert": alert.kind, "severity": alert.severity, "history": True},
            )
            for alert in history
        ]
    )
    # Handled either way: history is marked like a sent alert, so no later run tells anyone.
    SlaAlert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(notified_at=at)
    return len(alerts)


def sla_alerts_fan_out(*, at: datetime | None = None, batch_size: int = 200, max_batches: int = 25) -> int:
    """Send the notifications of pending SLA alerts, a bounded batch per transaction.

    At most `batch_size * max_batches` alerts per call, so a backlog never makes one task
    run for ever; the rest go out on the next run. Returns the alerts handled.
    """
    at = at or timezone.now()
    handled = 0
    for _ in range(max_batches):
        done = _fan_out_batch(at=at, batch_size=batch_size)
        handled += done
        if done < batch_size:
            break
    return handled
