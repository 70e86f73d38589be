"""Teams: an outgoing webhook's messages, signed with its security token, sent over HTTP to the
live server; a forged or unsigned one creates nothing."""

from __future__ import annotations

import base64
import json

import pytest

from intake.models import ChatIdentity
from tests.intake.chat import TEAMS_TOKEN, teams_activity, teams_post
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def linked(teams_channel, champion, link_chat_user):
    link_chat_user(teams_channel, champion, team_id="tenant-1", chat_user_id="aad-champion")
    return champion


def test_it_logs_the_message_without_the_mention_and_answers_with_the_reference(live_server, linked):
    activity = teams_activity(
        "<at>Hypercare</at>&nbsp;Credit notes post twice<br>Seen on 12 orders in Madrid."
    )

    reply = teams_post(live_server.url, activity)

    assert reply.status == 200
    ticket = Ticket.objects.get()
    assert ticket.reporter == linked.user
    assert ticket.title == "Credit notes post twice"
    assert ticket.description == "Credit notes post twice\nSeen on 12 orders in Madrid."
    assert reply.body["type"] == "message"
    assert f"Logged {ticket.reference}: Credit notes post twice" in reply.body["text"]
    assert (
        f"[Open {ticket.reference}]({live_server.url}/p/acme/tickets/{ticket.reference}/)"
        in reply.body["text"]
    )


def test_status_follows_a_ticket_from_teams(live_server, linked):
    teams_post(live_server.url, teams_activity("<at>Hypercare</at> Payroll export is empty"))
    reference = Ticket.objects.get().reference

    reply = teams_post(live_server.url, teams_activity(f"<at>Hypercare</at> status {reference}"))

    assert reply.status == 200
    assert (
        f"{reference}: Payroll export is empty" in reply.body["text"] and "Status: New" in reply.body["text"]
    )


def test_a_request_signed_with_another_token_answers_401_and_creates_nothing(live_server, linked):
    other = base64.b64encode(b"someone-elses-webhook-token-0000").decode()

    reply = teams_post(live_server.url, teams_activity("<at>Hypercare</at> forged"), token=other)

    assert reply.status == 401
    assert not Ticket.objects.exists()


def test_a_tampered_body_answers_401(live_server, linked):
    from intake.chat.signatures import teams_signature

    signed = json.dumps(teams_activity("<at>Hypercare</at> harmless")).encode()
    tampered = signed.replace(b"harmless", b"tampered")

    reply = teams_post(live_server.url, tampered, authorization=teams_signature(TEAMS_TOKEN, signed))

    assert reply.status == 401
    assert not Ticket.objects.exists()


def test_an_unsigned_request_answers_401(live_server, linked):
    reply = teams_post(live_server.url, teams_activity("<at>Hypercare</at> unsigned"), authorization="")

    assert reply.status == 401
    assert not Ticket.objects.exists()


def test_a_signed_body_that_is_not_json_answers_400(live_server, linked):
    reply = teams_post(live_server.url, b"{this is not json")

    assert reply.status == 400 and "JSON" in reply.body["error"]
    assert not Ticket.objects.exists()


def test_a_message_without_a_sender_answers_400_naming_it(live_server, linked):
    activity = teams_activity("<at>Hypercare</at> who?")
    del activity["from"]

    reply = teams_post(live_server.url, activity)

    assert reply.status == 400 and reply.body["field"] == "from.id"
    assert not Ticket.objects.exists()


def test_another_channel_of_the_team_gets_a_polite_answer(live_server, linked):
    reply = teams_post(
        live_server.url,
        teams_activity("<at>Hypercare</at> wrong place", channel_id="19:general@thread.tacv2"),
    )

    assert reply.status == 200
    assert "not linked to a Hypercare programme" in reply.body["text"]
    assert "19:general@thread.tacv2" in reply.body["text"]
    assert not Ticket.objects.exists()


def test_an_unlinked_user_is_told_how_to_link_and_nothing_is_logged(live_server, teams_channel):
    reply = teams_post(live_server.url, teams_activity("<at>Hypercare</at> hello", user_id="aad-newcomer"))

    assert reply.status == 200
    assert "not linked to a Hypercare account" in reply.body["text"]
    assert f"]({live_server.url}/integrations/chat/link/" in reply.body["text"]
    assert not Ticket.objects.exists() and not ChatIdentity.objects.exists()


def test_what_people_typed_is_not_turned_into_a_link_or_markup_in_the_answer(live_server, linked):
    reply = teams_post(
        live_server.url,
        teams_activity("<at>Hypercare</at> Totals wrong [see](https://evil.example) &lt;b&gt;"),
    )

    ticket = Ticket.objects.get()
    assert ticket.title == "Totals wrong [see](https://evil.example) <b>"
    assert "[see](https://evil.example)" not in reply.body["text"]
    assert "\\[see\\](https://evil.example) &lt;b&gt;" in reply.body["text"]
