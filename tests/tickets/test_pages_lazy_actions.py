"""The ticket page's action panels: the comment box comes with the page, every other form is
loaded when its panel opens (htmx) or, without JavaScript, shown on a page of its own."""

from __future__ import annotations

import re

import pytest
from django.urls import resolve, reverse

from tests.tickets.pages_helpers import access_of, htmx, log_ticket
from tickets import services
from tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db

EVIL = '<script>alert("t")</script>'
SIDE = ["transition", "resolve", "escalate", "assign", "severity", "link", "duplicate", "edit"]


@pytest.fixture
def ticket(champion):
    return log_ticket(champion, title="Quote PDF shows the wrong VAT rate", process="Quote")


def url(ticket, rest=""):
    return f"/p/acme/tickets/{ticket.reference}/{rest}"


def panels(html: str) -> dict[str, str]:
    """Each action panel of the page: name -> its <details> element's HTML."""
    found = re.findall(r'(<details class="action card" id="action-([a-z]+)".*?</details>)', html, re.S)
    return {name: block for block, name in found}


def test_the_page_renders_the_comment_box_and_loads_the_other_forms_on_demand(client, desk, ticket):
    client.force_login(desk.user)
    html = client.get(url(ticket)).content.decode()
    found = panels(html)
    assert set(found) == {"comment", "attach", *SIDE}
    assert 'name="body"' in found["comment"] and " open" in found["comment"].split(">")[0]
    for name in ["attach", *SIDE]:
        block = found[name]
        form_url = reverse("tickets:action_form", args=["acme", ticket.reference, name])
        assert f'hx-get="{form_url}"' in block and 'hx-trigger="toggle once"' in block, name
        assert f'<a href="{form_url}">' in block, f"{name}: a link for browsers without JavaScript"
        assert "<form" not in block and " open" not in block.split(">")[0], name
    # No assignee menu, triage choices or known issue list are built for a first look.
    assert (
        'name="assignee"' not in html and 'name="severity"' not in html and 'name="known_issue"' not in html
    )
    assert 'id="take"' in html, "taking a ticket stays one click"


@pytest.mark.parametrize("action", ["take", "comment", "attach", *SIDE])
def test_each_form_posts_to_its_unchanged_action_endpoint(client, desk, ticket, action):
    client.force_login(desk.user)
    response = client.get(url(ticket, f"actions/{action}/"), **htmx())
    html = response.content.decode()
    action_url = reverse(f"tickets:{action}", args=["acme", ticket.reference])
    assert response.status_code == 200 and "<html" not in html
    assert html.startswith(f'<form method="post" action="{action_url}" hx-post="{action_url}"')
    assert 'hx-target="#ticket-body"' in html and 'name="csrfmiddlewaretoken"' in html
    assert resolve(action_url).func.__name__ == "ticket_action"
    assert resolve(url(ticket, f"actions/{action}/")).url_name == "action_form"


def test_the_lazy_forms_carry_what_they_need(client, desk, engineer, ticket, programme):
    from tests.factories import KnownIssueFactory

    KnownIssueFactory(programme=programme, title="VAT on quote PDFs")
    client.force_login(desk.user)
    assign = client.get(url(ticket, "actions/assign/"), **htmx()).content.decode()
    assert engineer.user.get_full_name() in assign and "Nobody (unassigned)" in assign
    link = client.get(url(ticket, "actions/link/"), **htmx()).content.decode()
    assert "VAT on quote PDFs" in link
    edit = client.get(url(ticket, "actions/edit/"), **htmx()).content.decode()
    assert '<datalist id="process-suggestions"><option value="Quote">' in edit
    assert 'value="Quote PDF shows the wrong VAT rate"' in edit
    escalate = client.get(url(ticket, "actions/escalate/"), **htmx()).content.decode()
    assert "Tier 3 needs documented replication steps." in escalate


def test_without_javascript_each_form_is_a_page_that_posts_back(client, desk, ticket):
    client.force_login(desk.user)
    page = client.get(url(ticket, "actions/transition/"))
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html and "Change status" in html
    assert "hx-post" not in html, "a plain form: nothing to swap into on this page"
    assert f'<a href="{url(ticket)}">' in html
    response = client.post(url(ticket, "transition/"), {"status": "triaged", "comment": ""})
    assert response.status_code == 302 and response.url == url(ticket)
    assert "is now triaged" in client.get(response.url).content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "triaged"


def test_a_refused_form_stays_open_with_its_errors(client, desk, ticket):
    client.force_login(desk.user)
    html = client.post(url(ticket, "edit/"), {"title": ""}, **htmx()).content.decode()
    found = panels(html)
    assert 'id="action-edit" open' in found["edit"] and "This field is required" in found["edit"]
    assert '<datalist id="process-suggestions">' in found["edit"]
    assert 'hx-get="' in found["assign"], "the other panels still load on demand"


def test_the_champion_gets_their_actions_and_no_others(client, champion, desk, ticket):
    client.force_login(champion.user)
    html = client.get(url(ticket)).content.decode()
    assert set(panels(html)) == {"comment", "attach", "link", "edit"}
    assert 'id="take"' not in html and "Internal (support team only)" not in html
    edit = client.get(url(ticket, "actions/edit/"), **htmx()).content.decode()
    assert 'name="title"' in edit and 'name="category"' not in edit
    for action in ["assign", "transition", "resolve", "severity", "take", "reopen"]:
        assert client.get(url(ticket, f"actions/{action}/"), **htmx()).status_code == 403, action
    services.ticket_resolve(access=access_of(desk), ticket=ticket, resolution="Fixed.")
    html = client.get(url(ticket)).content.decode()
    assert "reopen" in panels(html)
    assert client.get(url(ticket, "actions/reopen/"), **htmx()).status_code == 200


def test_forms_are_refused_to_read_only_roles_and_hidden_from_outsiders(client, viewer, outsider, ticket):
    client.force_login(viewer.user)
    assert client.get(url(ticket, "actions/comment/")).status_code == 403
    client.force_login(outsider.user)
    assert client.get(url(ticket, "actions/comment/")).status_code == 404
    assert client.get(url(ticket, "actions/delete/")).status_code == 404
    assert Comment.objects.count() == 0


def test_forms_are_get_only(client, desk, ticket):
    client.force_login(desk.user)
    assert client.post(url(ticket, "actions/comment/"), {"body": "x"}).status_code == 405
    assert Comment.objects.count() == 0


def test_user_text_is_escaped_in_the_forms_and_their_pages(client, champion, desk):
    ticket = log_ticket(champion, title=EVIL, process=EVIL, business_unit="Sales")
    client.force_login(desk.user)
    for response in (
        client.get(url(ticket, "actions/edit/"), **htmx()),
        client.get(url(ticket, "actions/edit/")),
        client.get(url(ticket, "actions/escalate/")),
    ):
        html = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_the_timeline_names_the_assignee_and_falls_back_to_the_username(client, desk, engineer, ticket):
    services.ticket_assign(access=access_of(desk), ticket=ticket, assignee=engineer.user)
    client.force_login(desk.user)
    html = client.get(url(ticket)).content.decode()
    assert f"assigned it to {engineer.user.get_full_name()}" in html
    engineer.user.first_name = engineer.user.last_name = ""
    engineer.user.save()
    html = client.get(url(ticket)).content.decode()
    assert f"assigned it to {engineer.user.username}" in html
    ticket.refresh_from_db()
    assert Ticket.objects.get(pk=ticket.pk).assignee == engineer.user


def test_the_comment_box_fits_each_side_and_shows_its_errors(client, champion, desk, ticket):
    """The blank comment box is rendered once per side and reused; a refused comment is not."""
    internal = 'name="internal"'
    for persona, sees_internal in [(desk, True), (champion, False), (desk, True), (champion, False)]:
        client.force_login(persona.user)
        box = panels(client.get(url(ticket)).content.decode())["comment"]
        assert (internal in box) is sees_internal, persona.user.username
        assert 'name="body"' in box and "This field is required" not in box
    html = client.post(url(ticket, "comment/"), {"body": ""}, **htmx()).content.decode()
    assert "This field is required" in panels(html)["comment"]
    assert "This field is required" not in panels(client.get(url(ticket)).content.decode())["comment"]


def test_the_page_shows_the_tickets_choices_in_words(client, desk, engineer, ticket):
    services.ticket_assign(access=access_of(desk), ticket=ticket, assignee=engineer.user)
    client.force_login(desk.user)
    html = client.get(url(ticket)).content.decode()
    assert '<span class="status status-new" id="ticket-status">New</span>' in html
    assert f"Assigned to {engineer.user.get_full_name()} (Project team)" in html
    assert "<dt>Who is affected</dt><dd>A department or business unit</dd>" in html
    assert "<dt>Workaround</dt><dd>A workaround with heavy friction</dd>" in html
    assert "<dt>Category</dt><dd>Defect</dd>" in html
    severity = ticket.get_severity_display()
    assert f'Severity in force: <span class="badge sev{ticket.severity}">{severity}</span>' in html
