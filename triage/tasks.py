"""Thin Celery tasks of triage: the breach sweep, run every minute by beat."""

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)  # safe to run twice, or at once: see triage.services.sweep
def sla_sweep_task() -> dict:
    """Flag tickets that became at risk or breached, then send the pending alerts' notifications."""
    from triage.services import sla_alerts_fan_out, sla_sweep

    now = timezone.now()
    flagged = sla_sweep(at=now)
    return {"flagged": flagged, "notified": sla_alerts_fan_out(at=now)}


@shared_task(acks_late=True)  # safe to run twice: a recompute that changes nothing writes nothing
def recompute_open_clocks_task(*, programme_id: int) -> int:
    """After a calendar change, recompute the business-hours clocks of the programme's open tickets."""
    from django.utils import timezone

    from hypercare.vocabulary import Clock
    from tickets.models import Ticket
    from triage.services import ClockContext, ticket_clocks_recompute

    context, now, changed = ClockContext(), timezone.now(), 0
    tickets = Ticket.objects.open().filter(programme_id=programme_id, sla_clock=Clock.BUSINESS)
    for ticket in tickets.select_related("programme").iterator(chunk_size=500):
        if ticket_clocks_recompute(
            ticket=ticket, at=now, context=context, reason="The business calendar changed."
        ):
            changed += 1
    return changed
