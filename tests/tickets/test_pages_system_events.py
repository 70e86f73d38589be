"""Events written by the system (the SLA sweep, a recompute) have no actor: the ticket page still shows them."""

import pytest
from django.utils import timezone

from hypercare.access import get_programme_for
from hypercare.vocabulary import EventKind
from tickets import services
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def test_the_ticket_page_shows_an_event_without_an_actor_as_the_system(client, desk):
    access = get_programme_for(desk.user, desk.programme.slug)
    ticket = services.ticket_create(access=access, title="Quotes fail", severity=3, severity_reason="test")
    TicketEvent.objects.create(
        ticket=ticket, kind=EventKind.BREACH, actor=None, at=timezone.now(), to_value="response_breach"
    )
    client.force_login(desk.user)
    response = client.get(f"/p/{desk.programme.slug}/tickets/{ticket.reference}/")
    assert response.status_code == 200
    assert "<strong>System</strong>" in response.content.decode()
