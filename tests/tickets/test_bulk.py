"""Bulk actions on the tickets selected in the queue: each through its single action's service,
each refusal reported by reference, only the support team, only this programme's tickets."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from tests.factories import KnownIssueFactory
from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import services
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db

URL = "/p/acme/tickets/bulk/"


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_assigns_every_selected_ticket_through_the_assign_service(client, desk, engineer, champion):
    one, two, other = (log_ticket(champion, title=t) for t in ("One", "Two", "Untouched"))
    client.force_login(desk.user)
    response = client.post(
        URL, {"action": "assign", "assignee": engineer.user.pk, "ticket": [one.reference, two.reference]}
    )
    assert response.status_code == 302 and response["Location"] == "/p/acme/tickets/"
    assert set(Ticket.objects.filter(assignee=engineer.user).values_list("reference", flat=True)) == {
        one.reference,
        two.reference,
    }
    assert Ticket.objects.get(pk=other.pk).assignee is None
    assert TicketEvent.objects.filter(ticket__in=[one, two], kind="assigned").count() == 2
    assert any("2 tickets changed" in t for t in texts(response))


def test_it_resolves_with_one_note_and_reports_each_refusal_by_reference(client, desk, champion):
    open_one = log_ticket(champion, title="Open")
    closed = log_ticket(champion, title="Closed")
    services.ticket_resolve(access=access_of(desk), ticket=closed, resolution="Done before")
    services.ticket_transition(access=access_of(desk), ticket=closed, status="closed")
    client.force_login(desk.user)
    response = client.post(
        URL,
        {
            "action": "resolve",
            "resolution": "Fixed by the patch of Tuesday.",
            "ticket": [open_one.reference, closed.reference, "ACME-999"],
        },
    )
    open_one.refresh_from_db()
    assert open_one.status == "resolved" and open_one.resolution == "Fixed by the patch of Tuesday."
    assert Ticket.objects.get(pk=closed.pk).status == "closed"
    said = texts(response)
    assert any(t.startswith(f"{closed.reference}: A closed ticket cannot become resolved") for t in said)
    assert "ACME-999: no such ticket in this programme." in said


def test_it_overrides_severity_with_one_reason_and_links_a_known_issue(client, desk, champion, programme):
    one, two = log_ticket(champion, title="One"), log_ticket(champion, title="Two")
    issue = KnownIssueFactory(programme=programme)
    target = 2 if one.severity != 2 else 3  # an override: not what the matrix gave
    client.force_login(desk.user)
    client.post(
        URL,
        {
            "action": "severity",
            "severity": target,
            "reason": "Month-end close",
            "ticket": [one.reference, two.reference],
        },
    )
    client.post(URL, {"action": "link", "known_issue": issue.pk, "ticket": [one.reference, two.reference]})
    for ticket in Ticket.objects.filter(pk__in=[one.pk, two.pk]):
        assert ticket.severity == target and ticket.severity_reason == "Month-end close"
        assert ticket.known_issue_id == issue.pk


def test_it_changes_status_and_reports_a_refused_move(client, desk, champion):
    one, two = log_ticket(champion, title="One"), log_ticket(champion, title="Two")
    services.ticket_resolve(access=access_of(desk), ticket=two, resolution="Done")
    client.force_login(desk.user)
    response = client.post(
        URL,
        {"action": "transition", "status": "waiting_on_reporter", "ticket": [one.reference, two.reference]},
    )
    assert Ticket.objects.get(pk=one.pk).status == "waiting_on_reporter"
    assert Ticket.objects.get(pk=two.pk).status == "resolved"
    assert any(t.startswith(f"{two.reference}: ") for t in texts(response))


def test_missing_shared_input_is_a_400_naming_the_field_and_changes_nothing(client, desk, champion):
    one = log_ticket(champion, title="One")
    client.force_login(desk.user)
    response = client.post(URL, {"action": "severity", "severity": 1, "ticket": [one.reference]})
    assert (
        response.status_code == 400
        and "reason: A severity override needs one written reason." in response.content.decode()
    )
    response = client.post(URL, {"action": "resolve", "resolution": "x"})
    assert response.status_code == 400 and "Select at least one ticket." in response.content.decode()
    assert Ticket.objects.get(pk=one.pk).severity == one.severity


def test_only_the_support_team_and_only_this_programmes_tickets(
    client, desk, champion, viewer, make_persona, other_programme
):
    mine = log_ticket(champion, title="Mine")
    client.force_login(champion.user)
    assert (
        client.post(URL, {"action": "resolve", "resolution": "x", "ticket": [mine.reference]}).status_code
        == 403
    )
    client.force_login(viewer.user)
    assert (
        client.post(URL, {"action": "resolve", "resolution": "x", "ticket": [mine.reference]}).status_code
        == 403
    )
    stranger = make_persona("champion", username="glx-champ", programme_=other_programme)
    theirs = log_ticket(stranger, title="Elsewhere", slug="globex")
    client.force_login(desk.user)
    response = client.post(URL, {"action": "resolve", "resolution": "x", "ticket": [theirs.reference]})
    assert Ticket.objects.get(pk=theirs.pk).status == "new"
    assert f"{theirs.reference}: no such ticket in this programme." in texts(response)


def test_the_queue_rows_carry_a_checkbox_of_the_bulk_form(client, desk, champion):
    one = log_ticket(champion, title="One")
    client.force_login(desk.user)
    html = client.get("/p/acme/tickets/?view=all").content.decode()
    assert f'name="ticket" value="{one.reference}" form="bulk-form"' in html and 'id="bulk-form"' in html
    # The panel's inputs load when it opens; without JavaScript its link opens the bulk page.
    fields = client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fields and 'value="resolve"' in fields and desk.user.get_full_name() in fields


def test_the_bulk_page_takes_references_typed_in(client, desk, champion):
    one, two = log_ticket(champion, title="One"), log_ticket(champion, title="Two")
    client.force_login(desk.user)
    assert 'name="tickets"' in client.get(URL).content.decode()
    client.post(
        URL, {"action": "transition", "status": "triaged", "tickets": f"{one.reference}, {two.reference}"}
    )
    assert set(Ticket.objects.values_list("status", flat=True)) == {"triaged"}
    response = client.post(URL, {"action": "transition", "status": "", "tickets": one.reference})
    assert response.status_code == 400 and "status: Choose the status" in response.content.decode()


API = "/api/v1/programmes/acme/tickets/bulk/"


def test_the_api_answers_each_tickets_outcome(desk, engineer, champion):
    one = log_ticket(champion, title="One")
    closed = log_ticket(champion, title="Closed")
    services.ticket_resolve(access=access_of(desk), ticket=closed, resolution="Done")
    services.ticket_transition(access=access_of(desk), ticket=closed, status="closed")
    response = desk.api().post(
        API,
        {"action": "assign", "assignee": engineer.user.username, "tickets": [one.reference, "ACME-77"]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["ok"] is True
    assert response.json()["results"][1] == {
        "reference": "ACME-77",
        "ok": False,
        "detail": "no such ticket in this programme.",
    }
    assert Ticket.objects.get(pk=one.pk).assignee == engineer.user
    response = desk.api().post(
        API, {"action": "resolve", "resolution": "Patched", "tickets": [closed.reference]}, format="json"
    )
    [outcome] = response.json()["results"]
    assert outcome["ok"] is False and "cannot become resolved" in outcome["detail"]


def test_the_api_refuses_bad_input_and_other_roles(desk, champion):
    one = log_ticket(champion, title="One")
    response = desk.api().post(
        API, {"action": "severity", "severity": 2, "tickets": [one.reference]}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()
    response = desk.api().post(API, {"action": "explode", "tickets": [one.reference]}, format="json")
    assert response.status_code == 400 and "action" in response.json()
    response = champion.api().post(
        API, {"action": "resolve", "resolution": "x", "tickets": [one.reference]}, format="json"
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=one.pk).status == "new"
