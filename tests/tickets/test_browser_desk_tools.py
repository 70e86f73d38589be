"""A real browser at the desk: resolve two queue rows in bulk (one refused, reported by
reference), insert a canned reply into a comment and edit it before sending, and close a
ticket as a duplicate of another."""

from __future__ import annotations

import pytest

from tests.conftest import log_in
from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import services
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.browser


def test_the_desk_works_in_bulk_with_canned_replies_and_duplicates(browser_page, champion, desk, lead):
    one = log_ticket(champion, title="Quote PDF shows the wrong VAT rate")
    two = log_ticket(champion, title="VAT wrong on Irish quotes")
    closed = log_ticket(champion, title="Old one")
    services.ticket_resolve(access=access_of(desk), ticket=closed, resolution="Done")
    services.ticket_transition(access=access_of(desk), ticket=closed, status="closed")
    services.canned_reply_create(
        access=access_of(lead), title="Need a screenshot", body="Could you send a screenshot of the quote?"
    )
    page = browser_page
    log_in(page, "desk")
    page.wait_for_url("**/")

    # Bulk: tick two rows (one of them closed), open the panel (its inputs load), resolve.
    page.goto("/p/acme/tickets/?view=all&status=any")
    page.check(f"#row-{one.reference} .pick-box")
    page.check(f"#row-{closed.reference} .pick-box")
    page.click("#bulk-panel summary")
    page.wait_for_selector("#bulk-form textarea[name=resolution]")
    page.fill("#bulk-form textarea[name=resolution]", "Fixed by the VAT table patch.")
    page.click("#bulk-form button[value=resolve]")
    page.wait_for_selector(".messages")
    said = page.locator(".messages").inner_text()
    assert f"1 ticket changed ({one.reference})" in said
    assert f"{closed.reference}: A closed ticket cannot become resolved" in said
    assert Ticket.objects.get(pk=one.pk).status == "resolved"

    # Canned reply: insert it into the comment box, edit it, send it.
    page.goto(f"/p/acme/tickets/{two.reference}/")
    page.click("#canned-insert summary")
    page.wait_for_selector("#canned-select")
    page.select_option("#canned-select", label="Need a screenshot")
    box = page.locator("#action-comment textarea[name=body]")
    assert box.input_value() == "Could you send a screenshot of the quote?"
    box.press("End")
    box.type(" The PDF too, please.")
    internal = page.locator("#action-comment input[name=internal]")
    if internal.count() and internal.is_checked():
        internal.uncheck()
    page.click("#action-comment button[type=submit]")
    page.locator("article.comment", has_text="The PDF too, please.").wait_for()
    assert Comment.objects.filter(
        ticket=two, body="Could you send a screenshot of the quote? The PDF too, please."
    ).exists()

    # Duplicate: close the second ticket as a duplicate of the first.
    page.goto(f"/p/acme/tickets/{two.reference}/actions/duplicate/")
    page.fill("input[name=original]", one.reference)
    page.click("form button[type=submit] >> text=Close as duplicate")
    page.wait_for_selector("#duplicate-of")
    assert f"Duplicate of {one.reference}" in page.locator("#duplicate-of").inner_text()
    assert Ticket.objects.get(pk=two.pk).duplicate_of_id == one.pk
    assert page.js_errors == []
