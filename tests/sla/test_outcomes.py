"""Breach, at risk and compliance are one rule: the row judgement, the Q forms and the sweep agree."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Q

from hypercare.vocabulary import Status
from sla import outcomes
from tests.factories import ProgrammeFactory, TicketFactory
from tickets.models import Ticket
from triage.services import sla_sweep

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
INSTANTS = [NOON + timedelta(hours=h) for h in (-30, -3, 0, 2, 9, 40)]


def _maybe(rng: random.Random, value, p: float = 0.8):
    return value if rng.random() < p else None


def random_tickets(count: int = 160, seed: int = 13) -> list[Ticket]:
    """Tickets with every combination of status, answered or not, flags, and instants around NOON."""
    rng = random.Random(seed)
    programme = ProgrammeFactory()
    created = []
    for _ in range(count):
        status = rng.choice(Status.values)
        response_due = NOON + timedelta(hours=rng.randint(-24, 24))
        resolution_due = response_due + timedelta(hours=rng.randint(1, 48))
        done = status in {Status.RESOLVED, Status.CLOSED, Status.DEFERRED}
        response_due, resolution_due = _maybe(rng, response_due), _maybe(rng, resolution_due)
        ticket = TicketFactory(programme=programme, status=status, reported_at=NOON - timedelta(days=3))
        Ticket.objects.filter(pk=ticket.pk).update(
            sla_started_at=NOON - timedelta(days=3),
            first_responded_at=_maybe(rng, NOON - timedelta(hours=rng.randint(0, 60)), 0.5),
            resolved_at=NOON + timedelta(hours=rng.randint(-40, 10)) if status == Status.RESOLVED else None,
            response_due_at=response_due,
            resolution_due_at=resolution_due,
            # As the clocks store them: an at-risk instant only with its due instant.
            response_at_risk_at=response_due and response_due - timedelta(hours=rng.randint(1, 6)),
            resolution_at_risk_at=resolution_due and resolution_due - timedelta(hours=rng.randint(1, 12)),
            response_breached=rng.random() < 0.1,
            resolution_breached=rng.random() < 0.1 and not done,
            paused_at=NOON - timedelta(hours=1) if status == Status.WAITING_ON_REPORTER else None,
        )
        created.append(ticket.pk)
    return list(Ticket.objects.filter(pk__in=created))


def test_it_judges_a_row_as_the_database_counts_it():
    tickets = random_tickets()
    for at in INSTANTS:
        judged = {t.pk: outcomes.judge(t, at) for t in tickets}
        by_q = {
            "response_breached": outcomes.response_breached_q(at),
            "resolution_breached": outcomes.resolution_breached_q(at),
            "breached": outcomes.breached_q(at),
            "at_risk": outcomes.at_risk_q(at),
        }
        for name, q in by_q.items():
            in_db = set(Ticket.objects.filter(q).values_list("pk", flat=True))
            in_python = {pk for pk, outcome in judged.items() if getattr(outcome, name)}
            assert in_db == in_python, (name, at)
        attention = set(
            Ticket.objects.filter(outcomes.at_risk_or_breached_q(at)).values_list("pk", flat=True)
        )
        # The stored at-risk flag is the sweep's memory of a passed instant: judged rows are a subset.
        assert {pk for pk, o in judged.items() if o.at_risk or o.breached} <= attention


def test_the_sweep_flags_exactly_what_the_judgement_says():
    tickets = random_tickets(seed=7)
    Ticket.objects.update(response_breached=False, resolution_breached=False, at_risk=False)
    at = NOON
    sla_sweep(at=at)
    for ticket in Ticket.objects.filter(pk__in=[t.pk for t in tickets]):
        # What the rule says of the ticket before the sweep (no flags), against what the sweep stored.
        fresh = outcomes.judge(
            {**_columns(ticket), "response_breached": False, "resolution_breached": False}, at
        )
        assert ticket.response_breached == fresh.response_breached, ticket.pk
        assert ticket.resolution_breached == fresh.resolution_breached, ticket.pk
        assert ticket.at_risk == fresh.at_risk, ticket.pk


def _columns(ticket: Ticket) -> dict:
    return {name: getattr(ticket, name) for name in outcomes.SLA_COLUMNS}


def test_compliance_counts_resolved_and_overdue_tickets_of_the_window():
    programme = ProgrammeFactory()
    start, end = NOON - timedelta(days=7), NOON

    def ticket(status, *, due, resolved=None):
        made = TicketFactory(programme=programme, status=status)
        Ticket.objects.filter(pk=made.pk).update(resolution_due_at=due, resolved_at=resolved)
        return made.pk

    on_time = ticket(Status.RESOLVED, due=NOON - timedelta(days=2), resolved=NOON - timedelta(days=3))
    late = ticket(Status.RESOLVED, due=NOON - timedelta(days=4), resolved=NOON - timedelta(days=1))
    overdue = ticket(Status.IN_PROGRESS, due=NOON - timedelta(days=1))
    ticket(Status.IN_PROGRESS, due=NOON + timedelta(days=1))  # not decided yet
    ticket(Status.RESOLVED, due=NOON, resolved=start - timedelta(hours=1))  # resolved before the window
    ticket(Status.RESOLVED, due=None, resolved=NOON - timedelta(days=1))  # no resolution target

    judged = Ticket.objects.filter(outcomes.resolution_judged_q(start, end, NOON))
    assert set(judged.values_list("pk", flat=True)) == {on_time, late, overdue}
    assert set(judged.filter(outcomes.resolution_met_q()).values_list("pk", flat=True)) == {on_time}
    assert not Ticket.objects.filter(Q(pk=overdue) & outcomes.resolution_met_q()).exists()
