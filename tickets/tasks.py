"""Thin Celery tasks of tickets: keeping open tickets' clocks current after a calendar change."""

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)  # safe to run twice: a recompute that changes nothing writes nothing
def recompute_open_clocks_task(*, programme_id: int) -> int:
    """After a calendar change, recompute the business-hours clocks of the programme's open tickets."""
    from hypercare.vocabulary import Clock
    from tickets.clocks import ClockContext, ticket_clocks_recompute
    from tickets.models import Ticket

    context, now, changed = ClockContext(), timezone.now(), 0
    tickets = Ticket.objects.open().filter(programme_id=programme_id, sla_clock=Clock.BUSINESS)
    for ticket in tickets.select_related("programme").iterator(chunk_size=500):
        if ticket_clocks_recompute(
            ticket=ticket, at=now, context=context, reason="The business calendar changed."
        ):
            changed += 1
    return changed


@shared_task(acks_late=True)  # a second delivery finds the import taken and does nothing
def run_import_task(*, import_id: int) -> None:
    """Run a queued CSV import (dry run or commit) of tickets.import_jobs."""
    from tickets.import_jobs import import_execute

    import_execute(import_id=import_id)
