"""The ticket pages per role: who sees which page, who may change what, CSRF and escaping."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from hypercare.models import Notification
from tests.factories import KnownIssueFactory
from tests.tickets.pages_helpers import htmx, log_ticket
from tickets.models import Comment, Ticket
from tickets.urls_pages import TICKET_ACTIONS

pytestmark = pytest.mark.django_db

ROLES = ["champion", "desk", "engineer", "lead", "sponsor", "owner", "bau", "viewer", "outsider"]

# page -> the status each role gets (a champion's own business unit ticket for the ticket page).
ALL_MEMBERS = dict.fromkeys(ROLES[:-1], 200)
WORKERS_ONLY = {**dict.fromkeys(ROLES[:-1], 403), **dict.fromkeys(["desk", "engineer", "lead", "bau"], 200)}
PAGE_RULES = {
    "new": {**ALL_MEMBERS, "sponsor": 403, "viewer": 403},
    "mine": ALL_MEMBERS,
    "queue": {**ALL_MEMBERS, "champion": 403},
    "detail": ALL_MEMBERS,
    "action_form": {**ALL_MEMBERS, "sponsor": 403, "viewer": 403},  # the comment form on its own
    "row_actions": WORKERS_ONLY,  # a queue row's menu
    "known_issues": ALL_MEMBERS,
    "known_issue_new": WORKERS_ONLY,
    "known_issue_edit": WORKERS_ONLY,
    "notifications": ALL_MEMBERS,
    "rate": {**dict.fromkeys(ROLES[:-1], 403), "champion": 200},  # the reporter only
    "bulk": WORKERS_ONLY,  # the bulk form on its own page
    "canned_replies": WORKERS_ONLY,  # leads write, the support team reads
    "canned_reply_edit": {**WORKERS_ONLY, "desk": 403, "engineer": 403, "bau": 403},
    "follow": dict.fromkeys(ROLES, 405),  # POST only: any member who sees the ticket
    "canned_reply_delete": dict.fromkeys(ROLES, 405),  # POST only (leads)
}


@pytest.fixture
def everyone(request):
    return {role: request.getfixturevalue(role) for role in ROLES}


@pytest.fixture
def ticket(champion):
    return log_ticket(champion, title="Quote PDF shows the wrong VAT rate", process="Quote")


def page_url(name, ticket, issue) -> str:
    if name == "detail":
        return reverse("tickets:detail", args=["acme", ticket.reference])
    if name == "row_actions":
        return reverse("tickets:row_actions", args=["acme", ticket.reference])
    if name == "action_form":
        return reverse("tickets:action_form", args=["acme", ticket.reference, "comment"])
    if name == "known_issue_edit":
        return reverse("tickets:known_issue_edit", args=["acme", issue.pk])
    if name in ("follow", "rate"):
        return reverse(f"tickets:{name}", args=["acme", ticket.reference])
    if name in ("canned_reply_edit", "canned_reply_delete"):
        from tickets.models import CannedReply

        reply = CannedReply.objects.get_or_create(
            programme=issue.programme, title="Hello", defaults={"body": "Hi", "created_by": issue.created_by}
        )[0]
        return reverse(f"tickets:{name}", args=["acme", reply.pk])
    return reverse(f"tickets:{name}", args=["acme"])


@pytest.mark.parametrize("page", list(PAGE_RULES))
def test_it_applies_each_roles_rules_to_every_page(client, everyone, ticket, programme, page):
    issue = KnownIssueFactory(programme=programme)
    for role, persona in everyone.items():
        client.force_login(persona.user)
        expected = PAGE_RULES[page].get(role, 404)  # the outsider: another programme's lead
        response = client.get(page_url(page, ticket, issue))
        assert response.status_code == expected, f"{role} on {page}"


def test_every_ticket_page_url_has_a_role_rule():
    from tickets.urls_pages import urlpatterns

    names = {p.name for p in urlpatterns} - set(TICKET_ACTIONS)
    untested = names - set(PAGE_RULES) - {"assist", "attachment", "notifications_read"}
    assert untested == set(), "add these pages to PAGE_RULES"


def test_anonymous_visitors_are_sent_to_log_in(client, ticket):
    for url in ["/p/acme/tickets/", "/p/acme/tickets/new/", f"/p/acme/tickets/{ticket.reference}/"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url


def test_a_champion_sees_only_their_own_and_their_units_tickets(client, champion, make_persona, desk):
    colleague = make_persona("champion", business_unit="Sales", username="colleague")
    finance = make_persona("champion", business_unit="Finance", username="finance")
    mine = log_ticket(champion, title="Mine")
    units = log_ticket(colleague, title="My unit's")
    other = log_ticket(finance, title="Finance's own")
    by_desk_for_finance = log_ticket(desk, title="Logged for Finance", business_unit="Finance")
    client.force_login(champion.user)
    listing = client.get("/p/acme/tickets/mine/?show=all").content.decode()
    assert mine.reference in listing and units.reference in listing
    assert other.reference not in listing and by_desk_for_finance.reference not in listing
    assert client.get(f"/p/acme/tickets/{other.reference}/").status_code == 404


def test_a_champion_never_sees_internal_comments_or_tier3_notes(client, champion, desk, ticket):
    from tests.tickets.pages_helpers import access_of
    from tickets import services

    services.ticket_comment(access=access_of(desk), ticket=ticket, body="Public: on it", internal=False)
    services.ticket_comment(
        access=access_of(desk), ticket=ticket, body="Internal: blame the trigger", internal=True
    )
    services.ticket_escalate(
        access=access_of(desk),
        ticket=ticket,
        to_tier=3,
        replication_steps="Open a quote for an Irish account, generate the PDF, VAT shows 20%.",
    )
    client.force_login(champion.user)
    page = client.get(f"/p/acme/tickets/{ticket.reference}/").content.decode()
    assert "Public: on it" in page
    assert "blame the trigger" not in page
    assert "Irish account" not in page, "replication steps are Tier 3 working notes"
    client.force_login(desk.user)
    page = client.get(f"/p/acme/tickets/{ticket.reference}/").content.decode()
    assert "blame the trigger" in page and "Irish account" in page


@pytest.mark.parametrize("role", ["viewer", "sponsor"])
def test_read_only_roles_cannot_change_anything(client, request, ticket, role):
    persona = request.getfixturevalue(role)
    client.force_login(persona.user)
    page = client.get(f"/p/acme/tickets/{ticket.reference}/").content.decode()
    assert 'id="actions"' not in page and "Add a comment" not in page
    for action in TICKET_ACTIONS:
        response = client.post(
            f"/p/acme/tickets/{ticket.reference}/{action}/", {"body": "x", "status": "triaged"}
        )
        assert response.status_code == 403, action
    assert Comment.objects.filter(ticket=ticket).count() == 0
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.assignee is None


def test_a_champion_cannot_work_the_queue_even_by_posting(client, champion, ticket):
    client.force_login(champion.user)
    for action, data in [
        ("take", {}),
        ("transition", {"status": "triaged"}),
        ("resolve", {"resolution": "x"}),
    ]:
        assert client.post(f"/p/acme/tickets/{ticket.reference}/{action}/", data).status_code == 403, action
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.assignee is None


def test_an_outsider_gets_404_for_the_programmes_tickets_and_actions(client, outsider, ticket):
    client.force_login(outsider.user)
    assert client.get(f"/p/acme/tickets/{ticket.reference}/").status_code == 404
    assert client.post(f"/p/acme/tickets/{ticket.reference}/take/").status_code == 404
    assert client.get("/p/acme/tickets/new/assist/?title=quote", **htmx()).status_code == 404


def test_a_ticket_of_another_programme_is_404_even_for_its_reference(client, desk, outsider):
    theirs = log_ticket(outsider, title="Globex secret", slug="globex")
    client.force_login(desk.user)
    assert client.get(f"/p/acme/tickets/{theirs.reference}/").status_code == 404
    assert client.get(f"/p/globex/tickets/{theirs.reference}/").status_code == 404


def test_every_post_needs_the_csrf_token(champion, desk, ticket, programme):
    issue = KnownIssueFactory(programme=programme)
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.user)
    urls = [f"/p/acme/tickets/{ticket.reference}/{action}/" for action in TICKET_ACTIONS]
    urls += [
        "/p/acme/tickets/new/",
        "/p/acme/known-issues/new/",
        f"/p/acme/known-issues/{issue.pk}/edit/",
        "/p/acme/notifications/read/",
    ]
    for url in urls:
        assert client.post(url, {"body": "x", "title": "x"}).status_code == 403, url
    assert Comment.objects.count() == 0 and Ticket.objects.count() == 1
    # With the token the same client gets through.
    client.get(f"/p/acme/tickets/{ticket.reference}/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/p/acme/tickets/{ticket.reference}/comment/", {"body": "hi", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and Comment.objects.count() == 1
    # htmx sends it as a header (from <body hx-headers>).
    response = client.post(f"/p/acme/tickets/{ticket.reference}/take/", HTTP_X_CSRFTOKEN=token, **htmx())
    assert response.status_code == 200


def test_the_queue_and_ticket_pages_are_get_only(client, desk, ticket):
    client.force_login(desk.user)
    assert client.post("/p/acme/tickets/").status_code == 405
    assert client.post(f"/p/acme/tickets/{ticket.reference}/").status_code == 405
    assert client.get(f"/p/acme/tickets/{ticket.reference}/take/").status_code == 405


EVIL_TITLE = '<script>alert("t")</script>'
EVIL_BODY = "<img src=x onerror=alert(1)>"


def test_user_text_is_escaped_in_every_page_and_partial(client, champion, desk, programme):
    from tests.tickets.pages_helpers import access_of
    from tickets import services

    ticket = log_ticket(
        champion, title=EVIL_TITLE, description=EVIL_BODY, process=EVIL_BODY, business_unit="Sales"
    )
    services.ticket_comment(access=access_of(desk), ticket=ticket, body=EVIL_BODY)
    services.ticket_resolve(access=access_of(desk), ticket=ticket, resolution=f"Fixed {EVIL_BODY} quote")
    services.known_issue_create(
        access=access_of(desk), title=EVIL_TITLE, symptoms=EVIL_BODY, workaround=EVIL_BODY
    )
    pages = {}
    client.force_login(desk.user)
    pages["detail"] = client.get(f"/p/acme/tickets/{ticket.reference}/")
    pages["queue"] = client.get("/p/acme/tickets/?status=any")
    pages["row"] = client.post(
        f"/p/acme/tickets/{ticket.reference}/comment/", {"body": EVIL_BODY, "return": "row"}, **htmx()
    )
    pages["body"] = client.post(f"/p/acme/tickets/{ticket.reference}/comment/", {"body": EVIL_BODY}, **htmx())
    pages["board"] = client.get("/p/acme/known-issues/")
    client.force_login(champion.user)
    pages["mine"] = client.get("/p/acme/tickets/mine/?show=all")
    pages["notifications"] = client.get("/p/acme/notifications/")
    pages["assist"] = client.get(
        "/p/acme/tickets/new/assist/", {"title": f"quote {EVIL_TITLE}", "details": "alert"}, **htmx()
    )
    pages["preview"] = client.post("/p/acme/tickets/new/", {"title": EVIL_TITLE, "preview": "1"})
    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert "<script>alert" not in html and "<img src=x" not in html, name
        assert "&lt;script&gt;" in html or "&lt;img src=x" in html, name


def test_the_notifications_inbox_lists_marks_read_and_counts_unread(
    client, champion, desk, ticket, other_programme
):
    from tests.tickets.pages_helpers import access_of
    from tickets import services

    services.ticket_resolve(access=access_of(desk), ticket=ticket, resolution="Tax lookup fixed.")
    client.force_login(champion.user)
    page = client.get("/p/acme/tickets/mine/").content.decode()
    assert 'class="badge red count">1<' in page, "the navigation shows one unread"
    inbox = client.get("/p/acme/notifications/").content.decode()
    assert f"{ticket.reference} is resolved" in inbox and "Tax lookup fixed." in inbox
    # The resolution notice leads to the one-click rating page (which links to the ticket).
    assert f'href="/p/acme/tickets/{ticket.reference}/rate/"' in inbox
    note = Notification.objects.get(recipient=champion.user, channel="in_app")
    response = client.post("/p/acme/notifications/read/", {"id": note.pk})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'class="badge red count"' not in client.get("/p/acme/tickets/mine/").content.decode()


def test_mark_all_read_touches_only_my_notifications_of_this_programme(client, champion, desk, ticket):
    from tests.tickets.pages_helpers import access_of
    from tickets import services

    services.ticket_resolve(access=access_of(desk), ticket=ticket, resolution="Done.")
    theirs = Notification.objects.create(
        programme=ticket.programme,
        recipient=desk.user,
        kind="x",
        subject="desk's",
        dedupe_key="k1",
        created_at=ticket.reported_at,
    )
    client.force_login(champion.user)
    client.post("/p/acme/notifications/read/")
    assert not Notification.objects.filter(
        recipient=champion.user, channel="in_app", read_at__isnull=True
    ).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_navigation_shows_each_role_its_links(client, champion, desk, viewer):
    client.force_login(champion.user)
    nav = client.get("/p/acme/").content.decode()
    assert "Log an issue" in nav and "My tickets" in nav and ">Queues<" not in nav and "Known issues" in nav
    client.force_login(desk.user)
    nav = client.get("/p/acme/").content.decode()
    assert "Log an issue" in nav and ">Queues<" in nav and "Notifications" in nav
    client.force_login(viewer.user)
    nav = client.get("/p/acme/").content.decode()
    assert "Log an issue" not in nav and "All tickets" in nav


def test_the_ticket_pages_sla_panel_counts_the_calendars_holidays(client, lead, desk, champion):
    """The ticket page loads the calendar's holidays with the ticket: the panel is the SLA page's."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from hypercare import services as core
    from tests.tickets.pages_helpers import access_of
    from tickets import services

    reported = datetime(2026, 3, 9, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    core.calendar_update(
        programme=lead.programme,
        holidays=[(date(2026, 3, 13), "Company day off"), (date(2026, 3, 12), "Founders' day")],
    )
    ticket = services.ticket_create(
        access=access_of(lead),
        title="Opportunities cannot be saved",
        severity=3,
        severity_reason="worked example",
        business_unit="Sales",
        reported_at=reported,
        at=reported,
    )
    for persona in (desk, champion):
        client.force_login(persona.user)
        page = client.get(f"/p/acme/tickets/{ticket.reference}/").content.decode()
        assert "Holidays not counted: Thu 12 Mar (Founders&#x27; day), Fri 13 Mar (Company day off)." in page
    client.force_login(desk.user)
    sla_page = client.get(reverse("triage:ticket_sla", args=["acme", ticket.reference])).content.decode()
    assert "Holidays not counted: Thu 12 Mar (Founders&#x27; day), Fri 13 Mar (Company day off)." in sla_page
