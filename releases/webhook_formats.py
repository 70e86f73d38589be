"""The body a webhook receives, rendered at delivery from the stored generic one.

The outbox keeps the generic body (text, fields, data); each webhook's `format` decides what is
posted: the generic JSON itself, a Slack message with Block Kit blocks, or a Teams Adaptive Card
as a Teams Workflows ("When a Teams webhook request is received") incoming webhook expects it.
"""

from __future__ import annotations

from django.urls import reverse

from hypercare.site import absolute
from releases.models import WebhookEvent, WebhookFormat

# A short heading per event, in the words people use in the war room.
HEADINGS = {
    WebhookEvent.SEV1_TICKET: "🚨 Sev1 logged",
    WebhookEvent.BREACH: "⏰ SLA breached",
    WebhookEvent.RELEASE: "🚀 Release deployed",
    WebhookEvent.DAILY_STATUS: "📋 Daily status",
    WebhookEvent.BULLETIN: "📣 User bulletin",
    WebhookEvent.KPI_ALERT: "📉 KPI alert",
    WebhookEvent.FORECAST_LATE: "📅 Exit forecast late",
}
SLACK_MAX_FIELDS = 10  # Block Kit's limit per section
SLACK_HEADER_MAX = 150


def render(format: str, body: dict) -> dict:
    """The JSON to post for a webhook of this format."""
    if format == WebhookFormat.SLACK:
        return slack(body)
    if format == WebhookFormat.TEAMS:
        return teams(body)
    return body


def _heading(body: dict) -> str:
    event = body.get("event", "")
    return HEADINGS.get(event) or str(event).replace("_", " ").capitalize() or "Hypercare"


def _link(body: dict) -> tuple[str, str]:
    """Where the button goes: the event's own page when the payload names it, else the programme."""
    data = body.get("data") or {}
    url = data.get("url") if isinstance(data, dict) else None
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return url, "Open in Hypercare"
    slug = (body.get("programme") or {}).get("slug")
    if slug:
        return absolute(reverse("hypercare:programme", args=[slug])), "Open the programme"
    return "", ""


def _context(body: dict) -> str:
    programme = (body.get("programme") or {}).get("name", "")
    when = str(body.get("occurred_at", ""))[:16].replace("T", " ")
    return " · ".join(part for part in (programme, f"{when} UTC" if when else "") if part)


def _slack_escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(body: dict) -> dict:
    """A Slack message: "text" for notifications and screen readers, Block Kit blocks for the channel."""
    text = str(body.get("text", ""))
    fields = body.get("fields") or []
    blocks: list[dict] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _heading(body)[:SLACK_HEADER_MAX], "emoji": True},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escape(text)[:3000]}},
    ]
    if fields:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": f"*{_slack_escape(field['title'])}*\n{_slack_escape(field['value'])}"[:2000],
                    }
                    for field in fields[:SLACK_MAX_FIELDS]
                ],
            }
        )
    context = _context(body)
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _slack_escape(context)}]})
    url, label = _link(body)
    if url:
        blocks.append(
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}],
            }
        )
    return {"text": text, "blocks": blocks}


def teams(body: dict) -> dict:
    """A message with one Adaptive Card (1.4), as a Teams Workflows incoming webhook posts it."""
    card_body: list[dict] = [
        {"type": "TextBlock", "text": _heading(body), "size": "Large", "weight": "Bolder", "wrap": True},
        {"type": "TextBlock", "text": str(body.get("text", "")), "wrap": True},
    ]
    fields = body.get("fields") or []
    if fields:
        card_body.append(
            {
                "type": "FactSet",
                "facts": [{"title": str(field["title"]), "value": str(field["value"])} for field in fields],
            }
        )
    context = _context(body)
    if context:
        card_body.append(
            {"type": "TextBlock", "text": context, "isSubtle": True, "size": "Small", "wrap": True}
        )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": card_body,
        "msteams": {"width": "Full"},
    }
    url, label = _link(body)
    if url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": label, "url": url}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }
