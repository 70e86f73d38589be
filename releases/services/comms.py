"""Daily status to the sponsor (seed 001), who receives the status reports, and email opt-outs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from hypercare.models import Membership, NotificationPreference, Programme, ProgrammeStatus, roles_q
from hypercare.roles import Role
from hypercare.site import site_url
from hypercare.vocabulary import OPEN_STATUSES
from metrics import selectors
from metrics.selectors import Window
from releases.models import (
    ChangeStatus,
    Hotfix,
    PatchRelease,
    ProductionChange,
    ReportKind,
    ReportState,
    StatusReport,
)
from releases.services.patches import release_settings_for
from releases.signals import status_figures_collect
from tickets.models import KnownIssue

logger = logging.getLogger(__name__)

RECIPIENT_ROLES = {
    ReportKind.DAILY: (Role.SPONSOR, Role.LEAD),
    # Seed 001: daily status to the sponsor, weekly to broader leadership.
    ReportKind.WEEKLY: (Role.SPONSOR, Role.LEAD, Role.OPERATIONAL_OWNER, Role.CHANGE_MANAGER),
}
PERIOD_DAYS = {ReportKind.DAILY: 1}
BURNUP_DAYS = 14
CHART_WIDTH, CHART_HEIGHT = 420, 120


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _chart(points: list[dict]) -> dict:
    """SVG polyline coordinates of the burn-up, scaled to the window's own range so the trend shows."""
    values = [p["logged"] for p in points] + [p["resolved"] for p in points]
    floor, top = (min(values), max(values)) if values else (0, 0)
    span = max(1, top - floor)
    step = CHART_WIDTH / max(1, len(points) - 1)

    def line(name: str) -> str:
        return " ".join(
            f"{round(i * step, 1)},{round(CHART_HEIGHT - (p[name] - floor) * CHART_HEIGHT / span, 1)}"
            for i, p in enumerate(points)
        )

    return {"logged": line("logged"), "resolved": line("resolved"), "floor": floor, "top": top}


# The scorecard's and the exit gate's figures a status report repeats, in the order it shows them.
KEY_FIGURES = (
    ("resolution_sla_compliance", "Resolution SLA compliance"),
    ("bau_share", "BAU share of incoming tickets"),
    ("exception_rate", "Exception rate"),
    ("integration_success", "Integration success"),
    ("governor_limit_alerts", "Governor-limit alerts"),
    ("lock_contentions", "Lock contentions"),
)


def key_figures(*, programme: Programme, at: datetime) -> dict:
    """The scorecard's and the exit gate's figures over their window, as their selectors compute them
    (JSON-ready): the sponsor reads the same numbers as the dashboards that morning. Four queries."""
    window = Window.ending(programme, at=at)
    lines = selectors.telemetry_days(programme, window)
    values = {
        "resolution_sla_compliance": selectors.resolution_sla_compliance(programme, window),
        "bau_share": selectors.bau_share(programme, window),
        "exception_rate": selectors.exception_rate(programme, window, lines=lines),
        "integration_success": selectors.integration_success(programme, window, lines=lines),
        "governor_limit_alerts": selectors.governor_limit_alerts(programme, window, lines=lines),
        "lock_contentions": selectors.lock_contentions(programme, window, lines=lines),
    }
    rows = []
    for key, label in KEY_FIGURES:
        figure = values[key]
        value = figure.value if isinstance(figure, selectors.Total) else figure.percent
        rows.append({"key": key, "label": label, "value": value, "text": figure.text})
    return {"window": window.as_dict(), "figures": rows}


def status_figures(*, programme: Programme, kind: str = ReportKind.DAILY, at: datetime | None = None) -> dict:
    """The figures of a status report, computed with aggregate queries (JSON-ready)."""
    at = at or timezone.now()
    tz = ZoneInfo(programme.timezone)
    today = timezone.localdate(at, timezone=tz)
    since = at - timedelta(days=PERIOD_DAYS[kind])
    first_day = max(programme.go_live_date, today - timedelta(days=BURNUP_DAYS - 1))
    if first_day > today:
        first_day = today
    burnup_start = _local_midnight(first_day, tz)
    tickets = programme.tickets.filter(reported_at__lt=at)
    open_q = Q(status__in=OPEN_STATUSES)
    breached_q = Q(response_breached=True) | Q(resolution_breached=True)
    counts = tickets.aggregate(
        new_sev1=Count("pk", filter=Q(severity=1, reported_at__gte=since)),
        new_sev2=Count("pk", filter=Q(severity=2, reported_at__gte=since)),
        new_total=Count("pk", filter=Q(reported_at__gte=since)),
        open_sev1=Count("pk", filter=open_q & Q(severity=1)),
        open_sev2=Count("pk", filter=open_q & Q(severity=2)),
        open_total=Count("pk", filter=open_q),
        resolved_in_period=Count("pk", filter=Q(resolved_at__gte=since, resolved_at__lt=at)),
        open_in_breach=Count("pk", filter=open_q & breached_q),
        response_breaches=Count("pk", filter=Q(response_breached=True)),
        resolution_breaches=Count("pk", filter=Q(resolution_breached=True)),
        logged_before=Count("pk", filter=Q(reported_at__lt=burnup_start)),
        resolved_before=Count("pk", filter=Q(resolved_at__lt=burnup_start)),
    )
    logged_by_day = dict(
        tickets.filter(reported_at__gte=burnup_start)
        .annotate(day=TruncDate("reported_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    resolved_by_day = dict(
        tickets.filter(resolved_at__gte=burnup_start, resolved_at__lt=at)
        .annotate(day=TruncDate("resolved_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    burnup, logged, resolved = [], counts.pop("logged_before"), counts.pop("resolved_before")
    day = first_day
    while day <= today:
        logged += logged_by_day.get(day, 0)
        resolved += resolved_by_day.get(day, 0)
        burnup.append({"date": day.isoformat(), "logged": logged, "resolved": resolved})
        day += timedelta(days=1)
    known_issues = [
        {
            "title": issue.title,
            "workaround": issue.workaround,
            "fix_expected_on": issue.fix_expected_on.isoformat() if issue.fix_expected_on else "",
            "status": issue.get_status_display(),
            "open_tickets": issue.open_tickets,
        }
        for issue in KnownIssue.objects.open()
        .filter(programme=programme)
        .annotate(open_tickets=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES)))
        .order_by("-open_tickets", "fix_expected_on", "pk")[:5]
    ]
    releases = PatchRelease.objects.filter(programme=programme).annotate(fixes=Count("hotfixes"))
    deployed = [
        {"name": r.name, "deployed_at": r.deployed_at.isoformat(), "fixes": r.fixes}
        for r in releases.deployed()
        .filter(deployed_at__gte=since, deployed_at__lt=at)
        .order_by("deployed_at")
    ]
    planned = [
        {"name": r.name, "planned_for": r.planned_for.isoformat(), "fixes": r.fixes}
        for r in releases.planned().filter(planned_for__gte=today).order_by("planned_for")[:3]
    ]
    hotfix_counts = Hotfix.objects.filter(programme=programme).aggregate(
        deployed_in_period=Count("pk", filter=Q(deployed_at__gte=since, deployed_at__lt=at)),
        in_progress=Count("pk", filter=~Q(stage="deployed")),
        emergency_in_period=Count("pk", filter=Q(emergency=True, created_at__gte=since, created_at__lt=at)),
    )
    pending_changes = ProductionChange.objects.filter(
        programme=programme, status=ChangeStatus.AWAITING_APPROVAL
    ).count()
    extra: dict = {}
    for _, figures in status_figures_collect.send(sender=Programme, programme=programme, kind=kind, at=at):
        extra |= figures or {}
    return extra | {
        "kind": str(kind),
        "date": today.isoformat(),
        "period_days": PERIOD_DAYS[kind],
        "generated_at": at.isoformat(),
        "programme": {"name": programme.name, "slug": programme.slug, "timezone": programme.timezone},
        "tickets": counts,
        "burnup": burnup,
        "chart": _chart(burnup),
        "known_issues": known_issues,
        "releases_deployed": deployed,
        "releases_planned": planned,
        "hotfixes": hotfix_counts,
        "production_changes_awaiting_approval": pending_changes,
        "key_figures": key_figures(programme=programme, at=at),
    }


def status_subject(*, programme: Programme, kind: str, data: dict) -> str:
    counts = data["tickets"]
    label = "Daily status"
    day = date.fromisoformat(data["date"])
    return (
        f"{programme.name} · {label} {day:%a %d %b}: {counts['open_sev1']} open Sev1,"
        f" {counts['open_sev2']} open Sev2, {counts['open_in_breach']} in breach"
    )[:200]


def status_recipients(*, programme: Programme, kind: str) -> list:
    """Members who receive this report by email: the report's roles, with an email, minus opt-outs."""
    roles = roles_q(*RECIPIENT_ROLES[kind])
    opted_out = NotificationPreference.objects.filter(kind=kind, email=False).values("user_id")
    return [
        membership.user
        for membership in Membership.objects.active()
        .filter(programme=programme)
        .filter(roles)
        .exclude(user__email="")
        .exclude(user_id__in=opted_out)
        .select_related("user")
        .order_by("user__username")
    ]


def render_status_email(*, report: StatusReport) -> tuple[str, str]:
    """The text and HTML bodies of a status report email."""
    site = site_url()
    programme = report.programme
    context = {
        "report": report,
        "data": report.data,
        "programme": programme,
        "report_url": site + reverse("releases:status_report", args=[programme.slug, report.pk]),
        "preferences_url": site + reverse("releases:preferences", args=[programme.slug]),
        "whats_happening_url": site + reverse("releases:whats_happening", args=[programme.slug]),
    }
    text = render_to_string("releases/email/daily_status.txt", context)
    html = render_to_string("releases/email/daily_status.html", context)
    return text, html


def report_claim_and_send(
    *,
    programme: Programme,
    kind: str,
    at: datetime,
    figures: Callable[[], dict],
    subject_of: Callable[[dict], str],
    render: Callable[..., tuple[str, str]],
) -> StatusReport | None:
    """The once-a-day flow every status report shares (the daily status here, the weekly summary
    in handover): claim the (programme, local date, kind) row before any e-mail leaves, send the
    text and HTML e-mail to the report's recipients, record SENT or FAILED.

    A FAILED earlier attempt may be taken over, by one run only (conditional UPDATE). Returns None
    when another run holds the day's row. Must not run inside an outer transaction: the claim has
    to be committed before sending.
    """
    day = timezone.localdate(at, timezone=ZoneInfo(programme.timezone))
    mine = StatusReport.objects.filter(programme=programme, kind=kind, date=day)
    if mine.exclude(state=ReportState.FAILED).exists():
        return None
    data = figures()
    subject = subject_of(data)
    try:
        with transaction.atomic():
            report = StatusReport.objects.create(
                programme=programme, kind=kind, date=day, subject=subject, data=data, claimed_at=at
            )
    except IntegrityError:
        won = mine.filter(state=ReportState.FAILED).update(
            state=ReportState.SENDING, claimed_at=at, subject=subject, data=data, last_error=""
        )
        if won != 1:
            return None
        report = mine.get()
    text, html = render(report=report)
    messages = []
    for user in status_recipients(programme=programme, kind=kind):
        message = EmailMultiAlternatives(subject=subject, body=text, to=[user.email])
        message.attach_alternative(html, "text/html")
        messages.append(message)
    try:
        if messages:
            with get_connection() as connection:
                connection.send_messages(messages)
    except Exception as error:  # the mail server said no: leave the row for a later run to take over
        logger.warning("%s %s failed: %s", report.get_kind_display(), report.pk, error)
        StatusReport.objects.filter(pk=report.pk).update(
            state=ReportState.FAILED, last_error=str(error)[:1000]
        )
    else:
        StatusReport.objects.filter(pk=report.pk).update(
            state=ReportState.SENT, sent_at=timezone.now(), recipient_count=len(messages)
        )
    report.refresh_from_db()
    return report


def status_report_send(
    *, programme: Programme, kind: str = ReportKind.DAILY, at: datetime | None = None
) -> StatusReport | None:
    """Send today's report once: the (programme, date, kind) row is claimed before any email leaves.

    Returns None when another run already claimed it (the task ran twice, or two workers raced).
    Must not run inside an outer transaction: the claim has to be committed before sending.
    """
    from releases.services.webhooks import webhook_emit

    if kind != ReportKind.DAILY:
        # The weekly summary reads the scorecard and the exit gate, which live above this app.
        raise ValueError("The weekly summary is sent by handover.services.weekly.weekly_report_send.")
    at = at or timezone.now()
    report = report_claim_and_send(
        programme=programme,
        kind=kind,
        at=at,
        figures=lambda: status_figures(programme=programme, kind=kind, at=at),
        subject_of=lambda data: status_subject(programme=programme, kind=kind, data=data),
        render=render_status_email,
    )
    if report is None or report.state != ReportState.SENT:
        return report
    data, day, subject = report.data, report.date, report.subject
    if kind == ReportKind.DAILY:
        counts = data["tickets"]
        with transaction.atomic():
            webhook_emit(
                programme=programme,
                event="daily_status",
                key=f"daily_status:{programme.pk}:{day.isoformat()}",
                payload={
                    "text": subject,
                    "fields": {
                        "New Sev1": counts["new_sev1"],
                        "New Sev2": counts["new_sev2"],
                        "Open Sev1": counts["open_sev1"],
                        "Open Sev2": counts["open_sev2"],
                        "Open in breach": counts["open_in_breach"],
                        "Open tickets": counts["open_total"],
                    },
                    "url": site_url() + reverse("releases:status_report", args=[programme.slug, report.pk]),
                },
                at=at,
            )
    return report


def status_reports_send_due(*, at: datetime | None = None) -> int:
    """Send each running programme's daily status once it is due (the weekly leadership summary is
    the handover app's own report: handover.services.weekly).

    Due means the local hour (programme time zone) has reached the programme's status hour.
    Safe to run as often as beat likes: every report is claimed once per programme and day.
    """
    at = at or timezone.now()
    sent = 0
    running = Programme.objects.filter(status__in=[ProgrammeStatus.ACTIVE, ProgrammeStatus.EXIT_REVIEW])
    for programme in running.order_by("pk"):
        options = release_settings_for(programme)
        local = timezone.localtime(at, ZoneInfo(programme.timezone))
        if local.hour < options.status_hour:
            continue
        if status_report_send(programme=programme, kind=ReportKind.DAILY, at=at) is not None:
            sent += 1
    return sent


@transaction.atomic
def status_email_preference_set(*, user, kind: str, receive: bool) -> NotificationPreference:
    """A member opts in or out of a report's email (stored per user and kind)."""
    if kind not in ReportKind.values:
        raise ValueError(f"Unknown report kind {kind!r}.")
    preference, _ = NotificationPreference.objects.update_or_create(
        user=user, kind=kind, defaults={"email": bool(receive)}
    )
    return preference


def status_email_preferences(*, user) -> dict[str, bool]:
    """Whether the user receives each report by email (default: yes)."""
    chosen = dict(
        NotificationPreference.objects.filter(user=user, kind__in=ReportKind.values).values_list(
            "kind", "email"
        )
    )
    return {kind: chosen.get(kind, True) for kind in ReportKind.values}
