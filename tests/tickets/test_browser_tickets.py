"""A real browser: a champion logs an issue with the guided form; the desk takes it and escalates it to Tier 3."""

from __future__ import annotations

import pytest

from tests.conftest import log_in
from tickets.models import Ticket

pytestmark = pytest.mark.browser

STEPS = "1. Open an Irish account's quote.\n2. Generate the PDF.\n3. VAT shows 20%, it should be 23%."


def log_an_issue(page, title: str) -> None:
    page.goto("/p/acme/tickets/new/")
    page.fill("#id_title", title)
    page.fill("#id_details", "The PDF shows 20% VAT for Irish customers.")
    page.fill("#id_process", "Quote")
    page.get_by_label("The whole organisation").check()
    page.get_by_label("Yes, but it is slow or painful").check()
    page.get_by_label("No", exact=True).check()
    # The live suggestion follows the answers without a page load (htmx).
    page.wait_for_selector("#suggestion .severity-line")
    assert "Sev2" in page.locator("#suggestion").inner_text()
    assert "the triage matrix gives Sev2" in page.locator("#suggestion").inner_text()
    page.click("#log-submit")


def test_a_champion_logs_an_issue_and_sees_it_in_their_list(browser_page, champion, desk):
    page = browser_page
    log_in(page, "champion")
    page.wait_for_url("**/")
    log_an_issue(page, "Quote PDF shows the wrong VAT rate")
    page.wait_for_url("**/p/acme/tickets/ACME-1/")
    assert "ACME-1" in page.locator("h1").inner_text()
    assert "logged" in page.locator(".messages").inner_text()
    page.click("nav.subnav >> text=My tickets")
    page.wait_for_url("**/p/acme/tickets/mine/")
    card = page.locator("#card-ACME-1")
    assert "Quote PDF shows the wrong VAT rate" in card.inner_text() and "New" in card.inner_text()
    assert page.js_errors == []


def test_the_desk_takes_it_in_place_and_escalates_it_to_tier3(browser_page, champion, desk):
    from tests.tickets.pages_helpers import log_ticket

    ticket = log_ticket(champion, title="Quote PDF shows the wrong VAT rate", process="Quote")
    page = browser_page
    log_in(page, "desk")
    page.wait_for_url("**/")
    page.goto("/p/acme/tickets/?view=unassigned")
    page.evaluate("window.__samePage = true")
    row = page.locator(f"#row-{ticket.reference}")
    row.locator("button.take").click()
    page.wait_for_selector(f"#row-{ticket.reference} .row-done")
    assert "You took" in page.locator(f"#row-{ticket.reference}").inner_text()
    assert page.evaluate("window.__samePage") is True, "taken in place, without a page load"
    assert Ticket.objects.get(pk=ticket.pk).assignee == desk.user

    page.click(f"#row-{ticket.reference} a.ref")
    page.wait_for_url(f"**/p/acme/tickets/{ticket.reference}/")
    page.evaluate("window.__samePage = true")
    page.click("#action-escalate summary")
    page.select_option("#action-escalate select[name=to_tier]", "3")
    page.click("#action-escalate button[type=submit]")
    page.wait_for_selector("#action-escalate .error")
    assert "Document how to reproduce the problem" in page.locator("#action-escalate").inner_text()
    page.fill("#action-escalate textarea[name=replication_steps]", STEPS)
    page.click("#action-escalate button[type=submit]")
    page.wait_for_selector("#flash")
    assert "moved to Tier 3" in page.locator("#flash").inner_text()
    assert page.locator("#ticket-tier").inner_text() == "Tier 3"
    assert "VAT shows 20%" in page.locator("#replication").inner_text()
    assert page.evaluate("window.__samePage") is True
    ticket.refresh_from_db()
    assert ticket.tier == 3 and ticket.replication_steps.startswith("1. Open an Irish")
    assert page.js_errors == []


def test_the_champions_pages_work_on_a_phone(browser_page, champion, desk):
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})
    log_in(page, "champion")
    page.wait_for_url("**/")
    page.goto("/p/acme/tickets/new/")
    no_sideways_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_sideways_scroll)
    # Answers are big tap targets (at least 44 px high) on a phone.
    heights = page.locator("label.choice").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44
    log_an_issue(page, "Cannot submit a discount for approval")
    page.wait_for_url("**/p/acme/tickets/ACME-1/")
    assert page.evaluate(no_sideways_scroll)
    page.goto("/p/acme/tickets/mine/")
    assert page.locator("#card-ACME-1").is_visible()
    assert page.evaluate(no_sideways_scroll)
    assert page.js_errors == []


def test_action_panels_load_their_forms_in_place_and_say_when_they_cannot(browser_page, champion, desk):
    from tests.tickets.pages_helpers import log_ticket

    ticket = log_ticket(champion, title="Quote PDF shows the wrong VAT rate", process="Quote")
    page = browser_page
    log_in(page, "desk")
    page.wait_for_url("**/")
    page.goto(f"/p/acme/tickets/{ticket.reference}/")
    page.evaluate("window.__samePage = true")
    assert page.locator("#action-assign select").count() == 0, "not built before it is opened"
    page.click("#action-assign summary")
    page.wait_for_selector("#action-assign select[name=assignee]")
    assert desk.user.get_full_name() in page.locator("#action-assign").inner_text()
    page.select_option("#action-assign select[name=assignee]", str(desk.user.pk))
    page.click("#action-assign button[type=submit]")
    page.wait_for_selector("#flash")
    assert "is assigned to" in page.locator("#flash").inner_text()
    assert page.evaluate("window.__samePage") is True
    # The member's role changes while the page is open: the panel says so instead of failing silently.
    desk.membership.roles = ["viewer"]
    desk.membership.save()
    page.click("#action-severity summary")
    page.wait_for_selector("#action-error:not([hidden])")
    assert "not allowed" in page.locator("#action-error").inner_text()
    assert page.js_errors == []


def test_a_champion_on_a_phone_pastes_a_long_stack_trace_and_still_gets_suggestions(browser_page, champion):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    trace = "java.lang.IllegalStateException: Sync to SAP failed\n" + "".join(
        f"    at com.acme.erp.OrderFeed.push(OrderFeed.java:{line})\n" for line in range(1, 200)
    )
    trace = trace[:3700]
    assert len(trace) == 3700
    assists = []
    page.on(
        "request", lambda request: assists.append(request) if "/tickets/new/assist/" in request.url else None
    )
    log_in(page, "champion")
    page.wait_for_url("**/p/acme/")
    page.goto("/p/acme/tickets/new/")
    page.fill("#id_title", "Orders stuck")
    page.fill("#id_details", trace)
    page.get_by_label("A whole department or business unit").check()
    page.get_by_label("No, we are stuck").check()
    page.get_by_label("Yes, a vital process is blocked").check()
    page.wait_for_selector("#suggestion .severity-line")
    page.wait_for_function("document.querySelector('#suggestion .badge.cat')?.textContent === 'Integration'")
    assert assists and all(r.method == "POST" and len(r.url) < 200 for r in assists), (
        "the text goes in the body: gunicorn refuses a request line over 4 KB with 414"
    )
    assert "Something went wrong" not in page.content()
    page.click("#log-submit")
    page.wait_for_url("**/p/acme/tickets/ACME-1/")
    ticket = Ticket.objects.get()
    assert ticket.description == trace.replace("\n", "\r\n") or ticket.description == trace
    assert ticket.category == "integration", "the category shown is the one filed"
    assert page.js_errors == []
