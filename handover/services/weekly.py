"""The weekly leadership summary: built from the scorecard and the exit gate, sent once a week."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from handover.weekly import weekly_figures, weekly_subject
from hypercare.models import Programme, ProgrammeStatus
from hypercare.site import site_url
from releases.models import ReportKind, StatusReport
from releases.services.comms import report_claim_and_send
from releases.services.patches import release_settings_for


def weekly_report_url(report: StatusReport) -> str:
    return reverse("handover:weekly_report", args=[report.programme.slug, report.pk])


def render_weekly_email(*, report: StatusReport) -> tuple[str, str]:
    """The text and HTML bodies of the weekly summary e-mail."""
    site = site_url()
    programme = report.programme
    context = {
        "report": report,
        "data": report.data,
        "programme": programme,
        "site": site,
        "report_url": site + weekly_report_url(report),
        "preferences_url": site + reverse("releases:preferences", args=[programme.slug]),
    }
    text = render_to_string("handover/email/weekly_summary.txt", context)
    html = render_to_string("handover/email/weekly_summary.html", context)
    return text, html


def weekly_report_send(*, programme: Programme, at: datetime | None = None) -> StatusReport | None:
    """Build and send this week's summary once: the (programme, date, weekly) row is claimed before any
    e-mail leaves. None when another run already claimed it. Must not run inside an outer transaction."""
    at = at or timezone.now()
    return report_claim_and_send(
        programme=programme,
        kind=ReportKind.WEEKLY,
        at=at,
        figures=lambda: weekly_figures(programme=programme, at=at),
        subject_of=lambda data: weekly_subject(programme=programme, data=data),
        render=render_weekly_email,
    )


def weekly_reports_send_due(*, at: datetime | None = None) -> int:
    """Send each running programme's weekly summary on its weekday, once its status hour has come
    (both in the programme's release settings and time zone). Safe to run as often as beat likes."""
    at = at or timezone.now()
    sent = 0
    running = Programme.objects.filter(status__in=[ProgrammeStatus.ACTIVE, ProgrammeStatus.EXIT_REVIEW])
    for programme in running.order_by("pk"):
        options = release_settings_for(programme)
        local = timezone.localtime(at, ZoneInfo(programme.timezone))
        if local.weekday() != options.weekly_weekday or local.hour < options.status_hour:
            continue
        if weekly_report_send(programme=programme, at=at) is not None:
            sent += 1
    return sent
