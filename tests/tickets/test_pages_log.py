"""Tier 1's guided form: logging in under a minute, live suggestions, duplicates linked, own fixes recorded."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.tickets.pages_helpers import access_of, htmx, log_ticket
from tickets import services
from tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ANSWERS = {"impact_scope": "department", "workaround": "none", "blocks_vital_process": "yes"}


def test_a_champion_logs_an_issue_and_the_matrix_sets_its_severity(client, champion):
    client.force_login(champion.user)
    response = client.post(
        "/p/acme/tickets/new/",
        {"title": "Invoices fail to post", "details": "Error 500 on Post", "process": "Invoicing", **ANSWERS},
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == f"/p/acme/tickets/{ticket.reference}/"
    assert ticket.reporter == champion.user and ticket.tier == 2 and ticket.status == "new"
    assert ticket.severity == ticket.computed_severity == 1
    assert ticket.impact_scope == "department" and ticket.blocks_vital_process is True
    assert ticket.business_unit == "Sales", "the champion's own unit by default"
    assert ticket.category == "defect", "suggested from the words when not chosen"
    page = client.get(response.url).content.decode()
    assert "logged" in page and "Invoices fail to post" in page


def test_the_suggested_category_is_used_when_the_champion_is_not_sure(client, champion):
    client.force_login(champion.user)
    client.post(
        "/p/acme/tickets/new/",
        {
            "title": "How do I clone a quote?",
            "category": "",
            "impact_scope": "individual",
            "workaround": "simple",
            "blocks_vital_process": "no",
        },
    )
    assert Ticket.objects.get().category == "how_to"


def test_missing_answers_are_named_and_nothing_is_stored(client, champion):
    client.force_login(champion.user)
    response = client.post("/p/acme/tickets/new/", {"title": "", "impact_scope": "department"})
    html = response.content.decode()
    assert response.status_code == 200 and Ticket.objects.count() == 0
    assert 'id="q-workaround"' in html and html.count("This field is required") >= 3


def test_a_champion_records_an_issue_they_resolved_themselves(client, champion):
    client.force_login(champion.user)
    data = {
        "title": "How to log a call",
        "resolved_myself": "on",
        "resolution": "",
        "impact_scope": "individual",
        "workaround": "simple",
        "blocks_vital_process": "no",
    }
    response = client.post("/p/acme/tickets/new/", data)
    assert "Say how you resolved it" in response.content.decode() and Ticket.objects.count() == 0
    client.post("/p/acme/tickets/new/", {**data, "resolution": "Showed Log a Call in the activity panel."})
    ticket = Ticket.objects.get()
    assert ticket.status == "resolved" and ticket.tier == 1 and ticket.resolved_at_tier == 1
    assert ticket.resolution == "Showed Log a Call in the activity panel."


def test_only_champions_get_the_resolved_it_myself_option(client, desk):
    client.force_login(desk.user)
    assert "I already resolved it myself" not in client.get("/p/acme/tickets/new/").content.decode()


def test_screenshots_are_attached_with_the_ticket(client, champion):
    client.force_login(champion.user)
    shots = [SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.png", PNG)]
    client.post("/p/acme/tickets/new/", {"title": "Blank page", "attachments": shots, **ANSWERS})
    ticket = Ticket.objects.get()
    assert sorted(Attachment.objects.filter(ticket=ticket).values_list("original_name", flat=True)) == [
        "a.png",
        "b.png",
    ]


def test_a_refused_screenshot_logs_nothing_and_says_why(client, champion):
    client.force_login(champion.user)
    bad = SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image")
    response = client.post("/p/acme/tickets/new/", {"title": "Blank page", "attachments": [bad], **ANSWERS})
    assert "not a file type we accept" in response.content.decode()
    assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0


def test_a_known_issue_picked_on_the_form_is_linked(client, champion, desk):
    issue = services.known_issue_create(
        access=access_of(desk), title="Quote PDF shows the wrong VAT rate", workaround="Correct it by hand."
    )
    client.force_login(champion.user)
    client.post(
        "/p/acme/tickets/new/", {"title": "VAT wrong on quote PDF", "known_issue": issue.pk, **ANSWERS}
    )
    assert Ticket.objects.get().known_issue == issue


def test_the_assist_partial_suggests_severity_with_its_reasoning(client, champion):
    client.force_login(champion.user)
    response = client.get(
        "/p/acme/tickets/new/assist/", {"title": "Orders not arriving in SAP", **ANSWERS}, **htmx()
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="assist"') and "<html" not in html
    assert "Sev1" in html and "A whole department is affected, there is no workaround" in html
    assert "Integration" in html and "another system" in html
    assert "respond within 15 minutes" in html


def test_enhancements_are_sev4_unless_a_vital_process_is_blocked_and_the_form_says_so(client, champion):
    client.force_login(champion.user)
    answers = {**ANSWERS, "blocks_vital_process": "no"}
    html = client.get(
        "/p/acme/tickets/new/assist/",
        {"title": "Could we have a PO field", "category": "enhancement", **answers},
        **htmx(),
    ).content.decode()
    assert "Sev4" in html and "Enhancement request tickets are Sev4" in html
    html = client.get(
        "/p/acme/tickets/new/assist/",
        {"title": "Could we have a PO field", "category": "enhancement", **ANSWERS},
        **htmx(),
    ).content.decode()
    assert "Sev1" in html and "the triage matrix gives Sev1" in html


def test_the_assist_partial_shows_matching_known_issues_and_resolved_tickets(client, champion, desk):
    services.known_issue_create(
        access=access_of(desk), title="Quote PDF shows the wrong VAT rate", workaround="Correct it by hand."
    )
    services.known_issue_create(access=access_of(desk), title="Slow case list views")
    solved = log_ticket(champion, title="Quote PDF discount line missing")
    services.ticket_resolve(access=access_of(desk), ticket=solved, resolution="Template updated.")
    client.force_login(champion.user)
    html = client.get("/p/acme/tickets/new/assist/", {"title": "quote pdf vat"}, **htmx()).content.decode()
    assert "Quote PDF shows the wrong VAT rate" in html and "Correct it by hand." in html
    assert "Slow case list views" not in html
    assert solved.reference in html and "Template updated." in html


def test_the_assist_partial_keeps_the_picked_known_issue(client, champion, desk):
    issue = services.known_issue_create(access=access_of(desk), title="Quote PDF shows the wrong VAT rate")
    client.force_login(champion.user)
    html = client.get(
        "/p/acme/tickets/new/assist/", {"title": "quote vat", "known_issue": issue.pk}, **htmx()
    ).content.decode()
    assert f'value="{issue.pk}" checked' in html
    html = client.get(
        "/p/acme/tickets/new/assist/", {"title": "something else entirely", "known_issue": issue.pk}, **htmx()
    ).content.decode()
    assert f'value="{issue.pk}" checked' in html, "more typing does not lose the choice"


def test_without_javascript_the_check_button_shows_the_same_suggestions(client, champion, desk):
    services.known_issue_create(access=access_of(desk), title="Order sync to SAP stalls")
    client.force_login(champion.user)
    response = client.post("/p/acme/tickets/new/", {"title": "SAP orders stuck", "preview": "1", **ANSWERS})
    html = response.content.decode()
    assert Ticket.objects.count() == 0
    assert "Order sync to SAP stalls" in html and "Sev1" in html
    assert 'value="SAP orders stuck"' in html and "This field is required" not in html, (
        "answers kept, no errors"
    )
    assert client.get("/p/acme/tickets/new/assist/").status_code == 302, "a plain visit goes to the form"


def test_the_process_field_suggests_earlier_tickets_processes(client, champion):
    log_ticket(champion, process="Quote approval")
    log_ticket(champion, process="Quote approval")
    log_ticket(champion, process="Case escalation")
    client.force_login(champion.user)
    html = client.get("/p/acme/tickets/new/").content.decode()
    assert (
        '<datalist id="process-suggestions"><option value="Quote approval"><option value="Case escalation">'
        in html
    )


def test_the_similar_tickets_never_leak_another_units_tickets(client, champion, make_persona, desk):
    finance = make_persona("champion", business_unit="Finance", username="fin")
    theirs = log_ticket(finance, title="Quote PDF for finance only")
    services.ticket_resolve(access=access_of(desk), ticket=theirs, resolution="Secret fix.")
    client.force_login(champion.user)
    html = client.get("/p/acme/tickets/new/assist/", {"title": "quote pdf"}, **htmx()).content.decode()
    assert theirs.reference not in html and "Secret fix" not in html


def test_my_tickets_shows_status_and_the_latest_public_reply_only(client, champion, desk):
    ticket = log_ticket(champion, title="Quote PDF VAT")
    services.ticket_comment(access=access_of(desk), ticket=ticket, body="We are on it")
    services.ticket_comment(access=access_of(desk), ticket=ticket, body="Secret root cause", internal=True)
    client.force_login(champion.user)
    html = client.get("/p/acme/tickets/mine/").content.decode()
    assert ticket.reference in html and "New" in html and "We are on it" in html
    assert "Secret root cause" not in html and "1 reply" in html


def test_my_tickets_runs_the_same_queries_for_2_or_20_tickets(client, champion, desk, programme):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CommentFactory, TicketFactory

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/p/acme/tickets/mine/?show=all").status_code == 200
        return len(captured)

    for ticket in TicketFactory.create_batch(
        2, programme=programme, reporter=champion.user, assignee=desk.user
    ):
        CommentFactory(ticket=ticket)
    client.force_login(champion.user)
    few = queries()
    for ticket in TicketFactory.create_batch(
        18, programme=programme, reporter=champion.user, assignee=desk.user
    ):
        CommentFactory(ticket=ticket)
    assert queries() == few


@pytest.mark.parametrize(
    "report",
    [
        {"title": "Quote totals are off", "details": "Since Monday", "process": "SAP sync"},
        {"title": "Quote totals", "details": "The page is slow since the release", "process": ""},
        {"title": "Quarterly", "details": "totals mismatch on the summary", "process": ""},
        {"title": "Hello", "details": "", "process": ""},
    ],
)
def test_it_files_exactly_the_category_it_suggested_when_left_on_not_sure(client, champion, desk, report):
    solved = log_ticket(champion, title="Quarterly totals mismatch", category="configuration")
    services.ticket_resolve(access=access_of(desk), ticket=solved, resolution="Rollup fixed.")
    client.force_login(champion.user)
    html = client.get("/p/acme/tickets/new/assist/", {**report, "category": "", **ANSWERS}, **htmx()).text
    shown = re.search(r'<span class="badge cat">([^<]+)</span>', html).group(1)
    client.post("/p/acme/tickets/new/", {**report, "category": "", **ANSWERS})
    ticket = Ticket.objects.exclude(pk=solved.pk).get()
    assert ticket.get_category_display() == shown
