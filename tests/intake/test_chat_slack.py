"""Slack: the /hypercare slash command and the "Log as hypercare issue" shortcut, sent signed over
HTTP to the live server; forged, replayed and unsigned requests create nothing."""

from __future__ import annotations

import json
import time

import pytest

from hypercare.vocabulary import Status
from intake.models import ChatIdentity
from sla.matrix import UNTRIAGED_SEVERITY
from tests.intake.chat import shortcut, slack_post, slash
from tests.receiver import Receiver
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def linked(chat_settings, slack_channel, champion, link_chat_user):
    link_chat_user(slack_channel, champion, team_id="T0ACME", chat_user_id="U0CHAMP")
    return champion


def test_it_logs_an_issue_from_the_slash_command_and_answers_with_its_reference(live_server, linked):
    reply = slack_post(
        live_server.url, slash("Invoices print blank in Leeds\nEvery invoice since 9:00, all printers.")
    )

    assert reply.status == 200
    ticket = Ticket.objects.get()
    assert ticket.reporter == linked.user
    assert ticket.title == "Invoices print blank in Leeds"
    assert "Every invoice since 9:00" in ticket.description
    # Triage answers unknown, as for e-mail: the desk triages it.
    assert ticket.severity == UNTRIAGED_SEVERITY and ticket.triaged_at is None
    assert reply.body["response_type"] == "ephemeral"
    assert f"Logged {ticket.reference}" in reply.body["text"]
    assert (
        f"{live_server.url}/p/acme/tickets/{ticket.reference}/|Open {ticket.reference}>" in reply.body["text"]
    )


def test_a_long_first_line_is_trimmed_to_the_title_limit_and_kept_whole_in_the_details(live_server, linked):
    line = "Checkout fails " + "again and " * 40

    reply = slack_post(live_server.url, slash(line))

    ticket = Ticket.objects.get()
    assert reply.status == 200
    assert len(ticket.title) == 200 and ticket.title.endswith("…")
    assert ticket.description == line.strip()


def test_a_forged_signature_answers_401_and_creates_nothing(live_server, linked):
    reply = slack_post(live_server.url, slash("Forged"), signature="v0=" + "0" * 64)

    assert reply.status == 401 and "signature" in reply.body["error"]
    assert not Ticket.objects.exists()


def test_a_request_signed_with_another_secret_answers_401(live_server, linked):
    reply = slack_post(live_server.url, slash("Wrong secret"), secret="not-the-signing-secret")

    assert reply.status == 401
    assert not Ticket.objects.exists()


def test_a_replayed_request_older_than_five_minutes_answers_401(live_server, linked):
    old = int(time.time()) - 6 * 60

    reply = slack_post(live_server.url, slash("Replayed"), timestamp=old)  # correctly signed, but old

    assert reply.status == 401 and "replay" in reply.body["error"]
    assert not Ticket.objects.exists()


def test_an_unsigned_request_answers_401(live_server, linked):
    reply = slack_post(live_server.url, slash("Unsigned"), signed=False)

    assert reply.status == 401
    assert not Ticket.objects.exists()


def test_without_a_signing_secret_nothing_is_accepted(live_server, linked, settings):
    settings.SLACK_SIGNING_SECRET = ""

    reply = slack_post(live_server.url, slash("No secret configured"), secret="")

    assert reply.status == 401 and "SLACK_SIGNING_SECRET" in reply.body["error"]
    assert not Ticket.objects.exists()


def test_an_unlinked_channel_gets_a_polite_answer_and_nothing_is_logged(live_server, linked):
    reply = slack_post(live_server.url, slash("Wrong channel", channel_id="C0RANDOM"))

    assert reply.status == 200
    assert "not linked to a Hypercare programme" in reply.body["text"]
    assert "C0RANDOM" in reply.body["text"]  # what the lead needs to link it
    assert not Ticket.objects.exists()


def test_an_unlinked_user_is_told_how_to_link_and_nothing_is_logged(
    live_server, chat_settings, slack_channel
):
    reply = slack_post(live_server.url, slash("Who am I?", user_id="U0STRANGER"))

    assert reply.status == 200
    assert "not linked to a Hypercare account" in reply.body["text"]
    assert f"<{live_server.url}/integrations/chat/link/" in reply.body["text"]
    assert not Ticket.objects.exists() and not ChatIdentity.objects.exists()


def test_a_member_follows_a_ticket_with_status(live_server, linked, desk):
    slack_post(live_server.url, slash("Quote PDF is blank"))
    ticket = Ticket.objects.get()

    reply = slack_post(live_server.url, slash(f"status {ticket.reference.lower()}"))

    assert reply.status == 200
    assert f"{ticket.reference}: Quote PDF is blank" in reply.body["text"]
    assert "Status: New" in reply.body["text"] and "with nobody yet" in reply.body["text"]
    assert f"/p/acme/tickets/{ticket.reference}/" in reply.body["text"]


def test_status_of_a_ticket_the_member_cannot_see_says_so(live_server, linked, make_persona):
    reply = slack_post(live_server.url, slash("status ACME-999"))

    assert reply.status == 200 and "No ticket ACME-999 that you can see" in reply.body["text"]


def test_the_message_shortcut_logs_the_message_and_answers_at_the_response_url(live_server, linked):
    with Receiver() as slack:
        reply = slack_post(
            live_server.url,
            shortcut("Stock levels are negative in the Bristol warehouse", slack.url_for("/respond")),
        )
        assert slack.arrived.wait(10)

    assert reply.status == 200 and reply.raw == b""
    ticket = Ticket.objects.get()
    assert ticket.title == "Stock levels are negative in the Bristol warehouse"
    assert ticket.reporter == linked.user and ticket.status == Status.NEW
    answer = slack.json()
    assert slack.requests[0]["path"] == "/respond"
    assert answer["response_type"] == "ephemeral"
    assert f"Logged {ticket.reference}" in answer["text"]


def test_the_shortcut_from_an_unlinked_user_answers_at_the_response_url_and_logs_nothing(
    live_server, chat_settings, slack_channel
):
    with Receiver() as slack:
        reply = slack_post(live_server.url, shortcut("Something broke", slack.url, user_id="U0NEW"))
        assert slack.arrived.wait(10)

    assert reply.status == 200
    assert "not linked to a Hypercare account" in slack.json()["text"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"payload": "{not json"}, "payload"),
        ({"payload": json.dumps(["a list"])}, "payload"),
        ({"payload": json.dumps({"type": "message_action", "callback_id": "other"})}, "callback_id"),
        (
            {"payload": json.dumps({"type": "message_action", "callback_id": "log_hypercare_issue"})},
            "response_url",
        ),
        ({"command": "/hypercare", "text": "x", "team_id": "T0ACME", "channel_id": "C0WAR"}, "user_id"),
        ({"text": "no command"}, "command"),
    ],
)
def test_bad_input_answers_400_naming_the_field_and_creates_nothing(live_server, linked, form, field):
    reply = slack_post(live_server.url, form)

    assert reply.status == 400 and reply.body["field"] == field
    assert not Ticket.objects.exists()


def test_a_viewer_cannot_log_from_chat_either(
    live_server, chat_settings, slack_channel, viewer, link_chat_user
):
    link_chat_user(slack_channel, viewer, team_id="T0ACME", chat_user_id="U0VIEW")

    reply = slack_post(live_server.url, slash("I only read", user_id="U0VIEW"))

    assert reply.status == 200 and reply.body["text"].startswith("Not logged:")
    assert not Ticket.objects.exists()
