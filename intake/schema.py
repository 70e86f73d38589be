"""The chat endpoints in the OpenAPI schema (they are signed Django views, not DRF views, so
drf-spectacular does not see them): a post-processing hook adds them as they answer."""

from __future__ import annotations

REPLY = {
    "type": "object",
    "description": "The answer the chat shows: the reference and a link, a status, or how to link.",
    "additionalProperties": True,
}
PROBLEM = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
    "required": ["error"],
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _operation(*, summary: str, description: str, body: dict, signature: list[dict], ok: dict) -> dict:
    return {
        "operationId": summary.lower().replace(" ", "_"),
        "summary": summary,
        "description": description,
        "tags": ["integrations"],
        "security": [],
        "parameters": signature,
        "requestBody": {"required": True, "content": body},
        "responses": {
            "200": ok,
            "400": _json(PROBLEM, "The body is not what the chat sends; `field` names what is missing."),
            "401": _json(PROBLEM, "Unsigned, forged or (Slack) older than five minutes: nothing is created."),
            "405": {"description": "Only POST is accepted."},
        },
    }


def _header(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


def document_chat_endpoints(result, generator, request, public):
    """Add POST /integrations/slack/ and POST /integrations/teams/ to the schema."""
    paths = result.setdefault("paths", {})
    paths["/integrations/slack/"] = {
        "post": _operation(
            summary="Slack command or shortcut",
            description=(
                "The /hypercare slash command (form fields command, text, team_id, channel_id, user_id) or the "
                '"Log as hypercare issue" message shortcut (form field payload: JSON, type message_action, '
                "callback_id log_hypercare_issue). Signed with the Slack app's signing secret (v0)."
            ),
            body={
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "additionalProperties": True}
                }
            },
            signature=[
                _header("X-Slack-Request-Timestamp", "Unix seconds; refused when older than five minutes."),
                _header("X-Slack-Signature", 'v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">.'),
            ],
            ok=_json(
                REPLY,
                "A slash command's ephemeral answer; a shortcut answers through response_url (empty body).",
            ),
        )
    }
    paths["/integrations/teams/"] = {
        "post": _operation(
            summary="Teams outgoing webhook",
            description="A message that @mentions the Hypercare outgoing webhook in a linked Teams channel.",
            body={"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
            signature=[
                _header(
                    "Authorization", "HMAC <base64 HMAC-SHA256 of the body, keyed by the security token>."
                )
            ],
            ok=_json(REPLY, 'A Teams message: {"type": "message", "text": …}.'),
        )
    }
    return result
