"""Imported tickets' past breaches are recorded (flags, alerts, timeline) and told to nobody; only a
breach that happens after the import notifies. The tickets are logged as the CSV import logs them:
ticket_create(imported=True) "as of" their report, their status replayed, their clocks refreshed to now."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from hypercare.models import Notification
from hypercare.vocabulary import AlertKind, EventKind, Status
from tests.triage.conftest import access_of
from tickets import services as tickets
from tickets.clocks import ticket_clocks_refresh
from tickets.models import SlaAlert, Ticket, TicketEvent
from triage import services
from triage.tasks import sla_sweep_task

pytestmark = pytest.mark.django_db

YEAR = timedelta(days=365)


def import_ticket(access, *, severity, reported_at, status=Status.NEW, resolved_at=None):
    """What the import does with one row (tickets.imports builds it with these services' rules), through the services."""
    ticket = tickets.ticket_create(
        access=access,
        title=f"Sev{severity} from the old tracker",
        severity=severity,
        severity_reason="Imported: Priority",
        reported_at=reported_at,
        imported=True,
        at=reported_at,
    )
    if status == Status.IN_PROGRESS:
        tickets.ticket_transition(access=access, ticket=ticket, status=status, at=reported_at)
    if resolved_at is not None:
        tickets.ticket_resolve(
            access=access, ticket=ticket, resolution="Fixed back then.", imported=True, at=resolved_at
        )
    if ticket.status != Status.RESOLVED:
        ticket_clocks_refresh(ticket=ticket, at=timezone.now())
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def access(lead, desk, engineer):
    return access_of(lead)


def test_a_backlog_of_old_breached_tickets_is_recorded_and_notifies_nobody(access):
    now = timezone.now()
    old = [
        import_ticket(access, severity=1, reported_at=now - 3 * YEAR),
        import_ticket(access, severity=2, reported_at=now - 5 * YEAR, status=Status.IN_PROGRESS),
        import_ticket(access, severity=3, reported_at=now - 10 * YEAR),  # on the business calendar
    ]
    late = import_ticket(access, severity=3, reported_at=now - 4 * YEAR, resolved_at=now - YEAR)

    sla_sweep_task()  # the sweep and the fan-out, as beat runs them
    services.sla_alerts_fan_out(at=now + timedelta(minutes=1))

    assert Notification.objects.count() == 0 and mail.outbox == []
    for ticket in old:
        ticket.refresh_from_db()
        assert ticket.resolution_breached is True, ticket.severity  # the reports stay true
        kinds = set(SlaAlert.objects.filter(ticket=ticket).values_list("kind", flat=True))
        assert AlertKind.RESOLUTION_BREACH in kinds
        assert not SlaAlert.objects.filter(ticket=ticket).pending().exists()
        history = TicketEvent.objects.get(
            ticket=ticket, kind=EventKind.BREACH, to_value=AlertKind.RESOLUTION_BREACH
        )
        assert "before the ticket was imported" in history.note and "nobody told" in history.note
        assert history.at == ticket.resolution_due_at < ticket.imported_at
    late.refresh_from_db()
    assert late.resolution_breached is True and not SlaAlert.objects.filter(ticket=late).exists()


def test_a_breach_after_the_import_notifies_once(access, lead, desk):
    now = timezone.now()
    # Sev2: 1 h to respond, 24 h to resolve, round the clock. Reported two hours before the import.
    ticket = import_ticket(access, severity=2, reported_at=now - timedelta(hours=2))
    tickets.ticket_assign(access=access, ticket=ticket, assignee=desk.user, at=now)
    assert ticket.response_breached is True and ticket.resolution_due_at > now

    services.sla_sweep(at=now)
    services.sla_alerts_fan_out(at=now)
    assert Notification.objects.count() == 0  # the response breach is history

    after = ticket.resolution_due_at + timedelta(minutes=1)
    for _ in range(2):  # the next sweeps
        services.sla_sweep(at=after)
        services.sla_alerts_fan_out(at=after)
    told = Notification.objects.filter(kind="sla_resolution_breach")
    recipients = list(told.values_list("recipient__username", "channel"))
    assert recipients and len(recipients) == len(set(recipients))  # each person once per channel
    assert "desk" in {username for username, _ in recipients}
    assert not Notification.objects.filter(kind="sla_response_breach").exists()
    # The sweeps jumped past the at-risk instant: the breach is all there was to tell.
    assert set(Notification.objects.values_list("kind", flat=True)) == {"sla_resolution_breach"}


def test_importing_a_ten_year_old_backlog_commits_and_the_next_sweep_tells_nobody(access, lead):
    """Through the CSV import itself: an open ticket from ten years ago and one that took four years to
    resolve used to make the commit answer 500 (no working time within 1098 days)."""
    from tickets import imports

    now = timezone.now()
    ten, six, two = (f"{(now - years * YEAR):%Y-%m-%d %H:%M}" for years in (10, 6, 2))
    table = imports.csv_read(
        (
            "Issue key,Summary,Priority,Status,Created,Resolved\n"
            f"OLD-1,Invoices stuck,High,In Progress,{ten},\n"
            f"OLD-2,Quotes wrong,Medium,Done,{six},{two}\n"
            f"OLD-3,Nobody can log in,Highest,Open,{ten},\n"
        ).encode()
    )
    mapping = imports.ImportMapping(columns=imports.suggest_columns(table.headers))
    mapping.values = imports.suggest_values(table, mapping)
    created = imports.tickets_import(access=access, table=table, mapping=mapping, source_name="jira.csv")
    assert len(created) == 3

    sla_sweep_task()
    assert Notification.objects.count() == 0 and mail.outbox == []
    stuck, quotes, login = (Ticket.objects.get(source_reference=key) for key in ("OLD-1", "OLD-2", "OLD-3"))
    assert stuck.resolution_breached and login.resolution_breached and quotes.resolution_breached
    assert quotes.status == Status.RESOLVED and stuck.imported_at is not None
    assert SlaAlert.objects.filter(ticket__in=[stuck, login]).exists()
    assert not SlaAlert.objects.pending().exists()
