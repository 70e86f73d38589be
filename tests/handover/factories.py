"""Helpers for the handover tests: tickets at given instants, telemetry points, an access for a persona."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from handover.criteria import gate_evaluate
from hypercare.access import ProgrammeAccess
from tests.factories import TicketFactory

# A Friday in March 2026, before the clocks change in London (GMT = UTC); go-live was Monday 2 March.
AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def access_of(persona) -> ProgrammeAccess:
    membership = persona.membership
    return ProgrammeAccess(membership.programme, membership, frozenset(membership.roles), membership.user)


def ticket(
    programme, *, reported_at: datetime, severity: int = 3, status: str = "new", team: str = "", **extra
):
    return TicketFactory(
        programme=programme, reported_at=reported_at, severity=severity, status=status, team=team, **extra
    )


def result(programme, kind: str, *, at: datetime = AT):
    """The one result of the given kind in the programme's gate at `at`."""
    gate = gate_evaluate(programme=programme, at=at)
    return next(r for r in gate.results if r.criterion.kind == kind)


def telemetry(programme, slug: str, values: dict[date, float]) -> None:
    from metrics.models import DataPoint, MetricSeries

    series, _ = MetricSeries.objects.get_or_create(
        programme=programme, slug=slug, defaults={"name": slug, "kind": "count"}
    )
    DataPoint.objects.bulk_create(
        [DataPoint(series=series, date=day, value=value, updated_at=AT) for day, value in values.items()],
        update_conflicts=True,
        unique_fields=["series", "date", "business_unit", "geography", "object"],
        update_fields=["value"],
    )


def window_days(n: int, *, at: datetime = AT) -> list[date]:
    """The n local days ending on `at`'s date, today included (oldest first): the window of a figure
    criterion and of the scorecard's KPIs."""
    today = at.date()
    return [today - timedelta(days=n - 1 - i) for i in range(n)]


def last_days(n: int, *, at: datetime = AT) -> list[date]:
    """The n complete local days ending the day before `at` (oldest first)."""
    today = at.date()
    return [today - timedelta(days=n - i) for i in range(n)]


def last_working_days(n: int, *, at: datetime = AT) -> list[date]:
    """The n working days (Monday to Friday) ending the day before `at` (oldest first)."""
    days, day = [], at.date()
    while len(days) < n:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days[::-1]


def take(persona, ticket, *, at: datetime):
    """`persona` takes the ticket at `at`, through the ticket workflow (the timeline records who handled it)."""
    from tickets.services import ticket_take

    return ticket_take(access=access_of(persona), ticket=ticket, at=at)
