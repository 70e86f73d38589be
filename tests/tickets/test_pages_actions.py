"""Actions on a ticket from the ticket page and the queue rows: htmx partials and the no-JS forms."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from hypercare.models import Notification
from tests.factories import KnownIssueFactory
from tests.tickets.pages_helpers import access_of, htmx, log_ticket
from tickets import services
from tickets.models import Attachment, Comment, Ticket

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
STEPS = "1. Open an Irish account's quote. 2. Generate the PDF. 3. VAT shows 20%, should be 23%."


@pytest.fixture
def ticket(champion):
    return log_ticket(champion, title="Quote PDF shows the wrong VAT rate", process="Quote")


def url(ticket, action=""):
    return f"/p/acme/tickets/{ticket.reference}/" + (f"{action}/" if action else "")


def test_take_from_a_queue_row_returns_just_the_updated_row(client, desk, ticket):
    client.force_login(desk.user)
    response = client.post(url(ticket, "take"), {"return": "row", "next": "/p/acme/tickets/"}, **htmx())
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="row-{ticket.reference}"') and "<html" not in html
    assert desk.user.get_full_name() in html and f"You took {ticket.reference}" in html
    ticket.refresh_from_db()
    assert ticket.assignee == desk.user


def test_a_queue_row_offers_take_only_while_nobody_holds_the_ticket(client, desk, engineer, ticket):
    """Take picks up an unassigned ticket; a colleague's is reassigned from "More", never taken."""
    held = log_ticket(desk, title="Held by an engineer", process="Quote")
    services.ticket_assign(access=access_of(desk), ticket=held, assignee=engineer.user)
    client.force_login(desk.user)
    html = client.get("/p/acme/tickets/?view=all").content.decode()
    row = {
        ref: html.split(f'id="row-{ref}"', 1)[1].split("</tr>", 1)[0]
        for ref in (ticket.reference, held.reference)
    }
    assert 'class="small take"' in row[ticket.reference]
    assert 'class="small take"' not in row[held.reference] and "More" in row[held.reference]


def test_take_without_javascript_redirects_back_to_the_queue(client, desk, ticket):
    client.force_login(desk.user)
    response = client.post(url(ticket, "take"), {"return": "row", "next": "/p/acme/tickets/?view=unassigned"})
    assert response.status_code == 302 and response.url == "/p/acme/tickets/?view=unassigned"
    follow = client.get(response.url)
    assert f"You took {ticket.reference}" in follow.content.decode()


def test_it_never_redirects_off_site(client, desk, ticket):
    client.force_login(desk.user)
    response = client.post(url(ticket, "take"), {"next": "https://evil.example/phish"})
    assert response.status_code == 302 and response.url == url(ticket)


def test_quick_assign_and_status_change_from_a_row(client, desk, engineer, ticket):
    client.force_login(desk.user)
    response = client.post(url(ticket, "assign"), {"assignee": engineer.user.pk, "return": "row"}, **htmx())
    assert engineer.user.get_full_name() in response.content.decode()
    response = client.post(url(ticket, "transition"), {"status": "in_progress", "return": "row"}, **htmx())
    assert "In progress" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == engineer.user and ticket.status == "in_progress"
    assert ticket.first_responded_at is not None


def test_a_refused_quick_action_shows_why_in_the_row(client, desk, champion, ticket):
    client.force_login(desk.user)
    response = client.post(url(ticket, "assign"), {"assignee": champion.user.pk, "return": "row"}, **htmx())
    html = response.content.decode()
    assert response.status_code == 200 and 'class="error row-error"' in html
    response = client.post(url(ticket, "transition"), {"status": "closed", "return": "row"}, **htmx())
    assert "cannot become closed" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.assignee is None


def test_a_refused_quick_action_without_javascript_says_why_after_the_redirect(client, desk, ticket):
    client.force_login(desk.user)
    response = client.post(
        url(ticket, "transition"),
        {"status": "closed", "return": "row", "next": "/p/acme/tickets/"},
        follow=True,
    )
    assert "cannot become closed" in response.content.decode()


def test_quick_comment_from_a_row_is_internal_by_default(client, desk, ticket):
    client.force_login(desk.user)
    client.post(
        url(ticket, "comment"),
        {"body": "Checking the tax table", "internal": "on", "return": "row"},
        **htmx(),
    )
    assert Comment.objects.get(ticket=ticket).internal is True


def test_an_action_on_the_ticket_page_returns_the_ticket_body_partial(client, desk, ticket):
    client.force_login(desk.user)
    response = client.post(
        url(ticket, "transition"), {"status": "triaged", "comment": "Looks like a tax bug"}, **htmx()
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-body"') and "<html" not in html
    assert "is now triaged" in html and "Looks like a tax bug" in html


def test_escalating_to_tier3_needs_replication_steps_shown_in_place(client, desk, ticket):
    client.force_login(desk.user)
    response = client.post(url(ticket, "escalate"), {"to_tier": 3, "replication_steps": ""}, **htmx())
    html = response.content.decode()
    assert "Document how to reproduce the problem" in html
    assert 'id="action-escalate" open' in html, "the failing form stays open with its message"
    ticket.refresh_from_db()
    assert ticket.tier == 2
    response = client.post(url(ticket, "escalate"), {"to_tier": 3, "replication_steps": STEPS}, **htmx())
    assert "moved to Tier 3" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.tier == 3 and ticket.replication_steps == STEPS and ticket.assignee is None


def test_escalation_errors_without_javascript_are_form_errors_on_the_full_page(client, desk, ticket):
    client.force_login(desk.user)
    response = client.post(url(ticket, "escalate"), {"to_tier": 3, "replication_steps": "too short"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert 'class="field invalid"' in html and "Document how to reproduce the problem" in html


def test_tier3_resolution_passes_back_to_the_desk_which_tells_the_reporter(
    client, desk, engineer, champion, ticket
):
    services.ticket_escalate(access=access_of(desk), ticket=ticket, to_tier=3, replication_steps=STEPS)
    client.force_login(engineer.user)
    client.post(url(ticket, "take"))
    response = client.post(
        url(ticket, "resolve"), {"resolution": "Tax lookup uses the shipping country now."}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.tier, ticket.resolved_at) == ("in_progress", 2, None)
    assert not Notification.objects.filter(recipient=champion.user, kind="ticket_resolved").exists()
    client.force_login(champion.user)
    page = client.get(url(ticket)).content.decode()
    assert "Tax lookup uses the shipping country now." not in page, (
        "the reporter hears once the desk confirms"
    )
    client.force_login(desk.user)
    page = client.get(url(ticket)).content.decode()
    assert "Resolution proposed by Tier 3" in page and "Tax lookup uses the shipping country now." in page
    form = client.get(url(ticket, "actions/resolve")).content.decode()
    assert "Tax lookup uses the shipping country now.</textarea>" in form
    client.post(url(ticket, "resolve"), {"resolution": "Tax lookup uses the shipping country now."})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at_tier) == ("resolved", 3)
    assert Notification.objects.filter(recipient=champion.user, kind="ticket_resolved").exists()
    client.force_login(champion.user)
    page = client.get(url(ticket)).content.decode()
    assert "Resolved at Tier 3" in page and "Tax lookup uses the shipping country now." in page


def test_the_reporter_reopens_with_a_reason(client, desk, champion, ticket):
    services.ticket_resolve(access=access_of(desk), ticket=ticket, resolution="Fixed.")
    client.force_login(champion.user)
    page = client.get(url(ticket)).content.decode()
    assert 'id="action-reopen"' in page and 'id="action-transition"' not in page
    response = client.post(url(ticket, "reopen"), {"reason": ""}, **htmx())
    assert "This field is required" in response.content.decode()
    client.post(url(ticket, "reopen"), {"reason": "Still 20% on Belgian quotes"}, **htmx())
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_a_severity_change_needs_a_reason(client, desk, ticket):
    client.force_login(desk.user)
    response = client.post(url(ticket, "severity"), {"severity": 1, "reason": ""}, **htmx())
    assert "This field is required" in response.content.decode()
    response = client.post(url(ticket, "severity"), {"severity": 1, "reason": "Invoicing stopped"}, **htmx())
    ticket.refresh_from_db()
    assert ticket.severity == 1 and ticket.severity_reason == "Invoicing stopped"
    assert "differs from the matrix" in response.content.decode()


def test_linking_and_unlinking_a_known_issue(client, desk, ticket, programme):
    issue = KnownIssueFactory(programme=programme, title="VAT on quote PDFs")
    client.force_login(desk.user)
    response = client.post(url(ticket, "link"), {"known_issue": issue.pk}, **htmx())
    assert "Known issue: VAT on quote PDFs" in response.content.decode()
    client.post(url(ticket, "link"), {"known_issue": ""}, **htmx())
    ticket.refresh_from_db()
    assert ticket.known_issue is None


def test_the_reporter_edits_the_title_but_not_the_category(client, champion, desk, ticket):
    client.force_login(champion.user)
    client.post(url(ticket, "edit"), {"title": "Quote PDF VAT wrong for Ireland", "category": "how_to"})
    ticket.refresh_from_db()
    assert ticket.title == "Quote PDF VAT wrong for Ireland" and ticket.category == "defect"
    client.force_login(desk.user)
    client.post(
        url(ticket, "edit"),
        {
            "title": ticket.title,
            "description": "",
            "process": "Quote",
            "business_unit": "Sales",
            "category": "configuration",
        },
    )
    ticket.refresh_from_db()
    assert ticket.category == "configuration"


def test_attachments_upload_and_download_only_as_attachments(client, champion, desk, ticket):
    client.force_login(champion.user)
    upload = SimpleUploadedFile("screen.png", PNG, content_type="image/png")
    response = client.post(url(ticket, "attach"), {"file": upload})
    assert response.status_code == 302
    attachment = Attachment.objects.get(ticket=ticket)
    download = client.get(url(ticket, f"attachments/{attachment.pk}"))
    assert download.status_code == 200
    assert (
        download["Content-Disposition"].startswith("attachment;")
        and "screen.png" in download["Content-Disposition"]
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PNG


def test_a_disguised_html_upload_is_refused_in_place(client, desk, ticket):
    client.force_login(desk.user)
    upload = SimpleUploadedFile(
        "shot.png", b"<html><script>alert(1)</script></html>", content_type="image/png"
    )
    response = client.post(url(ticket, "attach"), {"file": upload}, **htmx())
    assert "not a file type we accept" in response.content.decode()
    assert not Attachment.objects.exists()


def test_internal_attachments_are_hidden_from_champions(client, champion, desk, ticket):
    client.force_login(desk.user)
    client.post(
        url(ticket, "attach"),
        {"file": SimpleUploadedFile("trace.log", b"stack trace"), "internal": "on"},
        follow=True,  # the success message is shown to the desk, not carried over to the next login
    )
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.internal
    client.force_login(champion.user)
    assert "trace.log" not in client.get(url(ticket)).content.decode()
    assert client.get(url(ticket, f"attachments/{attachment.pk}")).status_code == 404


def test_an_attachment_of_another_ticket_is_404_through_this_ticket(client, champion, desk, ticket):
    other = log_ticket(desk, title="Other", business_unit="Finance")
    services.ticket_attach(access=access_of(desk), ticket=other, upload=SimpleUploadedFile("x.png", PNG))
    attachment = Attachment.objects.get(ticket=other)
    client.force_login(champion.user)
    assert client.get(url(ticket, f"attachments/{attachment.pk}")).status_code == 404


def test_champions_comment_publicly_only(client, champion, ticket):
    client.force_login(champion.user)
    page = client.get(url(ticket)).content.decode()
    assert "Internal (support team only)" not in page
    client.post(url(ticket, "comment"), {"body": "Still happening", "internal": "on"})
    assert Comment.objects.get(ticket=ticket).internal is False


def test_an_unknown_action_is_404(client, desk, ticket):
    client.force_login(desk.user)
    assert client.post(url(ticket, "delete")).status_code == 404
    assert Ticket.objects.filter(pk=ticket.pk).exists()
