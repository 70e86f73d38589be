"""The known-issues board: every member reads it; the support team records and edits; a fix tells the reporters."""

from __future__ import annotations

from datetime import date

import pytest

from hypercare.models import Notification
from tests.factories import KnownIssueFactory
from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import services
from tickets.models import KnownIssue

pytestmark = pytest.mark.django_db


def test_the_board_shows_open_issues_with_workaround_fix_date_and_ticket_count(
    client, champion, desk, programme
):
    issue = services.known_issue_create(
        access=access_of(desk),
        title="Order sync to SAP stalls",
        symptoms="Orders do not reach SAP",
        workaround="Orders replay automatically",
        status="fix_in_progress",
        fix_expected_on=date(2026, 12, 3),
    )
    services.known_issue_create(access=access_of(desk), title="Old logo", status="wont_fix")
    log_ticket(champion, known_issue=issue)
    log_ticket(champion, known_issue=issue)
    client.force_login(champion.user)
    html = client.get("/p/acme/known-issues/").content.decode()
    assert "Order sync to SAP stalls" in html and "Orders replay automatically" in html
    assert "Fix expected Thu 3 Dec 2026" in html and "2 tickets" in html and "Fix in progress" in html
    assert "Old logo" not in html and "Edit</a>" not in html and "Record a known issue" not in html
    assert "Old logo" in client.get("/p/acme/known-issues/?show=all").content.decode()


def test_the_support_team_records_a_known_issue(client, desk):
    client.force_login(desk.user)
    response = client.post(
        "/p/acme/known-issues/new/",
        {
            "title": "Case list views are slow",
            "symptoms": "30 s",
            "workaround": "Search by number",
            "status": "investigating",
        },
    )
    assert response.status_code == 302 and response.url == "/p/acme/known-issues/"
    assert KnownIssue.objects.get().created_by == desk.user


def test_a_known_issue_needs_a_title(client, desk):
    client.force_login(desk.user)
    response = client.post("/p/acme/known-issues/new/", {"title": "", "status": "investigating"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not KnownIssue.objects.exists()


def test_marking_it_fixed_notifies_the_reporters_of_linked_tickets(client, champion, desk):
    issue = services.known_issue_create(access=access_of(desk), title="Quote PDF VAT")
    ticket = log_ticket(champion, known_issue=issue)
    client.force_login(desk.user)
    edit = client.get(f"/p/acme/known-issues/{issue.pk}/edit/").content.decode()
    assert ticket.reference in edit, "the edit page lists the linked tickets"
    response = client.post(
        f"/p/acme/known-issues/{issue.pk}/edit/",
        {"title": "Quote PDF VAT", "symptoms": "", "workaround": "", "status": "fixed"},
        follow=True,
    )
    assert "reporters of its tickets are notified" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "fixed" and issue.fixed_at is not None
    assert Notification.objects.filter(recipient=champion.user, kind="known_issue_fixed").exists()
    client.force_login(champion.user)
    assert "Fixed: Quote PDF VAT" in client.get("/p/acme/notifications/").content.decode()


def test_another_programmes_known_issue_is_404(client, desk, other_programme):
    theirs = KnownIssueFactory(programme=other_programme)
    client.force_login(desk.user)
    assert client.get(f"/p/acme/known-issues/{theirs.pk}/edit/").status_code == 404
    assert (
        client.post(f"/p/acme/known-issues/{theirs.pk}/edit/", {"title": "x", "status": "fixed"}).status_code
        == 404
    )
