"""A real browser: a Tier 3 engineer resolves an escalated ticket, it comes back to the analyst who
escalated it, and the desk confirms the resolution, which only then reaches the reporter."""

from __future__ import annotations

import pytest

from hypercare.models import Notification
from tests.conftest import log_in
from tests.tickets.pages_helpers import log_ticket
from tests.tickets.test_services_transitions import access_of
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.browser

STEPS = "1. Open an Irish account's quote.\n2. Generate the PDF.\n3. VAT shows 20%, it should be 23%."
FIX = "The tax lookup now uses the billing country."


def resolve_in_the_panel(page, text: str | None) -> None:
    page.click("#action-resolve summary")
    textarea = page.locator("#action-resolve textarea[name=resolution]")
    textarea.wait_for()
    if text is not None:
        textarea.fill(text)
    page.click("#action-resolve button[type=submit]")
    page.wait_for_selector("#flash")


def test_a_tier3_resolution_goes_back_to_the_desk_which_resolves_it(browser_page, champion, desk, engineer):
    ticket = log_ticket(champion, title="Quote PDF shows the wrong VAT rate", process="Quote")
    services.ticket_take(access=access_of(desk), ticket=ticket)
    services.ticket_escalate(access=access_of(desk), ticket=ticket, to_tier=3, replication_steps=STEPS)
    page = browser_page

    log_in(page, "engineer")
    page.wait_for_url("**/")
    page.goto(f"/p/acme/tickets/{ticket.reference}/")
    resolve_in_the_panel(page, FIX)
    assert "back with" in page.locator("#flash").inner_text()
    assert page.locator("#ticket-tier").inner_text() == "Tier 2"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee, ticket.resolved_at) == ("in_progress", desk.user, None)
    assert not Notification.objects.filter(recipient=champion.user).exists()

    page.context.clear_cookies()
    log_in(page, "desk")
    page.wait_for_url("**/")
    page.goto(f"/p/acme/tickets/{ticket.reference}/")
    assert FIX in page.locator("#proposed-resolution").inner_text()
    resolve_in_the_panel(page, None)  # the proposal is already in the form: confirm it as written
    assert "resolved at Tier 3" in page.locator("#flash").inner_text()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.status, ticket.resolved_at_tier, ticket.resolution) == ("resolved", 3, FIX)
    assert Notification.objects.filter(recipient=champion.user, kind="ticket_resolved").exists()
    assert page.js_errors == []
