"""`manage.py seed_scale` builds a realistic data set that the app can serve."""

import pytest
from django.core.management import call_command

from hypercare.models import Membership, Programme
from tickets.models import Comment, ProgrammeTicketCount, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_it_creates_tickets_with_timelines_comments_and_sla_clocks(capsys):
    call_command("seed_scale", tickets=300, programmes=2, prefix="scl")
    assert Programme.objects.filter(slug__startswith="scl-").count() == 2
    assert Ticket.objects.count() == 300
    assert Ticket.objects.filter(programme__slug="scl-1").count() == 150
    assert TicketEvent.objects.filter(kind="created").count() == 300
    assert Comment.objects.count() > 0
    assert not Ticket.objects.filter(response_due_at__isnull=True).exists()
    programme = Programme.objects.get(slug="scl-1")
    assert programme.last_ticket_number == 150
    assert Membership.objects.filter(programme=programme).with_role("champion").count() == 60
    # A second run adds to the same programmes without clashing references.
    call_command("seed_scale", tickets=20, programmes=1, prefix="scl")
    assert Ticket.objects.filter(programme__slug="scl-1").values("reference").distinct().count() == 170
    # The bulk writes (COPY on PostgreSQL) went through the ticket-count triggers too.
    assert ProgrammeTicketCount.objects.get(programme=programme).tickets == 170
