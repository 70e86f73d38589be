"""Whether a ticket's SLA targets are breached, at risk or met at an instant.

Each rule is written once here, twice over: as a Python function of a ticket's stored SLA
columns (for a row, the API and the ticket page) and as a `Q` over the same columns (for
counts and lists). The breach sweep's SQL writes the same conditions as flags; its tests hold
it to `judge`. A tested property keeps the two forms in step.

The columns a ticket stores (see `tickets.models.Ticket`): `status`, `first_responded_at`,
`resolved_at`, `response_due_at`, `resolution_due_at`, `response_at_risk_at`,
`resolution_at_risk_at`, the sweep's flags `response_breached`, `resolution_breached` and
`paused_at`.

- The response target is open while nobody has answered an open ticket; it is breached
  once its due instant has passed (or the sweep flagged it).
- The resolution target is open while the clock runs (`RUNNING_STATUSES`); a paused or
  stopped clock cannot breach. It is breached once its due instant has passed.
- A ticket is at risk when an open target is past its at-risk instant and not breached.
- Resolution compliance: a ticket with a resolution target met it when it was resolved at or
  before its due instant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q

from hypercare.vocabulary import DONE_STATUSES, OPEN_STATUSES, RUNNING_STATUSES

# The stored columns the rules read, for `values(*SLA_COLUMNS)` and `only(*SLA_COLUMNS)`.
SLA_COLUMNS = (
    "status",
    "first_responded_at",
    "resolved_at",
    "response_due_at",
    "resolution_due_at",
    "response_at_risk_at",
    "resolution_at_risk_at",
    "response_breached",
    "resolution_breached",
    "paused_at",
    "sla_started_at",
)


@dataclass(frozen=True)
class Outcome:
    """A ticket's SLA at one instant."""

    response_open: bool
    resolution_open: bool
    response_breached: bool
    resolution_breached: bool
    at_risk: bool
    paused: bool
    next_due: datetime | None  # the nearest due instant of an open target

    @property
    def breached(self) -> bool:
        return self.response_breached or self.resolution_breached

    @property
    def state(self) -> str:
        """'breached', 'at-risk', 'paused', 'due' or '' (no open target)."""
        if self.breached:
            return "breached"
        if self.at_risk:
            return "at-risk"
        if self.paused:
            return "paused"
        return "due" if self.next_due else ""


def _get(ticket, name: str):
    return ticket[name] if isinstance(ticket, Mapping) else getattr(ticket, name)


def judge(ticket, at: datetime) -> Outcome:
    """The SLA outcome of one ticket (a model instance or a mapping of SLA_COLUMNS) at `at`."""
    status = _get(ticket, "status")
    response_due = _get(ticket, "response_due_at")
    resolution_due = _get(ticket, "resolution_due_at")
    response_open = (
        status in OPEN_STATUSES and _get(ticket, "first_responded_at") is None and response_due is not None
    )
    resolution_open = status in RUNNING_STATUSES and resolution_due is not None
    response_breached = bool(_get(ticket, "response_breached")) or (response_open and at > response_due)
    resolution_breached = bool(_get(ticket, "resolution_breached")) or (
        resolution_open and at > resolution_due
    )
    response_risk = _get(ticket, "response_at_risk_at")
    resolution_risk = _get(ticket, "resolution_at_risk_at")
    at_risk = (
        response_open and not response_breached and response_risk is not None and at >= response_risk
    ) or (
        resolution_open and not resolution_breached and resolution_risk is not None and at >= resolution_risk
    )
    dues = [
        due for due, is_open in ((response_due, response_open), (resolution_due, resolution_open)) if is_open
    ]
    return Outcome(
        response_open=response_open,
        resolution_open=resolution_open,
        response_breached=response_breached,
        resolution_breached=resolution_breached,
        at_risk=bool(at_risk),
        paused=_get(ticket, "paused_at") is not None and status not in DONE_STATUSES,
        next_due=min(dues) if dues else None,
    )


def breached_since(ticket, at: datetime) -> datetime | None:
    """When the earliest breached target fell due (None when neither is breached at `at`)."""
    outcome = judge(ticket, at)
    dues = [
        due
        for due, breached in (
            (_get(ticket, "response_due_at"), outcome.response_breached),
            (_get(ticket, "resolution_due_at"), outcome.resolution_breached),
        )
        if breached and due is not None
    ]
    return min(dues) if dues else None


# The same rules as Q objects --------------------------------------------------------------


def response_open_q() -> Q:
    return Q(status__in=OPEN_STATUSES, first_responded_at__isnull=True, response_due_at__isnull=False)


def resolution_open_q() -> Q:
    return Q(status__in=RUNNING_STATUSES, resolution_due_at__isnull=False)


def response_breached_q(at: datetime) -> Q:
    return Q(response_breached=True) | (response_open_q() & Q(response_due_at__lt=at))


def resolution_breached_q(at: datetime) -> Q:
    return Q(resolution_breached=True) | (resolution_open_q() & Q(resolution_due_at__lt=at))


def breached_q(at: datetime) -> Q:
    """Either target breached at `at` (a stored flag, or a due instant passed on an open target)."""
    return response_breached_q(at) | resolution_breached_q(at)


def at_risk_q(at: datetime) -> Q:
    """An open target past its at-risk instant and not breached."""
    return (response_open_q() & ~response_breached_q(at) & Q(response_at_risk_at__lte=at)) | (
        resolution_open_q() & ~resolution_breached_q(at) & Q(resolution_at_risk_at__lte=at)
    )


def at_risk_or_breached_q(at: datetime) -> Q:
    """At risk or breached at `at`: a stored flag, or an open target past its at-risk instant.

    (A due instant comes after its at-risk instant, so a passed due instant is included.)
    """
    return (
        Q(at_risk=True)
        | Q(response_breached=True)
        | Q(resolution_breached=True)
        | (response_open_q() & Q(response_at_risk_at__lte=at))
        | (resolution_open_q() & Q(resolution_at_risk_at__lte=at))
    )


# Resolution compliance -------------------------------------------------------------------


def resolution_judged_q(start: datetime, end: datetime, at: datetime) -> Q:
    """Tickets whose resolution target was decided in [start, end), as seen at `at`.

    Those with a resolution target that were resolved in the window, and those still open
    whose resolution due instant passed inside the window (and before `at`).
    """
    until = min(end, at)
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    overdue = Q(resolved_at__isnull=True, status__in=OPEN_STATUSES) & Q(
        resolution_due_at__gte=start, resolution_due_at__lt=until
    )
    return Q(resolution_due_at__isnull=False) & (resolved | overdue)


def resolution_met_q() -> Q:
    """Resolved by the resolution due instant (only meaningful within `resolution_judged_q`)."""
    return Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due_at"))
