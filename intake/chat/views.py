"""The installation's chat endpoints (/integrations/…) and the page that links a chat user.

Slack and Teams call /integrations/slack/ and /integrations/teams/ without a session or a CSRF
token: they are csrf_exempt because each request is signed instead (Slack's v0 signature with
the installation's signing secret, Teams' HMAC with the webhook's security token), and an
unsigned, forged or replayed request answers 401 before anything is read or stored. A browser
cannot forge either signature, so CSRF's threat (a request riding on someone's cookies) does
not apply: these views never look at cookies.
"""

from __future__ import annotations

import html
import json
import logging
import re
from urllib.parse import parse_qs

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from intake.chat import services
from intake.chat.services import Answer, ChatMessage
from intake.chat.signatures import slack_refusal
from intake.models import ChatPlatform

logger = logging.getLogger(__name__)

SHORTCUT_CALLBACK_ID = "log_hypercare_issue"
SLASH_COMMAND = "/hypercare"


def _error(status: int, message: str, field: str = "") -> JsonResponse:
    body = {"error": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status)


# Slack ------------------------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    # Slack's three control characters in message text; everything else is shown as written.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(answer: Answer) -> dict:
    """An ephemeral Slack message: only the person who asked sees it."""
    text = _slack_escape(answer.text)
    if answer.url:
        text += f"\n<{answer.url}|{_slack_escape(answer.url_label or answer.url)}>"
    return {"response_type": "ephemeral", "text": text}


@csrf_exempt  # signed by Slack instead: see the module's docstring
@require_POST
def slack(request: HttpRequest) -> HttpResponse:
    """Slack's slash command (/hypercare …) and message shortcut ("Log as hypercare issue")."""
    body = request.body
    refusal = slack_refusal(
        secret=settings.SLACK_SIGNING_SECRET,
        timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
        signature=request.headers.get("X-Slack-Signature", ""),
        body=body,
    )
    if refusal:
        return _error(401, refusal)
    try:
        form = {name: values[0] for name, values in parse_qs(body.decode(), keep_blank_values=True).items()}
    except UnicodeDecodeError:
        return _error(400, "The body is not UTF-8 form data.")
    if "payload" in form:
        return _slack_interaction(request, form["payload"])
    if form.get("ssl_check") == "1":
        return HttpResponse(status=200)
    if "command" not in form:
        return _error(400, "Expected a slash command (command) or an interaction (payload).", "command")
    for field in ("team_id", "channel_id", "user_id"):
        if not form.get(field):
            return _error(400, f"The slash command has no {field}.", field)
    message = ChatMessage(
        platform=ChatPlatform.SLACK,
        team_id=form["team_id"],
        channel_id=form["channel_id"],
        user_id=form["user_id"],
        user_name=form.get("user_name", ""),
        text=form.get("text", ""),
        invoke=form.get("command") or SLASH_COMMAND,
    )
    channel = services.slack_channel(team_id=message.team_id, channel_id=message.channel_id)
    return JsonResponse(
        slack_message(services.chat_message_handle(message=message, channel=channel, request=request))
    )


def _slack_interaction(request: HttpRequest, raw: str) -> HttpResponse:
    try:
        payload = json.loads(raw)
    except ValueError:
        return _error(400, "The payload is not JSON.", "payload")
    if not isinstance(payload, dict):
        return _error(400, "The payload is not a JSON object.", "payload")
    if payload.get("type") != "message_action":
        return HttpResponse(status=200)  # other interactions (buttons, views) are not ours to answer
    if payload.get("callback_id") != SHORTCUT_CALLBACK_ID:
        return _error(
            400, f"Unknown shortcut; its callback id must be {SHORTCUT_CALLBACK_ID}.", "callback_id"
        )

    def field(*path):
        value = payload
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, str) else ""

    response_url = field("response_url")
    if not response_url.startswith(("https://", "http://")):
        return _error(400, "The shortcut has no response_url.", "response_url")
    team_id = field("team", "id") or field("user", "team_id")
    message = ChatMessage(
        platform=ChatPlatform.SLACK,
        team_id=team_id,
        channel_id=field("channel", "id"),
        user_id=field("user", "id"),
        user_name=field("user", "username") or field("user", "name"),
        text=field("message", "text"),
        invoke=SLASH_COMMAND,
    )
    for name, value in (
        ("team.id", message.team_id),
        ("channel.id", message.channel_id),
        ("user.id", message.user_id),
    ):
        if not value:
            return _error(400, f"The shortcut has no {name}.", name)
    if not message.text.strip():
        return _error(400, "The message has no text to log.", "message.text")
    from intake.tasks import chat_respond_task

    with transaction.atomic():
        channel = services.slack_channel(team_id=message.team_id, channel_id=message.channel_id)
        answer = services.chat_message_handle(message=message, channel=channel, request=request)
        # Slack shows nothing of this response's body for a shortcut: the answer goes to response_url.
        chat_respond_task.delay_on_commit(url=response_url, message=slack_message(answer))
    return HttpResponse(status=200)


# Teams ------------------------------------------------------------------------------------------

_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def teams_text(raw: str) -> str:
    """The message as the person typed it: without the bot's <at>mention</at> and the HTML around it."""
    text = _MENTION.sub("", raw or "")
    text = re.sub(r"<br\s*/?>|</p>|</div>", "\n", text, flags=re.IGNORECASE)
    text = html.unescape(_TAG.sub("", text)).replace("\xa0", " ")
    return "\n".join(line.strip() for line in text.strip().splitlines()).strip()


def _teams_escape(text: str) -> str:
    # Teams renders markdown and some HTML: what people typed must not become a link or markup.
    text = html.escape(text, quote=False)
    return text.replace("[", "\\[").replace("]", "\\]")


def teams_message(answer: Answer) -> dict:
    text = _teams_escape(answer.text).replace("\n", "\n\n")
    if answer.url:
        label = (answer.url_label or answer.url).replace("[", "(").replace("]", ")")
        text += f"\n\n[{label}]({answer.url})"
    return {"type": "message", "text": text}


@csrf_exempt  # signed by Teams instead: see the module's docstring
@require_POST
def teams(request: HttpRequest) -> HttpResponse:
    """A Teams outgoing webhook: someone @mentioned the bot in a linked team's channel."""
    body = request.body
    links = services.teams_links_signing(body=body, authorization=request.headers.get("Authorization", ""))
    if not links:
        return _error(401, "The request is not signed by the security token of a linked Teams webhook.")
    try:
        payload = json.loads(body)
    except ValueError:
        return _error(400, "The body is not JSON.")
    if not isinstance(payload, dict):
        return _error(400, "The body is not a JSON object.")

    def field(*path):
        value = payload
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value if isinstance(value, str) else ""

    channel_id = (
        field("channelData", "channel", "id")
        or field("channelData", "teamsChannelId")
        or field("conversation", "id").split(";")[0]
    )
    user_id = field("from", "aadObjectId") or field("from", "id")
    if not user_id:
        return _error(400, "The message has no sender (from.id).", "from.id")
    message = ChatMessage(
        platform=ChatPlatform.TEAMS,
        team_id=field("channelData", "tenant", "id") or field("conversation", "tenantId"),
        channel_id=channel_id,
        user_id=user_id,
        user_name=field("from", "name"),
        text=teams_text(field("text")),
        invoke="@Hypercare",
    )
    answer = services.chat_message_handle(
        message=message, channel=services.teams_channel(links, channel_id), request=request
    )
    return JsonResponse(teams_message(answer))


# The one-time link ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def chat_link(request: HttpRequest, token: str) -> HttpResponse:
    """A chat user opens their one-time link, logged in: GET shows what it links, POST links it."""
    error, offer, identity = "", None, None
    try:
        offer = services.chat_link_read(token)
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    if offer is not None and request.method == "POST":
        try:
            identity = services.chat_identity_link(user=request.user, token=token)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
    context = {"offer": offer, "identity": identity, "error": error}
    return render(request, "intake/chat_link.html", context, status=400 if error else 200)
