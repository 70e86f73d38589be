"""Tickets that have been open (or took) for years: every page and answer that computes their clocks
up to now still works, and shows the breach. The working-time arithmetic used to give up after
three years of days (a 500 on the ticket page, a time bomb for every open ticket as it aged)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from hypercare.access import get_programme_for
from hypercare.services import calendar_update
from tickets import services
from tickets.clocks import ticket_clocks_refresh
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

YEAR = timedelta(days=365)


@pytest.fixture
def old_tickets(lead, desk, programme):
    """A Sev3 (business-hours clock) open for five years, and one reported six years ago and
    resolved a year ago; the calendar has holidays in between."""
    calendar_update(programme=programme, holidays=[date(2022, 12, 26), date(2024, 12, 25)])
    access = get_programme_for(lead.user, "acme")
    now = timezone.now()
    five_years = services.ticket_create(
        access=access,
        title="Invoices stuck since the old days",
        severity=3,
        severity_reason="lead",
        reported_at=now - 5 * YEAR,
    )
    took_five = services.ticket_create(
        access=access,
        title="Quote totals wrong for years",
        severity=3,
        severity_reason="lead",
        reported_at=now - 6 * YEAR,
    )
    services.ticket_resolve(access=access, ticket=took_five, resolution="Fixed at last.", at=now - YEAR)
    return Ticket.objects.get(pk=five_years.pk), Ticket.objects.get(pk=took_five.pk)


def test_a_ticket_open_for_five_years_has_its_clocks_and_shows_its_breach(client, lead, old_tickets):
    open_ticket, resolved = old_tickets
    state = ticket_clocks_refresh(ticket=open_ticket)
    open_ticket.refresh_from_db()
    assert open_ticket.response_breached and open_ticket.resolution_breached
    # Five years of working days, less the week's target: about 1,300 working days overdue.
    assert state.resolution_minutes_used > 1200 * 8 * 60

    client.force_login(lead.user)
    for ticket in old_tickets:
        page = client.get(f"/p/acme/tickets/{ticket.reference}/")
        assert page.status_code == 200, ticket.reference
        resolution = re.search(r'id="sla-resolution">(.*?)</dd>', page.content.decode(), re.S).group(1)
        assert "breached" in resolution, resolution
        explained = client.get(f"/p/acme/triage/tickets/{ticket.reference}/sla/")
        assert explained.status_code == 200 and "Holidays not counted" in explained.content.decode()

    queue = client.get("/p/acme/tickets/?view=all&status=")
    assert queue.status_code == 200 and open_ticket.reference in queue.content.decode()


def test_the_api_answers_for_a_ticket_open_for_five_years(lead, old_tickets):
    open_ticket, resolved = old_tickets
    api = lead.api()
    listed = api.get("/api/v1/programmes/acme/tickets/")
    assert listed.status_code == 200
    detail = api.get(f"/api/v1/programmes/acme/tickets/{open_ticket.reference}/")
    assert detail.status_code == 200
    body = detail.json()
    assert body["resolution_breached"] is True
    assert body["time_remaining_minutes"] < -1000 * 8 * 60  # overdue by years of working minutes
    done = api.get(f"/api/v1/programmes/acme/tickets/{resolved.reference}/").json()
    assert done["resolution_breached"] is True and done["time_remaining_minutes"] is None
