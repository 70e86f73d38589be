"""A lead runs the standup board and publishes an SLA policy version in a real browser."""

from __future__ import annotations

import pytest

from sla.models import SlaPolicy
from tests.conftest import log_in
from tests.triage.conftest import access_of, london
from tickets import services as tickets
from triage.models import Standup

pytestmark = pytest.mark.browser


def test_a_lead_starts_the_standup_and_the_board_refreshes_in_place(browser_page, lead, desk):
    tickets.ticket_create(
        access=access_of(lead),
        title="Orders cannot be invoiced",
        severity=1,
        severity_reason="Finance blocked",
        reported_at=london(2026, 3, 9, 10, 0),
        at=london(2026, 3, 9, 10, 1),
    )
    page = browser_page
    log_in(page, "lead")
    page.wait_for_url("**/")
    page.goto("/p/acme/triage/")
    assert "Orders cannot be invoiced" in page.locator("#section-severe").inner_text()
    assert "overdue" in page.locator("#section-risk").inner_text()
    page.click("#start-standup")
    page.wait_for_selector(".messages li")
    assert "Standup started" in page.locator(".messages").inner_text()
    assert Standup.objects.count() == 1
    # The "refresh now" link swaps the board partial in place (htmx), without a page load.
    page.evaluate("document.body.dataset.marker = 'same page'")
    page.click("text=refresh now")
    page.wait_for_function("document.querySelector('#board .board-meta').innerText.includes('(in progress)')")
    assert page.evaluate("document.body.dataset.marker") == "same page"
    assert page.js_errors == []


def test_a_lead_publishes_a_policy_version_from_the_browser(browser_page, lead):
    page = browser_page
    log_in(page, "lead")
    page.wait_for_url("**/")
    page.goto("/p/acme/triage/sla-policy/")
    page.fill("#id_sev3_response_minutes", "120")
    page.fill("#id_note", "Week 3: Sev3 relaxed")
    page.click("text=Publish version")
    page.wait_for_selector(".messages li")
    assert "New SLA policy version saved" in page.locator(".messages").inner_text()
    assert "Week 3: Sev3 relaxed" in page.locator("#versions").inner_text()
    assert SlaPolicy.objects.filter(programme=lead.programme).count() == 2
    assert page.js_errors == []
