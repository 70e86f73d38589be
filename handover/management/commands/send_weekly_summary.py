"""Send the weekly leadership summaries that are due now (what beat does every 15 minutes), or one now."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from handover.services.weekly import weekly_report_send, weekly_reports_send_due
from hypercare.models import Programme


class Command(BaseCommand):
    help = (
        "Send every programme's weekly summary that is due (its weekday, after its status hour), once per "
        "day (safe to repeat). With --programme, send that programme's summary now, whatever the day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--programme", help="Slug of one programme to send for now.")

    def handle(self, *args, programme=None, **options):
        now = timezone.now()
        if programme is None:
            self.stdout.write(f"{weekly_reports_send_due(at=now)} weekly summary(ies) sent.")
            return
        found = Programme.objects.filter(slug=programme).first()
        if found is None:
            raise CommandError(f"No programme {programme!r}.")
        report = weekly_report_send(programme=found, at=now)
        if report is None:
            self.stdout.write(f"The weekly summary of {found.slug} for today was already sent.")
        else:
            self.stdout.write(
                f"{report.subject} — {report.get_state_display()} to {report.recipient_count} recipient(s)."
            )
