"""The SLA engine: a ticket's response and resolution clocks, derived from its own timeline.

Everything here is a pure function of the ticket's events, the policy target and the
calendar, so any ticket's clocks can be recomputed from history at any time (after a
forgotten holiday, say) and explained minute by minute.

Semantics (also in the README):
- Both clocks start when the ticket reaches the Tier 2 desk: its reported_at for a ticket
  logged to the desk, the escalation instant for one a champion first kept at Tier 1.
- The response clock stops at the first response by Tier 2/3 staff: a public comment or a
  move to in progress. It never pauses.
- The resolution clock runs while the ticket is new, triaged or in progress. It pauses while
  waiting on the reporter and stops at resolution (or deferral to the backlog); a reopen
  resumes it where it stopped, so the due instant moves by the working time it was stopped.
- Targets on the business clock are counted in the calendar's working minutes; on the 24×7
  clock in real minutes. A due instant is when the last minute of the target elapses.
- A severity change recomputes both due instants from the original start with the new targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hypercare.calendar import WorkingCalendar, round_the_clock
from hypercare.vocabulary import PAUSED_STATUSES, RUNNING_STATUSES, Clock, EventKind, Status


@dataclass(frozen=True)
class Target:
    response_minutes: int
    resolution_minutes: int | None
    clock: str
    at_risk_percent: int = 75


@dataclass
class Segment:
    """A stretch of the resolution clock: running, paused or stopped."""

    state: str  # "running", "paused" or "stopped"
    start: datetime
    end: datetime | None
    working_minutes: float
    reason: str


@dataclass
class Timeline:
    """What a ticket's events say about its clocks."""

    started_at: datetime | None
    first_response_at: datetime | None
    # (start, end, status) stretches from the start on, the last one open-ended.
    stretches: list[tuple[datetime, datetime | None, str]] = field(default_factory=list)


@dataclass
class ClockState:
    started_at: datetime | None
    response_due_at: datetime | None = None
    response_at_risk_at: datetime | None = None
    resolution_due_at: datetime | None = None
    resolution_at_risk_at: datetime | None = None
    paused: bool = False
    paused_at: datetime | None = None
    stopped: bool = False
    response_breached: bool = False
    resolution_breached: bool = False
    at_risk: bool = False
    response_minutes_used: float = 0.0
    resolution_minutes_used: float = 0.0
    resolution_minutes_left: float | None = None
    segments: list[Segment] = field(default_factory=list)


def calendar_for(clock: str, business: WorkingCalendar) -> WorkingCalendar:
    return business if clock == Clock.BUSINESS else round_the_clock(str(business.timezone))


def timeline_from_events(events) -> Timeline:
    """Read the clock-relevant facts from a ticket's events, oldest first.

    The services write them: CREATED carries data {"tier", "status"}; STATUS, RESOLVED,
    REOPENED and CLOSED carry the new status in `to_value`; TIER and ESCALATED the new tier;
    an event with data {"response": true} is the first response by staff.
    """
    started_at = None
    first_response_at = None
    status = None
    tier = None
    stretches: list[tuple[datetime, datetime | None, str]] = []

    def move(at: datetime, new_status: str) -> None:
        nonlocal status
        status = new_status
        if started_at is None:
            return
        if stretches:
            begin, _, old = stretches[-1]
            if old == new_status:
                return
            stretches[-1] = (begin, at, old)
        stretches.append((at, None, new_status))

    for event in events:
        kind, data = event.kind, event.data or {}
        if kind == EventKind.CREATED:
            tier = int(data.get("tier", 2))
            status = data.get("status", Status.NEW)
            if tier >= 2:
                started_at = event.at
                stretches.append((event.at, None, status))
        elif kind in (EventKind.TIER, EventKind.ESCALATED):
            tier = int(event.to_value)
            if tier >= 2 and started_at is None:
                started_at = event.at
                stretches.append((event.at, None, status or Status.NEW))
        elif kind in (EventKind.STATUS, EventKind.RESOLVED, EventKind.REOPENED, EventKind.CLOSED):
            move(event.at, event.to_value)
        if data.get("response") and first_response_at is None and started_at is not None:
            first_response_at = event.at
    return Timeline(started_at=started_at, first_response_at=first_response_at, stretches=stretches)


def compute(
    timeline: Timeline, target: Target | None, business: WorkingCalendar, now: datetime
) -> ClockState:
    """Due instants, pauses and breaches of one ticket at `now`."""
    state = ClockState(started_at=timeline.started_at)
    if timeline.started_at is None or target is None:
        return state
    calendar = calendar_for(target.clock, business)
    start = timeline.started_at

    # Response: one uninterrupted clock from the start.
    response_target = timedelta(minutes=target.response_minutes)
    state.response_due_at = calendar.add_working_time(start, response_target)
    state.response_at_risk_at = calendar.add_working_time(
        start, response_target * target.at_risk_percent / 100
    )
    response_end = timeline.first_response_at or now
    state.response_minutes_used = calendar.working_minutes_between(start, response_end)
    state.response_breached = response_end > state.response_due_at
    response_at_risk = timeline.first_response_at is None and now >= state.response_at_risk_at

    # Resolution: only running stretches count.
    used = timedelta(0)
    last_run: tuple[datetime, timedelta] | None = None  # (start of the latest run, work done in it)
    for begin, end, status in timeline.stretches:
        finish = end or now
        if status in RUNNING_STATUSES:
            worked = calendar.working_time_between(begin, finish)
            used += worked
            state.segments.append(Segment("running", begin, end, worked / timedelta(minutes=1), status))
            last_run = (begin, worked)
        else:
            kind = "paused" if status in PAUSED_STATUSES else "stopped"
            state.segments.append(
                Segment(kind, begin, end, calendar.working_minutes_between(begin, finish), status)
            )
    last_status = timeline.stretches[-1][2] if timeline.stretches else Status.NEW
    state.paused = last_status in PAUSED_STATUSES
    state.stopped = last_status not in RUNNING_STATUSES and not state.paused
    if state.paused:
        state.paused_at = timeline.stretches[-1][0]
    state.resolution_minutes_used = used / timedelta(minutes=1)

    resolution_at_risk = False
    if target.resolution_minutes is not None:
        resolution_target = timedelta(minutes=target.resolution_minutes)
        left = resolution_target - used
        state.resolution_minutes_left = left / timedelta(minutes=1)
        state.resolution_breached = used > resolution_target
        if last_run is not None and not state.paused:
            # Running: the rest of the target from where the latest run began. Stopped
            # (resolved, deferred): the due instant as it stood when the clock stopped.
            run_began, run_work = last_run
            used_before = used - run_work
            state.resolution_due_at = calendar.add_working_time(
                run_began, max(resolution_target - used_before, timedelta(0))
            )
            risk_target = resolution_target * target.at_risk_percent / 100
            state.resolution_at_risk_at = calendar.add_working_time(
                run_began, max(risk_target - used_before, timedelta(0))
            )
            resolution_at_risk = not state.stopped and now >= state.resolution_at_risk_at
    state.at_risk = (response_at_risk and not state.response_breached) or (
        resolution_at_risk and not state.resolution_breached
    )
    return state
