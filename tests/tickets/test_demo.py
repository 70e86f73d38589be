"""The demo tickets: three realistic weeks of a hypercare queue, loaded fast, consistent with the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from hypercare import services as core
from hypercare.demo import DEMO_PEOPLE
from hypercare.vocabulary import EventKind, Status
from tests.factories import ProgrammeFactory
from tests.tickets.pages_helpers import log_ticket
from tickets import demo
from tickets.models import Comment, KnownIssue, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    today = timezone.localdate()
    programme = ProgrammeFactory(
        slug="demo", ticket_prefix="ACME", go_live_date=today - timedelta(days=21), planned_exit_date=today
    )
    people = {
        username: core.member_add(
            programme=programme,
            username=username,
            email=f"{username}@acme.example",
            name=name,
            roles=roles,
            team=team,
            business_unit=unit,
            geography=geo,
            invite=False,
        )
        for username, name, roles, team, unit, geo in DEMO_PEOPLE
    }
    demo.seed(programme=programme, people=people, today=today)
    return programme, people


def test_it_loads_a_few_hundred_tickets_across_tiers_categories_statuses_and_severities(seeded):
    programme, _ = seeded
    tickets = Ticket.objects.filter(programme=programme)
    assert 250 <= tickets.count() <= 400
    assert set(tickets.values_list("category", flat=True)) >= {
        "defect",
        "how_to",
        "access",
        "data",
        "configuration",
        "performance",
        "integration",
        "enhancement",
    }
    assert set(tickets.values_list("status", flat=True)) >= {"in_progress", "resolved", "closed", "deferred"}
    assert set(tickets.values_list("severity", flat=True)) == {1, 2, 3, 4}
    assert set(tickets.values_list("resolved_at_tier", flat=True)) >= {1, 2, 3}
    assert tickets.open().count() >= 10, "a live queue to work"
    assert tickets.filter(tier=3).open().exists()
    assert len(set(tickets.values_list("business_unit", flat=True))) >= 4


def test_training_gaps_fall_and_the_bau_team_takes_a_growing_share(seeded):
    programme, _ = seeded
    go_live = timezone.now() - timedelta(days=21)
    week1 = Ticket.objects.filter(programme=programme, reported_at__lt=go_live + timedelta(days=7))
    week3 = Ticket.objects.filter(programme=programme, reported_at__gte=go_live + timedelta(days=14))

    def share(tickets, condition) -> float:
        counts = tickets.aggregate(n=Count("id"), hit=Count("id", filter=condition))
        return counts["hit"] / counts["n"]

    assert share(week1, Q(category="how_to")) > share(week3, Q(category="how_to"))
    handled = ~Q(team="")
    assert share(week3.filter(handled), Q(team="bau")) > share(week1.filter(handled), Q(team="bau"))
    assert week1.count() > week3.count(), "the go-live peak falls"


def test_every_ticket_has_a_real_timeline_and_sla_clock(seeded):
    programme, _ = seeded
    tickets = Ticket.objects.filter(programme=programme)
    created = TicketEvent.objects.filter(ticket__programme=programme, kind=EventKind.CREATED)
    assert created.count() == tickets.count()
    assert not tickets.filter(tier__gte=2, sla_started_at__isnull=True).exists()
    assert not tickets.filter(status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__isnull=True).exists()
    escalated = tickets.filter(events__kind=EventKind.ESCALATED).distinct()
    assert escalated.exists() and not escalated.filter(replication_steps="").exists()
    assert not TicketEvent.objects.filter(
        ticket__programme=programme, kind=EventKind.ESCALATED, internal=False
    ).exists()
    assert Comment.objects.filter(ticket__programme=programme, internal=True).exists()
    assert tickets.filter(response_breached=True).exists(), "SLA clocks run: some were missed"
    for ticket in tickets.filter(first_responded_at__isnull=False)[:50]:
        assert ticket.reported_at <= ticket.first_responded_at
        if ticket.resolved_at and ticket.tier == 2:
            assert ticket.first_responded_at <= ticket.resolved_at
    last = TicketEvent.objects.filter(ticket__programme=programme).order_by("-at").first()
    assert last.at <= timezone.now()


def test_known_issues_group_tickets_and_a_fix_told_their_reporters(seeded):
    programme, people = seeded
    linked = KnownIssue.objects.filter(programme=programme).annotate(n=Count("tickets"))
    assert linked.count() >= 4 and sum(issue.n for issue in linked) >= 20
    fixed = linked.filter(status="fixed")
    assert fixed and all(issue.n > 0 for issue in fixed)
    from hypercare.models import Notification

    assert Notification.objects.filter(programme=programme, kind="known_issue_fixed").exists()
    assert Notification.objects.filter(
        programme=programme, kind="ticket_resolved", recipient=people["champion"].user
    ).exists()


def test_references_follow_the_order_of_logging_and_new_tickets_continue_them(seeded):
    programme, people = seeded
    numbers = list(
        Ticket.objects.filter(programme=programme)
        .order_by("reported_at", "pk")
        .values_list("number", flat=True)
    )
    assert numbers == list(range(1, len(numbers) + 1))
    programme.refresh_from_db()
    assert programme.last_ticket_number == len(numbers)

    class Persona:
        user = people["champion"].user

    ticket = log_ticket(Persona, title="After the demo", slug="demo")
    assert ticket.number == len(numbers) + 1
