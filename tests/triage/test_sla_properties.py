"""Properties of the clock engine (pure: no database): due instants never move backwards as time
passes, and pausing never shortens a target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from hypercare.calendar import DEFAULT_WORKING_HOURS, WorkingCalendar
from hypercare.vocabulary import EventKind, Status
from sla import engine

CALENDARS = {
    "london": WorkingCalendar.build(timezone="Europe/London", working_hours=DEFAULT_WORKING_HOURS),
    "new_york": WorkingCalendar.build(
        timezone="America/New_York",
        working_hours=DEFAULT_WORKING_HOURS,
        holidays=[datetime(2026, 3, 9).date(), datetime(2026, 11, 26).date()],
    ),
}
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # the spring DST changes of both zones lie ahead
RUNNING = [Status.NEW, Status.TRIAGED, Status.IN_PROGRESS]
MOVES = st.sampled_from([*RUNNING, Status.WAITING_ON_REPORTER, Status.RESOLVED, Status.IN_PROGRESS])


def event(kind, at, to_value="", **data):
    return SimpleNamespace(kind=kind, at=at, to_value=to_value, data=data)


@st.composite
def histories(draw):
    """A ticket's events: created at the desk, then status moves minutes to days apart."""
    started = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 40)))
    events = [event(EventKind.CREATED, started, Status.NEW, tier=2, status=Status.NEW)]
    at = started
    status = Status.NEW
    for _ in range(draw(st.integers(0, 8))):
        at += timedelta(minutes=draw(st.integers(1, 60 * 24 * 4)))
        new = draw(MOVES)
        if new == status:
            continue
        kind = EventKind.RESOLVED if new == Status.RESOLVED else EventKind.STATUS
        if status == Status.RESOLVED:
            kind = EventKind.REOPENED
        events.append(event(kind, at, new))
        status = new
    return events


TARGETS = st.builds(
    engine.Target,
    response_minutes=st.integers(1, 60 * 30),
    resolution_minutes=st.integers(60, 60 * 80),
    clock=st.sampled_from(["24x7", "business"]),
    at_risk_percent=st.integers(1, 100),
)


def known_at(events, now):
    return [e for e in events if e.at <= now]


@settings(max_examples=150, deadline=None)
@given(
    histories(),
    TARGETS,
    st.sampled_from(sorted(CALENDARS)),
    st.integers(0, 60 * 24 * 30),
    st.integers(1, 60 * 24 * 30),
)
def test_due_instants_never_move_backwards_as_time_passes(events, target, zone, first, gap):
    calendar = CALENDARS[zone]
    earlier = events[0].at + timedelta(minutes=first)
    later = earlier + timedelta(minutes=gap)
    before = engine.compute(engine.timeline_from_events(known_at(events, earlier)), target, calendar, earlier)
    after = engine.compute(engine.timeline_from_events(known_at(events, later)), target, calendar, later)
    assert after.response_due_at == before.response_due_at
    if before.resolution_due_at is not None and after.resolution_due_at is not None:
        assert after.resolution_due_at >= before.resolution_due_at
    # A breach, once it happened, stays.
    assert after.resolution_breached >= before.resolution_breached
    assert after.response_breached >= before.response_breached


@settings(max_examples=150, deadline=None)
@given(
    TARGETS,
    st.sampled_from(sorted(CALENDARS)),
    st.integers(0, 60 * 24 * 30),
    st.integers(0, 60 * 24 * 5),
    st.integers(1, 60 * 24 * 10),
    st.integers(0, 60 * 24 * 20),
)
def test_pausing_never_shortens_a_target(target, zone, start_offset, pause_after, pause_for, look_after):
    calendar = CALENDARS[zone]
    started = START + timedelta(minutes=start_offset)
    created = event(EventKind.CREATED, started, Status.NEW, tier=2, status=Status.NEW)
    pause_at = started + timedelta(minutes=pause_after)
    resume_at = pause_at + timedelta(minutes=pause_for)
    now = resume_at + timedelta(minutes=look_after)
    straight = [created, event(EventKind.STATUS, pause_at, Status.IN_PROGRESS)]
    paused = [
        *straight,
        event(EventKind.STATUS, pause_at + timedelta(seconds=1), Status.WAITING_ON_REPORTER),
        event(EventKind.STATUS, resume_at, Status.IN_PROGRESS),
    ]
    plain = engine.compute(engine.timeline_from_events(straight), target, calendar, now)
    with_pause = engine.compute(engine.timeline_from_events(paused), target, calendar, now)
    assert with_pause.resolution_due_at >= plain.resolution_due_at
    assert with_pause.resolution_minutes_used <= plain.resolution_minutes_used
    assert with_pause.resolution_breached <= plain.resolution_breached
    # The response clock never pauses.
    assert with_pause.response_due_at == plain.response_due_at
