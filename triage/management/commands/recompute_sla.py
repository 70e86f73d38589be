"""manage.py recompute_sla: recompute tickets' SLA clocks from their history (after a calendar fix, say)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hypercare.models import Programme
from tickets.clocks import ClockContext, ticket_clocks_recompute
from tickets.models import Ticket


def _show(value, zone: ZoneInfo) -> str:
    if isinstance(value, datetime):
        return f"{value.astimezone(zone):%a %d %b %Y %H:%M}"
    if value is None or value == "":
        return "—"
    return str(value)


class Command(BaseCommand):
    help = (
        "Recompute SLA clocks from each ticket's own timeline with today's calendar and the ticket's "
        "policy version. Every change is printed and kept on the ticket's timeline with the values shown before."
    )

    def add_arguments(self, parser):
        parser.add_argument("--programme", metavar="SLUG", help="only this programme's tickets")
        parser.add_argument("--ticket", metavar="REF", help="only this ticket (e.g. ACME-142)")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, store nothing")
        parser.add_argument(
            "--reason", default="", help='why, for the timeline (e.g. "Good Friday added to the calendar")'
        )

    def handle(self, *args, programme=None, ticket=None, dry_run=False, reason="", **options):
        tickets = Ticket.objects.select_related("programme").order_by("programme_id", "number")
        if programme:
            found = Programme.objects.filter(slug=programme).first()
            if found is None:
                raise CommandError(f"No programme with the slug {programme!r}.")
            tickets = tickets.filter(programme=found)
        if ticket:
            tickets = tickets.filter(reference=ticket)
            count = tickets.count()
            if count == 0:
                raise CommandError(f"No ticket {ticket!r}{' in ' + programme if programme else ''}.")
            if count > 1:
                raise CommandError(f"{ticket!r} exists in several programmes: add --programme SLUG.")
        context = ClockContext()
        now = timezone.now()
        seen = changed = 0
        for row in tickets.iterator(chunk_size=500):
            seen += 1
            changes = ticket_clocks_recompute(
                ticket=row,
                at=now,
                reason=reason or "SLA clocks recomputed from the ticket's history (manage.py recompute_sla).",
                context=context,
                dry_run=dry_run,
            )
            if not changes:
                continue
            changed += 1
            zone = ZoneInfo(row.programme.timezone)
            detail = "; ".join(
                f"{name} {_show(old, zone)} → {_show(new, zone)}" for name, (old, new) in changes.items()
            )
            self.stdout.write(f"{row.reference}: {detail}")
        suffix = " (dry run: nothing stored)" if dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Recomputed {seen} ticket{'s' if seen != 1 else ''}: {changed} changed{suffix}."
            )
        )
