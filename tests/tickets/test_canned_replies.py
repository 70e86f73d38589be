"""Canned replies: leads keep them per programme, the support team reads them and inserts one
into a comment on the ticket page; the same through /api/v1/programmes/{slug}/canned-replies/."""

from __future__ import annotations

import pytest

from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import services
from tickets.models import CannedReply

pytestmark = pytest.mark.django_db

PAGE = "/p/acme/canned-replies/"
API = "/api/v1/programmes/acme/canned-replies/"


def test_a_lead_adds_edits_and_deletes_a_canned_reply(client, lead):
    client.force_login(lead.user)
    response = client.post(PAGE, {"title": "Password reset", "body": "Use the self-service link."})
    assert response.status_code == 302
    reply = CannedReply.objects.get(title="Password reset")
    assert reply.created_by == lead.user and reply.programme.slug == "acme"
    client.post(f"{PAGE}{reply.pk}/edit/", {"title": "Password reset", "body": "Use the link, then log in."})
    reply.refresh_from_db()
    assert reply.body == "Use the link, then log in."
    client.post(f"{PAGE}{reply.pk}/delete/")
    assert not CannedReply.objects.exists()


def test_a_duplicate_title_or_empty_text_is_a_400_naming_the_field(client, lead):
    services.canned_reply_create(access=access_of(lead), title="Password reset", body="x")
    client.force_login(lead.user)
    response = client.post(PAGE, {"title": "password RESET", "body": "Other"})
    assert (
        response.status_code == 400 and "There is already a canned reply called" in response.content.decode()
    )
    response = client.post(PAGE, {"title": "New", "body": ""})
    assert response.status_code == 400
    assert CannedReply.objects.count() == 1


def test_the_desk_reads_but_cannot_write_and_champions_see_nothing(client, lead, desk, champion):
    reply = services.canned_reply_create(access=access_of(lead), title="Password reset", body="Use the link.")
    client.force_login(desk.user)
    html = client.get(PAGE).content.decode()
    assert "Password reset" in html and "Add a canned reply" not in html
    assert client.post(PAGE, {"title": "Mine", "body": "x"}).status_code == 403
    assert client.post(f"{PAGE}{reply.pk}/delete/").status_code == 403
    client.force_login(champion.user)
    assert client.get(PAGE).status_code == 403
    assert CannedReply.objects.count() == 1


def test_the_ticket_page_offers_the_replies_to_insert_into_the_comment_box(client, lead, desk, champion):
    services.canned_reply_create(
        access=access_of(lead), title="Need a screenshot", body='Send a <b>screenshot</b> "please".'
    )
    ticket = log_ticket(champion)
    client.force_login(desk.user)
    html = client.get(f"/p/acme/tickets/{ticket.reference}/").content.decode()
    assert 'id="canned-insert" hx-get="/p/acme/canned-replies/?picker=1"' in html
    picker = client.get(f"{PAGE}?picker=1", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in picker
    assert 'data-canned-target="#action-comment textarea[name=body]"' in picker
    assert 'data-body="Send a &lt;b&gt;screenshot&lt;/b&gt; &quot;please&quot;."' in picker
    client.force_login(champion.user)
    assert "canned-insert" not in client.get(f"/p/acme/tickets/{ticket.reference}/").content.decode()


def test_the_api_lets_leads_write_and_the_desk_read(lead, desk, champion):
    response = lead.api().post(API, {"title": "Password reset", "body": "Use the link."}, format="json")
    assert response.status_code == 201 and response.json()["created_by"] == "lead"
    pk = response.json()["id"]
    assert lead.api().patch(f"{API}{pk}/", {"body": "Use the new link."}, format="json").json()["body"] == (
        "Use the new link."
    )
    assert [r["title"] for r in desk.api().get(API).json()] == ["Password reset"]
    assert desk.api().post(API, {"title": "x", "body": "y"}, format="json").status_code == 403
    assert desk.api().delete(f"{API}{pk}/").status_code == 403
    assert champion.api().get(API).status_code == 403
    response = lead.api().post(API, {"title": "Password reset", "body": "Again"}, format="json")
    assert response.status_code == 400 and "title" in response.json()
    assert lead.api().delete(f"{API}{pk}/").status_code == 204
    assert lead.api().get(f"{API}{pk}/").status_code == 404
