"""manage.py recompute_sla: clocks recomputed from history, changes reported, what was shown before kept."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hypercare import services as core
from hypercare.vocabulary import EventKind
from tests.triage.conftest import london
from tickets.explain import explain
from tickets.models import TicketEvent
from triage.services import sla_sweep

pytestmark = pytest.mark.django_db


def recompute(*args) -> str:
    out = StringIO()
    call_command("recompute_sla", *args, stdout=out)
    return out.getvalue()


def test_a_forgotten_holiday_moves_the_due_instant_and_the_old_one_is_kept(lead, log_ticket):
    ticket = log_ticket(severity=3, reported_at=london(2026, 3, 9, 10, 0))
    other = log_ticket(severity=1, reported_at=london(2026, 3, 9, 10, 0))
    assert ticket.resolution_due_at == london(2026, 3, 16, 10, 0)
    sla_sweep()  # the breach flags are as current as the every-minute sweep keeps them
    core.calendar_update(programme=lead.programme, holidays=[(date(2026, 3, 13), "Company day off")])

    output = recompute("--programme", "acme", "--reason", "Company day off added")

    ticket.refresh_from_db()
    assert ticket.resolution_due_at == london(2026, 3, 17, 10, 0)
    assert output.startswith("ACME-1: resolution_due_at Mon 16 Mar 2026 10:00 → Tue 17 Mar 2026 10:00\n")
    assert "Recomputed 2 tickets" in output and "ACME-2" not in output  # a 24×7 Sev1 does not move
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.SLA)
    assert event.note == "Company day off added"
    assert event.data["previous"]["resolution_due_at"] == london(2026, 3, 16, 10, 0).isoformat()
    assert "resolution_due_at" in event.data["changed"]
    assert not TicketEvent.objects.filter(ticket=other, kind=EventKind.SLA).exists()
    # The SLA timeline shows the recompute and the holiday it skipped.
    sla = explain(ticket)
    assert sla.recomputes[0]["previous"]["resolution_due_at"].startswith("2026-03-16T10:00")
    assert (date(2026, 3, 13), "Company day off") in sla.holidays

    assert "0 changed" in recompute("--ticket", "ACME-1")


def test_a_dry_run_reports_and_stores_nothing(lead, log_ticket):
    ticket = log_ticket(severity=3, reported_at=london(2026, 3, 9, 10, 0))
    core.calendar_update(programme=lead.programme, holidays=[date(2026, 3, 10)])
    output = recompute("--ticket", "ACME-1", "--dry-run")
    assert "resolution_due_at" in output and "dry run" in output
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == london(2026, 3, 16, 10, 0)
    assert not TicketEvent.objects.filter(kind=EventKind.SLA).exists()


def test_unknown_programmes_and_tickets_are_named(lead):
    with pytest.raises(CommandError, match="nope"):
        recompute("--programme", "nope")
    with pytest.raises(CommandError, match="ACME-99"):
        recompute("--ticket", "ACME-99")
