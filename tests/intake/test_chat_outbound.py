"""Outbound chat: each webhook's format shapes what a local receiver gets (Slack Block Kit, a
Teams Adaptive Card, or the generic JSON), for the events people read in the war room."""

from __future__ import annotations

import json

import pytest

from releases import services
from releases.models import WebhookDelivery
from releases.tasks import webhook_deliver_task
from tests.receiver import Receiver

pytestmark = pytest.mark.django_db

SECRET = "chat-webhook-secret-0001"


def _deliver(programme, lead, *, event, payload, formats=("generic", "slack", "teams")) -> dict[str, dict]:
    """Register one webhook per format on a local receiver, emit the event once, deliver each."""
    with Receiver() as receiver:
        for format in formats:
            services.webhook_register(
                programme=programme,
                by=lead.user,
                name=f"{format} channel",
                url=receiver.url_for(f"/{format}"),
                events=[event],
                secret=SECRET,
                format=format,
            )
        key = f"{event}:1"
        assert services.webhook_emit(programme=programme, event=event, key=key, payload=payload) == len(
            formats
        )
        for delivery in WebhookDelivery.objects.filter(key=key):
            assert webhook_deliver_task(delivery.pk) == "delivered"
    return {request["path"].strip("/"): json.loads(request["body"]) for request in receiver.requests}


SEV1 = {
    "text": "Sev1 ACME-7: <nobody> can save Opportunities & Quotes",
    "fields": {"Reference": "ACME-7", "Status": "New"},
    "url": "https://hypercare.example/p/acme/tickets/ACME-7/",
}


def test_a_slack_webhook_gets_block_kit_with_a_header_fields_context_and_a_button(programme, lead):
    body = _deliver(programme, lead, event="sev1_ticket", payload=SEV1)["slack"]

    assert body["text"] == SEV1["text"]  # what Slack shows in notifications
    kinds = [block["type"] for block in body["blocks"]]
    assert kinds == ["header", "section", "section", "context", "actions"]
    header, text, fields, context, actions = body["blocks"]
    assert header["text"] == {"type": "plain_text", "text": "🚨 Sev1 logged", "emoji": True}
    # Slack's control characters are escaped, so a title cannot become a link or a mention.
    assert text["text"]["text"] == "Sev1 ACME-7: &lt;nobody&gt; can save Opportunities &amp; Quotes"
    assert fields["fields"] == [
        {"type": "mrkdwn", "text": "*Reference*\nACME-7"},
        {"type": "mrkdwn", "text": "*Status*\nNew"},
    ]
    assert "Acme go-live" in context["elements"][0]["text"]
    assert actions["elements"] == [
        {"type": "button", "text": {"type": "plain_text", "text": "Open in Hypercare"}, "url": SEV1["url"]}
    ]


def test_a_teams_webhook_gets_an_adaptive_card_with_facts_and_an_open_button(programme, lead):
    body = _deliver(programme, lead, event="sev1_ticket", payload=SEV1)["teams"]

    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    heading, text, facts, context = card["body"]
    assert heading["text"] == "🚨 Sev1 logged" and heading["weight"] == "Bolder"
    assert text["text"] == SEV1["text"]
    assert facts == {
        "type": "FactSet",
        "facts": [{"title": "Reference", "value": "ACME-7"}, {"title": "Status", "value": "New"}],
    }
    assert context["isSubtle"] and "Acme go-live" in context["text"]
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in Hypercare", "url": SEV1["url"]}]


@pytest.mark.parametrize(
    ("event", "payload", "heading"),
    [
        (
            "breach",
            {"text": "SLA resolution breached: Sev2 ACME-3 Late invoices", "fields": {"Clock": "resolution"}},
            "⏰ SLA breached",
        ),
        (
            "release",
            {"text": "Release 2026.12.03 deployed: 4 fixes", "fields": {"Fixes": 4}},
            "🚀 Release deployed",
        ),
        ("bulletin", {"text": "Today: invoices fixed; quotes next Tuesday"}, "📣 User bulletin"),
        (
            "kpi_alert",
            {"text": "Adoption is red: 41% (threshold 60%)", "fields": {"Figure": "41%", "Threshold": "60%"}},
            "📉 KPI alert",
        ),
    ],
)
def test_each_war_room_event_reads_well_in_slack_and_teams(programme, lead, event, payload, heading):
    bodies = _deliver(programme, lead, event=event, payload=payload, formats=("slack", "teams"))
    slack, teams = bodies["slack"], bodies["teams"]

    assert slack["blocks"][0]["text"]["text"] == heading and slack["text"] == payload["text"]
    card = teams["attachments"][0]["content"]
    assert card["body"][0]["text"] == heading and card["body"][1]["text"] == payload["text"]
    # Without a url of its own, the button opens the programme.
    assert slack["blocks"][-1]["elements"][0]["url"].endswith("/p/acme/")
    assert card["actions"][0]["url"].endswith("/p/acme/")


def test_a_generic_webhook_still_gets_the_generic_body(programme, lead):
    body = _deliver(programme, lead, event="sev1_ticket", payload=SEV1)["generic"]

    assert body["text"] == SEV1["text"] and body["event"] == "sev1_ticket"
    assert body["fields"][0] == {"title": "Reference", "value": "ACME-7", "short": True}
    assert "blocks" not in body and "attachments" not in body


def test_the_api_registers_a_webhook_with_a_format_and_refuses_an_unknown_one(programme, lead):
    api = lead.api()
    url = f"/api/v1/programmes/{programme.slug}/webhooks/"

    created = api.post(
        url,
        {"name": "Teams", "url": "https://example.com/workflow", "events": ["bulletin"], "format": "teams"},
        format="json",
    )
    wrong = api.post(
        url,
        {"name": "Odd", "url": "https://example.com/odd", "events": ["bulletin"], "format": "discord"},
        format="json",
    )

    assert created.status_code == 201 and created.json()["format"] == "teams"
    assert wrong.status_code == 400 and "format" in wrong.json()


def test_the_webhooks_page_registers_a_slack_webhook(client, programme, lead):
    client.force_login(lead.user)

    response = client.post(
        f"/p/{programme.slug}/webhooks/",
        {
            "name": "Slack",
            "url": "https://hooks.slack.com/services/T/B/x",
            "events": ["sev1_ticket"],
            "format": "slack",
        },
    )

    assert response.status_code == 200
    assert programme.webhooks.get().format == "slack"
    assert b"Slack (Block Kit)" in response.content
