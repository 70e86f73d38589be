"""Why a ticket is due when it is: its SLA clocks explained from its own timeline (read only).

The ticket page's SLA panel, the standalone SLA page and GET …/tickets/{reference}/sla/ all
show this: when each clock started, paused, resumed and stopped, which policy version and
calendar applied, and the working minutes used and left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from hypercare.calendar import WEEKDAYS
from hypercare.models import Holiday
from hypercare.vocabulary import Clock, EventKind, Status
from sla import engine
from sla.models import SlaPolicy
from sla.policy import target_for
from tickets.models import Ticket

STATUS_WORDS = {
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
    Status.DEFERRED: "deferred to the backlog",
    Status.WAITING_ON_REPORTER: "waiting on the reporter",
}


@dataclass
class Moment:
    """One thing that happened to a clock."""

    at: datetime
    clock: str  # "both", "response", "resolution" or "policy"
    what: str  # started, responded, paused, resumed, stopped, severity, recomputed, alert
    detail: str


@dataclass
class ClockReport:
    name: str  # "response" or "resolution"
    target_minutes: int | None
    due_at: datetime | None
    at_risk_at: datetime | None
    used_minutes: float
    left_minutes: float | None  # negative: overdue by that much working time
    breached: bool
    state: str  # running, paused, stopped, met, breached, no target, not started
    why: str
    paused_minutes: float = 0.0
    stopped_minutes: float = 0.0


@dataclass
class SlaExplanation:
    ticket: Ticket
    at: datetime
    policy: SlaPolicy | None
    target: engine.Target | None
    clock: str
    clock_label: str
    timezone: str
    calendar: str
    holidays: list[tuple] = field(default_factory=list)
    started_at: datetime | None = None
    response: ClockReport | None = None
    resolution: ClockReport | None = None
    at_risk: bool = False
    paused: bool = False
    moments: list[Moment] = field(default_factory=list)
    segments: list[engine.Segment] = field(default_factory=list)
    recomputes: list[dict] = field(default_factory=list)


def minutes_text(minutes: float | None) -> str:
    """2400 → "2,400 min (40 h)"; 90 → "90 min (1 h 30 min)"."""
    if minutes is None:
        return "none"
    whole = round(minutes)
    if abs(whole) < 60:
        return f"{whole:,} min"
    hours, rest = divmod(abs(whole), 60)
    span = f"{hours:,} h" + (f" {rest} min" if rest else "")
    return f"{whole:,} min ({'-' if whole < 0 else ''}{span})"


def _calendar_text(ticket: Ticket, clock: str) -> str:
    tz = ticket.programme.timezone
    if clock != Clock.BUSINESS:
        return f"24×7: every minute counts ({tz})"
    hours = ticket.programme.calendar.working_hours or {}
    # Runs of consecutive days with the same hours: "Mon–Fri 09:00–17:00".
    runs: list[list] = []
    for day in WEEKDAYS:
        span = hours.get(day)
        if span and runs and runs[-1][2] == span and WEEKDAYS.index(runs[-1][1]) == WEEKDAYS.index(day) - 1:
            runs[-1][1] = day
        elif span:
            runs.append([day, day, span])
    text = ", ".join(
        f"{first.title()}{'–' + last.title() if last != first else ''} {span[0]}–{span[1]}"
        for first, last, span in runs
    )
    return f"Business hours in {tz}: {text}; public holidays excluded"


def _local(instant: datetime | None, tz) -> str:
    return f"{timezone.localtime(instant, tz):%a %d %b %Y %H:%M}" if instant else "—"


def explain(ticket: Ticket, *, at: datetime | None = None, events=None) -> SlaExplanation:
    """The SLA timeline of one ticket at `at` (default now), computed from its events.

    `events`: every event of the ticket with its actor, when the caller has loaded them already
    (the ticket page does: one query for its timeline and this panel).
    """
    from zoneinfo import ZoneInfo

    at = at or timezone.now()
    tz = ZoneInfo(ticket.programme.timezone)
    if events is None:
        events = list(ticket.events.select_related("actor").order_by("at", "pk"))
    else:
        events = sorted(events, key=lambda event: (event.at, event.pk))
    policy = ticket.sla_policy
    # The ticket page loads its target's figures with the ticket (tickets.selectors.ticket_for_page).
    preloaded = getattr(ticket, "sla_target_values", None)
    target = engine.Target(**preloaded) if preloaded else target_for(policy, ticket.severity)
    business = ticket.programme.calendar.working_calendar
    timeline = engine.timeline_from_events(events)
    state = engine.compute(timeline, target, business, at)
    clock = target.clock if target else ""
    report = SlaExplanation(
        ticket=ticket,
        at=at,
        policy=policy,
        target=target,
        clock=clock,
        clock_label=Clock(clock).label if clock else "none",
        timezone=ticket.programme.timezone,
        calendar=_calendar_text(ticket, clock) if clock else "No SLA target applies.",
        started_at=state.started_at,
        at_risk=state.at_risk,
        paused=state.paused,
        segments=state.segments,
    )
    if state.started_at is None or target is None:
        return report

    if clock == Clock.BUSINESS:
        end = state.resolution_due_at or state.response_due_at or at
        first = timezone.localtime(state.started_at, tz).date()
        last = timezone.localtime(max(end, at), tz).date()
        calendar = ticket.programme.calendar
        if "holidays" in getattr(calendar, "_prefetched_objects_cache", {}):
            report.holidays = sorted(
                (h.date, h.name) for h in calendar.holidays.all() if first <= h.date <= last
            )
        else:
            report.holidays = list(
                Holiday.objects.filter(
                    calendar__programme_id=ticket.programme_id, date__gte=first, date__lte=last
                ).values_list("date", "name")
            )

    report.response = _response(timeline, target, state, tz)
    report.resolution = _resolution(timeline, target, state, tz)
    report.moments = _moments(events, state, tz)
    report.recomputes = [
        {
            "at": event.at,
            "by": event.actor.username if event.actor else "",
            "reason": event.note,
            "previous": (event.data or {}).get("previous", {}),
            "current": (event.data or {}).get("current", {}),
            "changed": (event.data or {}).get("changed", []),
        }
        for event in events
        if event.kind == EventKind.SLA
    ]
    return report


def _response(timeline: engine.Timeline, target: engine.Target, state: engine.ClockState, tz) -> ClockReport:
    used = state.response_minutes_used
    left = target.response_minutes - used
    unit = "working minutes" if target.clock == Clock.BUSINESS else "minutes"
    base = (
        f"Due {_local(state.response_due_at, tz)}: {minutes_text(target.response_minutes)} of {unit} "
        f"on the {Clock(target.clock).label} clock from {_local(state.started_at, tz)}."
    )
    if timeline.first_response_at is not None:
        verdict = "breached" if state.response_breached else "met"
        why = f"{base} First response {_local(timeline.first_response_at, tz)}, after {minutes_text(used)}: {verdict}."
        status = verdict
    else:
        status = "breached" if state.response_breached else "running"
        why = f"{base} No response yet: {minutes_text(used)} used, " + (
            f"overdue by {minutes_text(-left)}." if left < 0 else f"{minutes_text(left)} left."
        )
    return ClockReport(
        name="response",
        target_minutes=target.response_minutes,
        due_at=state.response_due_at,
        at_risk_at=state.response_at_risk_at,
        used_minutes=used,
        left_minutes=left,
        breached=state.response_breached,
        state=status,
        why=why,
    )


def _resolution(
    timeline: engine.Timeline, target: engine.Target, state: engine.ClockState, tz
) -> ClockReport:
    paused = sum(s.working_minutes for s in state.segments if s.state == "paused")
    stopped = sum(s.working_minutes for s in state.segments if s.state == "stopped" and s.end is not None)
    used = state.resolution_minutes_used
    if target.resolution_minutes is None:
        return ClockReport(
            name="resolution",
            target_minutes=None,
            due_at=None,
            at_risk_at=None,
            used_minutes=used,
            left_minutes=None,
            breached=False,
            state="no target",
            why="This severity has no resolution target: it goes to the post-go-live backlog, "
            "not fixed in hypercare.",
            paused_minutes=paused,
            stopped_minutes=stopped,
        )
    left = state.resolution_minutes_left
    unit = "working minutes" if target.clock == Clock.BUSINESS else "minutes"
    extra = []
    if paused:
        extra.append(f"{minutes_text(paused)} paused while waiting on the reporter")
    if stopped:
        extra.append(f"{minutes_text(stopped)} stopped before a reopen")
    pushed = f" The due instant moved later by {' and '.join(extra)}." if extra else ""
    if state.paused:
        status = "paused"
        why = (
            f"Paused since {_local(state.paused_at, tz)} (waiting on the reporter): {minutes_text(used)} of "
            f"{minutes_text(target.resolution_minutes)} used, {minutes_text(left)} left; the due instant is set "
            "again when work resumes."
        )
    elif state.stopped:
        verdict = "breached" if state.resolution_breached else "met"
        status = verdict
        last = state.segments[-1] if state.segments else None
        word = STATUS_WORDS.get(last.reason, last.reason) if last else "stopped"
        why = (
            f"Stopped {_local(last.start if last else None, tz)} ({word}) after {minutes_text(used)} of "
            f"{minutes_text(target.resolution_minutes)}: {verdict}.{pushed}"
        )
    else:
        status = "breached" if state.resolution_breached else "running"
        why = (
            f"Due {_local(state.resolution_due_at, tz)}: {minutes_text(target.resolution_minutes)} of {unit} on "
            f"the {Clock(target.clock).label} clock from {_local(state.started_at, tz)}.{pushed} "
            f"{minutes_text(used)} used, "
            + (
                f"overdue by {minutes_text(-left)}."
                if left is not None and left < 0
                else f"{minutes_text(left)} left."
            )
        )
    return ClockReport(
        name="resolution",
        target_minutes=target.resolution_minutes,
        due_at=state.resolution_due_at,
        at_risk_at=state.resolution_at_risk_at,
        used_minutes=used,
        left_minutes=left,
        breached=state.resolution_breached,
        state=status,
        why=why,
        paused_minutes=paused,
        stopped_minutes=stopped,
    )


def _moments(events, state: engine.ClockState, tz) -> list[Moment]:
    moments: list[Moment] = []
    if state.started_at is not None:
        moments.append(
            Moment(
                state.started_at,
                "both",
                "started",
                "Both clocks started: the ticket reached the Tier 2 desk.",
            )
        )
    responded = False
    for event in events:
        who = event.actor.username if event.actor else "the system"
        data = event.data or {}
        if data.get("response") and not responded and state.started_at is not None:
            responded = True
            how = "a public comment" if event.kind == EventKind.COMMENT else event.get_kind_display().lower()
            moments.append(
                Moment(
                    event.at,
                    "response",
                    "responded",
                    f"Response clock stopped: first response by {who} ({how}).",
                )
            )
        if event.kind == EventKind.SEVERITY:
            moments.append(
                Moment(
                    event.at,
                    "policy",
                    "severity",
                    f"Severity Sev{event.from_value} → Sev{event.to_value} by {who}: both due instants recomputed "
                    "from the original start with the new targets, under the policy version in force then.",
                )
            )
        elif event.kind == EventKind.SLA:
            moments.append(
                Moment(event.at, "policy", "recomputed", f"Clocks recomputed from history: {event.note}")
            )
        elif event.kind == EventKind.BREACH:
            moments.append(Moment(event.at, "both", "alert", event.note))
    previous = None
    for segment in state.segments:
        if previous is not None and segment.state != previous.state:
            if segment.state == "paused":
                detail = "Resolution clock paused: waiting on the reporter."
                what = "paused"
            elif segment.state == "stopped":
                detail = f"Resolution clock stopped: {STATUS_WORDS.get(segment.reason, segment.reason)}."
                what = "stopped"
            else:
                what = "resumed"
                detail = (
                    "Resolution clock resumed: reopened, where it stopped."
                    if previous.state == "stopped"
                    else "Resolution clock resumed: the reporter answered."
                )
            moments.append(Moment(segment.start, "resolution", what, detail))
        previous = segment
    moments.sort(key=lambda moment: moment.at)
    return moments
