"""The ticket reads every screen counts by: one QuerySet method each, one query each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hypercare.vocabulary import Status
from tests.factories import ProgrammeFactory, TicketFactory, UserFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def tickets():
    programme = ProgrammeFactory()
    engineer = UserFactory()

    def make(name, **fields):
        columns = {k: fields.pop(k) for k in list(fields) if k.endswith(("_due_at", "_risk_at", "breached"))}
        ticket = TicketFactory(programme=programme, title=name, reported_at=NOW - timedelta(days=1), **fields)
        Ticket.objects.filter(pk=ticket.pk).update(**columns)
        return ticket

    return {
        "sev1": make("sev1", severity=1, assignee=engineer),
        "sev2 overdue": make("sev2 overdue", severity=2, resolution_due_at=NOW - timedelta(minutes=1)),
        "sev3 at risk": make(
            "sev3 at risk",
            severity=3,
            resolution_due_at=NOW + timedelta(hours=1),
            resolution_at_risk_at=NOW - timedelta(minutes=5),
        ),
        "sev3 flagged": make("sev3 flagged", severity=3, response_breached=True),
        "sev4 tier1": make("sev4 tier1", severity=4, tier=1),
        "sev1 resolved": make("sev1 resolved", severity=1, status=Status.RESOLVED),
    }


def titles(queryset) -> set[str]:
    return set(queryset.values_list("title", flat=True))


def test_each_read_is_one_query_and_names_the_right_tickets(tickets, django_assert_num_queries):
    checks = [
        (Ticket.objects.open(), {"sev1", "sev2 overdue", "sev3 at risk", "sev3 flagged", "sev4 tier1"}),
        (Ticket.objects.high_severity(), {"sev1", "sev2 overdue", "sev1 resolved"}),
        (Ticket.objects.open().unassigned(), {"sev2 overdue", "sev3 at risk", "sev3 flagged"}),
        (Ticket.objects.breached_at(NOW), {"sev2 overdue", "sev3 flagged"}),
        (Ticket.objects.at_risk_at(NOW), {"sev3 at risk"}),
        (
            Ticket.objects.reported_between(NOW - timedelta(days=2), NOW),
            {t.title for t in tickets.values()},
        ),
    ]
    for queryset, expected in checks:
        with django_assert_num_queries(1):
            assert titles(queryset) == expected


def test_the_headline_is_one_aggregate_query(tickets):
    with CaptureQueriesContext(connection) as queries:
        figures = Ticket.objects.all().headline(at=NOW, midnight=NOW - timedelta(hours=12))
    assert len(queries) == 1
    assert figures == {
        "open": 5,
        "sev1": 1,
        "sev2": 1,
        "breached": 2,  # the overdue Sev2 before the sweep flags it, and the flagged Sev3
        "at_risk": 1,
        "unassigned": 3,  # the champion's own Tier 1 ticket is not waiting for anyone
        "today": 0,
    }
