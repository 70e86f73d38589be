"""Send the status reports that are due now (what beat does every 15 minutes), or one report on demand."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from hypercare.models import Programme
from releases import services
from releases.models import ReportKind


class Command(BaseCommand):
    help = (
        "Send every programme's due daily status, once per day (safe to repeat; the weekly summary is "
        "handover's send_weekly_summary). "
        "With --programme, send that programme's report now, whatever the hour (still once per day)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--programme", help="Slug of one programme to send for now.")

    def handle(self, *args, programme=None, **options):
        kind = ReportKind.DAILY
        now = timezone.now()
        if programme is None:
            sent = services.status_reports_send_due(at=now)
            self.stdout.write(f"{sent} report(s) sent.")
            return
        found = Programme.objects.filter(slug=programme).first()
        if found is None:
            raise CommandError(f"No programme {programme!r}.")
        report = services.status_report_send(programme=found, kind=kind, at=now)
        if report is None:
            self.stdout.write(f"The {kind} of {found.slug} for today was already sent.")
        else:
            self.stdout.write(
                f"{report.subject} — {report.get_state_display()} to {report.recipient_count} recipient(s)."
            )
