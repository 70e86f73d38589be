"""The exit report (printable HTML and PDF) and the celebration page's achievements.

The PDF is drawn with fpdf2 (pure Python). Its built-in Helvetica covers Latin-1 only, so text
is folded to Latin-1 first (≥ becomes >=, curly quotes straight ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from handover.criteria import gate_evaluate
from handover.models import HandoverItem, Runbook, SignOff
from handover.selectors import (
    exit_outcome,
    hypercare_clock,
    kt_rows,
    open_backlog,
    open_known_issues,
    signatory_states,
)
from hypercare.models import Programme, ProgrammeStatus
from hypercare.roles import Team
from hypercare.site import absolute
from hypercare.vocabulary import OPEN_STATUSES, Severity
from metrics.scorecard import scorecard_evaluate
from metrics.selectors import (
    Compliance,
    Window,
    local_date,
    resolution_sla_compliance,
    resolution_sla_compliance_by,
)
from metrics.templatetags.metrics_tags import kpi_value
from tickets.models import KnownIssue, KnownIssueStatus, Ticket


@dataclass
class BurnUp:
    days: list[date]
    intake: list[int]
    closures: list[int]

    @property
    def total_intake(self) -> int:
        return self.intake[-1] if self.intake else 0

    @property
    def total_closures(self) -> int:
        return self.closures[-1] if self.closures else 0

    def svg_points(self, width: int = 640, height: int = 200, pad: int = 4) -> tuple[str, str]:
        """Polyline points for the cumulative intake and closures, scaled to the box."""
        top = max([1, *self.intake, *self.closures])
        n = max(1, len(self.days) - 1)

        def points(values):
            return " ".join(
                f"{pad + (width - 2 * pad) * i / n:.1f},{height - pad - (height - 2 * pad) * v / top:.1f}"
                for i, v in enumerate(values)
            )

        return points(self.intake), points(self.closures)


def burn_up(programme: Programme, *, until: date) -> BurnUp:
    """Cumulative tickets in and tickets resolved per local day since go-live: two queries."""
    tz = ZoneInfo(programme.timezone)
    start = datetime.combine(programme.go_live_date, time.min, tzinfo=tz)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=tz)
    tickets = Ticket.objects.filter(programme=programme)
    intake = dict(
        tickets.filter(reported_at__gte=start, reported_at__lt=end)
        .annotate(day=TruncDate("reported_at", tzinfo=tz))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    closed = dict(
        tickets.filter(resolved_at__gte=start, resolved_at__lt=end)
        .annotate(day=TruncDate("resolved_at", tzinfo=tz))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    days = [
        programme.go_live_date + timedelta(days=i)
        for i in range(max(0, (until - programme.go_live_date).days) + 1)
    ]
    cumulative_in, cumulative_out, total_in, total_out = [], [], 0, 0
    for day in days:
        total_in += intake.get(day, 0)
        total_out += closed.get(day, 0)
        cumulative_in.append(total_in)
        cumulative_out.append(total_out)
    return BurnUp(days, cumulative_in, cumulative_out)


def hypercare_window(programme: Programme, *, at: datetime | None = None) -> Window:
    """Go-live to today: the window of the exit report's hypercare-long figures."""
    at = at or timezone.now()
    today = local_date(programme, at)
    return Window.between(programme, min(programme.go_live_date, today), today, at=at)


def sla_by_severity(programme: Programme, *, at: datetime | None = None) -> list[dict]:
    """Resolution SLA compliance per severity since go-live (`metrics.selectors`, the scorecard's and
    the exit gate's definition over the whole of hypercare)."""
    window = hypercare_window(programme, at=at)
    by_severity = resolution_sla_compliance_by(programme, window, by="severity")
    out = []
    for severity in Severity:
        figure = by_severity.get(severity.value) or Compliance(part=0, whole=0, window=window)
        out.append(
            {
                "severity": severity.value,
                "label": severity.label,
                "met": figure.met,
                "breached": figure.breached,
                "compliance": figure.percent,
                "compliance_text": figure.text,
            }
        )
    return out


def sla_overall(programme: Programme, *, at: datetime | None = None) -> Compliance:
    """Resolution SLA compliance since go-live, all severities."""
    return resolution_sla_compliance(programme, hypercare_window(programme, at=at))


def adoption_scorecard(programme: Programme, at: datetime) -> list[dict]:
    """The metrics app's scorecard, flattened: area, KPI, value (as the scorecard prints it), unit,
    status, threshold and the days the value covers."""
    rows = []
    for area in scorecard_evaluate(programme=programme, at=at).areas():
        for result in area.kpis:
            rows.append(
                {
                    "area": area.name,
                    "slug": result.kpi.slug,
                    "kpi": result.kpi.name,
                    "value": None if result.value is None else round(result.value, 4),
                    "value_text": kpi_value(result.value, result.kpi.unit),
                    "unit": result.kpi.unit,
                    "status": result.status,
                    "threshold": result.threshold_text,
                    "window": result.window_label,
                }
            )
    return rows


def ticket_totals(programme: Programme) -> dict:
    return Ticket.objects.filter(programme=programme).aggregate(
        total=Count("pk"),
        resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
        sev12=Count("pk", filter=Q(severity__lte=Severity.SEV2)),
        sev12_resolved=Count("pk", filter=Q(severity__lte=Severity.SEV2, resolved_at__isnull=False)),
        tier1=Count("pk", filter=Q(resolved_at_tier=1)),
        tier2=Count("pk", filter=Q(resolved_at_tier=2)),
        tier3=Count("pk", filter=Q(resolved_at_tier=3)),
        bau=Count("pk", filter=Q(team=Team.BAU)),
        training=Count("pk", filter=Q(category="how_to")),
    )


def _timeline(programme: Programme, kt, sign_offs) -> list[tuple[date, str]]:
    events = [
        (programme.go_live_date, "Go-live"),
        (programme.first_month_end_close, "First month-end close"),
        (programme.planned_exit_date, "Planned exit"),
    ]
    events += [(row.phase.starts_on, f"Knowledge transfer: {row.phase.get_phase_display()}") for row in kt]
    tz = ZoneInfo(programme.timezone)
    for record in sign_offs:
        who = record.signatory.get_full_name() or record.signatory.get_username()
        what = "signed off" if record.kind == "sign_off" else "revoked their sign-off"
        flag = (
            "" if record.gate_green or record.kind != "sign_off" else " (gate not green, with justifications)"
        )
        events.append((record.signed_at.astimezone(tz).date(), f"{who} {what}{flag}"))
    return sorted(events, key=lambda e: e[0])


def justifications_of(record: SignOff) -> list[tuple[str, str]]:
    """(criterion title as frozen, justification) for each criterion signed off while failing."""
    titles = {str(c.get("id")): c.get("title", "") for c in record.snapshot.get("criteria", [])}
    return [(titles.get(key, key), text) for key, text in (record.justifications or {}).items()]


def exit_report_data(programme: Programme, *, at: datetime | None = None) -> dict:
    """Everything the exit report shows, read once."""
    at = at or timezone.now()
    gate = gate_evaluate(programme=programme, at=at)
    today = gate.context.today
    sign_offs = list(SignOff.objects.of(programme).for_list())
    for record in sign_offs:
        record.justified = justifications_of(record)
    kt = kt_rows(programme, today=today, at=at)
    burn = burn_up(programme, until=today)
    intake_points, closure_points = burn.svg_points()
    return {
        "programme": programme,
        "generated_at": at,
        "today": today,
        "gate": gate,
        "clock": hypercare_clock(programme, today=today),
        "timeline": _timeline(programme, kt, sign_offs),
        "burn_up": burn,
        "burn_intake_points": intake_points,
        "burn_closure_points": closure_points,
        "sla": sla_by_severity(programme, at=at),
        "sla_overall": sla_overall(programme, at=at),
        "scorecard": adoption_scorecard(programme, at),
        "items": list(HandoverItem.objects.of(programme).for_list()),
        "runbooks": list(Runbook.objects.filter(programme=programme).order_by("title")),
        "kt": kt,
        "sign_offs": sign_offs,
        "signatories": signatory_states(programme, sign_offs),
        "totals": ticket_totals(programme),
        "outcome": exit_outcome(programme, sign_offs),
        "backlog": open_backlog(programme),
        "open_known_issues": open_known_issues(programme),
    }


def achievements(programme: Programme) -> dict:
    """What the programme achieved, for the celebration page."""
    tz = ZoneInfo(programme.timezone)
    outcome = exit_outcome(programme)
    standing = outcome.signers
    closed_on = (
        (programme.closed_at or max((s.signed_at for s in standing), default=timezone.now()))
        .astimezone(tz)
        .date()
    )
    totals = ticket_totals(programme)
    sla = sla_overall(programme)
    kt = kt_rows(programme, today=closed_on)
    return {
        "closed_on": closed_on,
        "days": (closed_on - programme.go_live_date).days,
        "planned_days": (programme.planned_exit_date - programme.go_live_date).days,
        "totals": totals,
        "sla_percent": None if sla.percent is None else round(sla.percent, 1),
        "sla_text": sla.text,
        "sla_window": sla.window.label,
        "known_fixed": KnownIssue.objects.filter(programme=programme, status=KnownIssueStatus.FIXED).count(),
        "runbook_count": Runbook.objects.filter(programme=programme).count(),
        "items_accepted": HandoverItem.objects.of(programme).filter(status="accepted").count(),
        "kt": kt,
        "signers": standing,
        "closed": programme.status == ProgrammeStatus.CLOSED,
        "outcome": outcome,
        "backlog_count": Ticket.objects.filter(programme=programme, status__in=OPEN_STATUSES).count(),
    }


# ---------------------------------------------------------------------------------------------
# PDF

LATIN1_FOLD = str.maketrans(
    {
        "≤": "<=",
        "≥": ">=",
        "—": "-",
        "–": "-",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "…": "...",
        "→": "->",
        "×": "x",
        "•": "-",
    }
)


def _absolute(url: str) -> str:
    if not url:
        return "-"
    return absolute(url)


def _clip(text: str, limit: int = 300) -> str:
    """A table cell's free text, cut short: a row must fit on one PDF page (the HTML report has it all)."""
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def latin1(text) -> str:
    return (
        str(text if text is not None else "")
        .translate(LATIN1_FOLD)
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def exit_report_pdf(data: dict) -> bytes:
    """The exit report as a PDF document (A4)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    programme: Programme = data["programme"]
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"Exit report: {programme.name}"))
    pdf.set_author("Hypercare")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str, size: int = 13) -> None:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", size)
        pdf.cell(0, 8, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 9)

    def line(text: str) -> None:
        pdf.multi_cell(0, 5, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(headings: list[str], rows: list[list], widths: list[int]) -> None:
        with pdf.table(
            col_widths=widths, text_align="LEFT", line_height=4.5, first_row_as_headings=True
        ) as t:
            head = t.row()
            for text in headings:
                head.cell(latin1(text))
            for values in rows:
                row = t.row()
                for value in values:
                    row.cell(latin1(value))

    gate = data["gate"]
    clock = data["clock"]
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, latin1(f"Exit report: {programme.name}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9)
    line(
        f"{programme.system} - go-live {programme.go_live_date:%d %b %Y}, planned exit {programme.planned_exit_date:%d %b %Y}, "
        f"status {programme.get_status_display()}. {clock.days_in} days in hypercare of {clock.days_planned} planned. "
        f"Generated {timezone.localtime(data['generated_at']):%d %b %Y %H:%M %Z}."
    )
    line(
        f"Exit gate: {'GREEN' if gate.green else 'NOT GREEN'} ({gate.counts['pass']} of {len(gate.results)} criteria pass)."
    )
    outcome = data["outcome"]
    if outcome.closed:
        pdf.set_font("Helvetica", "B", 10)
        line(outcome.summary)
        pdf.set_font("Helvetica", "", 9)
        for exception in outcome.exceptions:
            value = f": {exception.value_display}" if exception.value_display else ""
            line(f"- {exception.title}: {exception.status_label} when signed{value}.")
            for acceptance in exception.acceptances:
                line(f"    {acceptance.signatory} ({acceptance.role}): {acceptance.justification}")

    heading("Timeline")
    table(["Date", "Event"], [[f"{d:%d %b %Y}", label] for d, label in data["timeline"]], [30, 150])

    heading("Burn-up: tickets in and resolved (cumulative)")
    burn: BurnUp = data["burn_up"]
    chart_h, chart_w = 45, width
    x0, y0 = pdf.l_margin, pdf.get_y() + 2
    pdf.set_draw_color(180, 180, 180)
    pdf.rect(x0, y0, chart_w, chart_h)
    top = max([1, *burn.intake, *burn.closures])
    n = max(1, len(burn.days) - 1)
    for values, colour in ((burn.intake, (179, 38, 30)), (burn.closures, (30, 123, 58))):
        pdf.set_draw_color(*colour)
        for i in range(1, len(values)):
            pdf.line(
                x0 + chart_w * (i - 1) / n,
                y0 + chart_h - chart_h * values[i - 1] / top,
                x0 + chart_w * i / n,
                y0 + chart_h - chart_h * values[i] / top,
            )
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(y0 + chart_h + 2)
    line(f"Red: tickets reported ({burn.total_intake}). Green: tickets resolved ({burn.total_closures}).")

    overall = data["sla_overall"]
    heading("SLA compliance (resolution)")
    line(f"{overall.text} over the {overall.window.label} ({overall.met} met, {overall.breached} breached).")
    table(
        ["Severity", "Met", "Breached", "Compliance"],
        [[r["label"], r["met"], r["breached"], r["compliance_text"]] for r in data["sla"]],
        [60, 30, 30, 35],
    )

    if data["scorecard"]:
        heading("Adoption scorecard")
        table(
            ["Area", "KPI", "Value", "Days", "Status", "Threshold"],
            [
                [r["area"], r["kpi"], r["value_text"], r["window"], r["status"], r["threshold"]]
                for r in data["scorecard"]
            ],
            [25, 38, 22, 35, 17, 43],
        )

    heading("Exit criteria")
    table(
        ["Criterion", "Status", "Measured", "Threshold", "Evidence"],
        [
            [
                r.criterion.title,
                r.status_label,
                r.value_display + (f" ({r.window.label})" if r.window else ""),
                r.threshold_display,
                _absolute(r.evidence_url),
            ]
            for r in gate.results
        ],
        [50, 22, 45, 35, 28],
    )

    heading("Handover pack")
    table(
        ["Document", "Owner", "Due", "Status"],
        [
            [
                item.title,
                (item.owner.get_full_name() or item.owner.get_username()) if item.owner else "-",
                f"{item.due_date:%d %b %Y}" if item.due_date else "-",
                item.get_status_display()
                + (f": {item.rejection_reason}" if item.status == "rejected" else ""),
            ]
            for item in data["items"]
        ],
        [70, 40, 25, 45],
    )
    if data["runbooks"]:
        line("Runbooks: " + "; ".join(r.title for r in data["runbooks"]))

    heading(f"Open backlog handed to BAU ({len(data['backlog'])} tickets)")
    if data["backlog"]:
        table(
            ["Reference", "Severity", "Title", "Status", "Owner"],
            [
                [
                    t.reference,
                    f"Sev{t.severity}",
                    t.title,
                    t.get_status_display(),
                    (t.assignee.get_full_name() or t.assignee.get_username()) if t.assignee else "unassigned",
                ]
                for t in data["backlog"]
            ],
            [25, 17, 78, 25, 35],
        )
    else:
        line("No ticket is open.")
    heading(f"Open known issues handed to BAU ({len(data['open_known_issues'])})")
    if data["open_known_issues"]:
        table(
            ["Known issue", "Status", "Workaround", "Fix expected"],
            [
                [
                    issue.title,
                    issue.get_status_display(),
                    _clip(issue.workaround) or "-",
                    f"{issue.fix_expected_on:%d %b %Y}" if issue.fix_expected_on else "-",
                ]
                for issue in data["open_known_issues"]
            ],
            [55, 30, 70, 25],
        )
    else:
        line("No known issue is open.")

    heading("Knowledge transfer")
    table(
        ["Phase", "From", "To", "Tickets", "BAU share"],
        [
            [
                row.phase.get_phase_display(),
                f"{row.phase.starts_on:%d %b %Y}",
                f"{row.ends_on:%d %b %Y}" if row.ends_on else "-",
                row.tickets,
                "-" if row.bau_share is None else row.share.text,
            ]
            for row in data["kt"]
        ],
        [60, 30, 30, 25, 35],
    )

    heading("Sign-offs")
    if not data["sign_offs"]:
        line("No sign-off yet.")
    for record in data["sign_offs"]:
        who = record.signatory.get_full_name() or record.signatory.get_username()
        kind = "Sign-off" if record.kind == "sign_off" else "Revocation"
        gate_text = "gate green" if record.gate_green else "GATE NOT GREEN - signed with justifications"
        line(
            f"{kind} by {who} ({record.role}) at {timezone.localtime(record.signed_at):%d %b %Y %H:%M %Z} "
            f"from {record.ip_address or 'unknown address'}; {gate_text}."
            + (f" Reason: {record.reason}" if record.reason else "")
            + (" [revoked]" if record.is_revoked else "")
        )
        for title, text in justifications_of(record):
            line(f"    Justification for {title}: {text}")
        line(f"    SHA-256 {record.content_hash}")
    return bytes(pdf.output())
