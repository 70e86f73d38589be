"""Keeping a ticket's stored SLA clocks equal to what its timeline says, and repairing them from history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from hypercare.calendar import WorkingCalendar
from hypercare.vocabulary import OPEN_STATUSES, AlertKind, EventKind
from sla import engine
from sla.models import SlaPolicy
from sla.policy import PolicyBook, policy_and_target_for, policy_for, target_for
from tickets.models import SlaAlert, Ticket, TicketEvent

# The stored SLA columns of a ticket, in the order a change report lists them.
SLA_FIELDS = (
    "sla_policy_id",
    "sla_clock",
    "sla_started_at",
    "response_due_at",
    "response_at_risk_at",
    "resolution_due_at",
    "resolution_at_risk_at",
    "paused_at",
    "at_risk",
    "response_breached",
    "resolution_breached",
)
_FLAG_ALERTS = (
    ("at_risk", AlertKind.AT_RISK),
    ("response_breached", AlertKind.RESPONSE_BREACH),
    ("resolution_breached", AlertKind.RESOLUTION_BREACH),
)


@dataclass
class ClockContext:
    """Calendars and targets read once for many tickets (the recompute command)."""

    calendars: dict[int, WorkingCalendar] = field(default_factory=dict)
    targets: dict[tuple[int, int], engine.Target | None] = field(default_factory=dict)

    def calendar(self, ticket: Ticket) -> WorkingCalendar:
        if ticket.programme_id not in self.calendars:
            self.calendars[ticket.programme_id] = ticket.programme.calendar.working_calendar
        return self.calendars[ticket.programme_id]

    def target(self, policy: SlaPolicy | None, severity: int) -> engine.Target | None:
        if policy is None:
            return None
        key = (policy.pk, severity)
        if key not in self.targets:
            self.targets[key] = target_for(policy, severity)
        return self.targets[key]


def clock_state(
    ticket: Ticket,
    *,
    at: datetime | None = None,
    events: Iterable[TicketEvent] | None = None,
    policy: SlaPolicy | None = None,
) -> engine.ClockState:
    """A ticket's clocks at `at`, computed from its events (nothing is written)."""
    at = at or timezone.now()
    events = list(events) if events is not None else list(ticket.events.order_by("at", "pk"))
    policy = policy or ticket.sla_policy
    target = target_for(policy, ticket.severity)
    business = ticket.programme.calendar.working_calendar
    return engine.compute(engine.timeline_from_events(events), target, business, at)


def _computed(
    ticket: Ticket, *, at: datetime, repick_policy: bool, context: ClockContext
) -> tuple[dict, engine.ClockState]:
    events = list(ticket.events.order_by("at", "pk"))
    timeline = engine.timeline_from_events(events)
    policy = ticket.sla_policy
    if policy is None or repick_policy:
        anchor = at if repick_policy else (ticket.triaged_at or timeline.started_at or ticket.reported_at)
        policy = policy_for(ticket.programme, anchor)
    target = context.target(policy, ticket.severity)
    state = engine.compute(timeline, target, context.calendar(ticket), at)
    return _fields(policy.pk if policy else None, target, state), state


def _fields(policy_id: int | None, target: engine.Target | None, state: engine.ClockState) -> dict:
    return {
        "sla_policy_id": policy_id,
        "sla_clock": target.clock if target else "",
        "sla_started_at": state.started_at,
        "response_due_at": state.response_due_at,
        "resolution_due_at": state.resolution_due_at,
        "response_at_risk_at": state.response_at_risk_at,
        "resolution_at_risk_at": state.resolution_at_risk_at,
        "paused_at": state.paused_at,
        "at_risk": state.at_risk,
        "response_breached": state.response_breached,
        "resolution_breached": state.resolution_breached,
    }


def _raised(ticket: Ticket, fields: dict) -> list[str]:
    """The alert kinds of the flags `fields` newly raise on an open ticket."""
    return [
        kind
        for name, kind in _FLAG_ALERTS
        if fields[name] and not getattr(ticket, name) and ticket.status in OPEN_STATUSES
    ]


def _alert(ticket: Ticket, kinds: list[str], *, at: datetime) -> None:
    if kinds:
        # The same outbox as the sweep: the (ticket, kind) constraint keeps it to one alert each.
        SlaAlert.objects.bulk_create(
            [SlaAlert(ticket=ticket, kind=kind, severity=ticket.severity, created_at=at) for kind in kinds],
            ignore_conflicts=True,
        )


def _store(ticket: Ticket, fields: dict, *, at: datetime) -> None:
    """Write the clocks; a flag an open ticket newly raises becomes an SLA alert, as in the sweep."""
    raised = _raised(ticket, fields)
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    for name, value in fields.items():
        setattr(ticket, name, value)
    _alert(ticket, raised, at=at)


def ticket_clocks_start(
    *, ticket: Ticket, events: list[TicketEvent], at: datetime, policies: PolicyBook | None = None
) -> list[str]:
    """Set the SLA fields of a ticket about to be inserted, from the events it is logged with.

    What ticket_clocks_refresh would store right after the INSERT, computed before it (no
    UPDATE, no reading the events back): the policy in force when it was triaged or reached the
    desk, read with its target in one query (none with `policies`, every version read once);
    the calendar is the programme's (loaded with the caller's access by the API). Returns the
    alert kinds to raise once the ticket is saved (ticket_clocks_alert).
    """
    timeline = engine.timeline_from_events(events)
    anchor = ticket.triaged_at or timeline.started_at or ticket.reported_at
    if policies is not None:
        policy_id, target = policies.policy_and_target_for(anchor, ticket.severity)
    else:
        policy_id, target = policy_and_target_for(ticket.programme, anchor, ticket.severity)
    state = engine.compute(timeline, target, ticket.programme.calendar.working_calendar, at)
    return _set(ticket, _fields(policy_id, target, state))


def _set(ticket: Ticket, fields: dict) -> list[str]:
    raised = _raised(ticket, fields)
    for name, value in fields.items():
        setattr(ticket, name, value)
    return raised


def ticket_clocks_replay(
    *, ticket: Ticket, events: list[TicketEvent], at: datetime, policies: PolicyBook
) -> list[str]:
    """What ticket_clocks_refresh stores after a change, set on a ticket not saved yet (a CSV
    import replaying its history in memory): the clocks from `events` (in the order they were
    made) under the ticket's policy version. Returns the alert kinds it newly raises."""
    target = policies.target(ticket.sla_policy_id, ticket.severity)
    timeline = engine.timeline_from_events(sorted(events, key=lambda event: event.at))
    state = engine.compute(timeline, target, ticket.programme.calendar.working_calendar, at)
    return _set(ticket, _fields(ticket.sla_policy_id, target, state))


def ticket_clocks_alert(*, ticket: Ticket, kinds: list[str], at: datetime) -> None:
    """The SLA alerts of a newly saved ticket whose clocks were already at risk or breached."""
    _alert(ticket, kinds, at=at)


def ticket_clocks_refresh(
    *, ticket: Ticket, at: datetime | None = None, repick_policy: bool = False
) -> engine.ClockState:
    """Recompute and store a ticket's SLA fields from its timeline.

    The policy is the one in force when the ticket was triaged (or reached the desk); with
    `repick_policy` (a severity change) it is the one in force at `at`.
    """
    at = at or timezone.now()
    fields, state = _computed(ticket, at=at, repick_policy=repick_policy, context=ClockContext())
    _store(ticket, fields, at=at)
    return state


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


@transaction.atomic
def ticket_clocks_recompute(
    *,
    ticket: Ticket,
    at: datetime | None = None,
    by=None,
    reason: str = "",
    context: ClockContext | None = None,
    dry_run: bool = False,
) -> dict[str, tuple]:
    """Recompute a ticket's clocks from its own history with today's calendar and its policy version.

    What changed is returned as {field: (before, after)} and, unless `dry_run`, stored with
    an "sla" timeline event holding the values shown before, so they are never lost.
    """
    at = at or timezone.now()
    context = context or ClockContext()
    ticket = Ticket.objects.select_for_update().select_related("programme").get(pk=ticket.pk)
    fields, _ = _computed(ticket, at=at, repick_policy=False, context=context)
    changes = {
        name: (getattr(ticket, name), fields[name])
        for name in SLA_FIELDS
        if getattr(ticket, name) != fields[name]
    }
    if not changes or dry_run:
        return changes
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.SLA,
        actor=by,
        at=at,
        note=reason or "SLA clocks recomputed from the ticket's history.",
        internal=False,
        data={
            "previous": {name: _jsonable(getattr(ticket, name)) for name in SLA_FIELDS},
            "current": {name: _jsonable(fields[name]) for name in SLA_FIELDS},
            "changed": list(changes),
        },
    )
    _store(ticket, fields, at=at)
    return changes
