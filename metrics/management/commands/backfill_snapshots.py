"""Rebuild a programme's daily snapshots from its ticket history."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hypercare.models import Programme
from metrics import services


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date in YYYY-MM-DD form.") from None


class Command(BaseCommand):
    help = "Recompute the snapshots of every day in a range (idempotent: each day's row is replaced)."

    def add_arguments(self, parser):
        parser.add_argument("--programme", required=True, help="The programme's slug.")
        parser.add_argument("--from", dest="start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", required=True, help="Last day, YYYY-MM-DD (must have ended).")

    def handle(self, *args, programme: str, start: str, end: str, **options):
        found = Programme.objects.filter(slug=programme).first()
        if found is None:
            raise CommandError(f"No programme {programme!r}.")
        try:
            count = services.snapshots_backfill(programme=found, start=_date(start), end=_date(end))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(f"{count} snapshot(s) of {found.slug} rebuilt ({start} to {end}).")
        )
