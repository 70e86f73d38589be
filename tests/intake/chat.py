"""Signed chat requests sent over HTTP to the live server, and a local receiver for Slack's answers."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlencode

from intake.chat.signatures import slack_signature, teams_signature

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAMS_TOKEN = base64.b64encode(b"teams-outgoing-webhook-token-32b").decode()


@dataclass
class Reply:
    status: int
    body: dict | None
    raw: bytes


def post(url: str, body: bytes, headers: dict[str, str]) -> Reply:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return Reply(status, parsed, raw)


def slack_post(
    base_url: str,
    form: dict,
    *,
    secret: str = SLACK_SECRET,
    timestamp: int | None = None,
    signature: str | None = None,
    signed: bool = True,
) -> Reply:
    body = urlencode(form).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signed:
        headers["X-Slack-Request-Timestamp"] = stamp
        headers["X-Slack-Signature"] = signature or slack_signature(secret, stamp, body)
    return post(base_url + "/integrations/slack/", body, headers)


def slash(text: str, *, user_id: str = "U0CHAMP", channel_id: str = "C0WAR", team_id: str = "T0ACME") -> dict:
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": "acme",
        "channel_id": channel_id,
        "channel_name": "acme-hypercare",
        "user_id": user_id,
        "user_name": "sam.champion",
        "command": "/hypercare",
        "text": text,
        "api_app_id": "A0HYPER",
        "response_url": "https://hooks.slack.com/commands/T0ACME/1/abc",
        "trigger_id": "1.2.3",
    }


def shortcut(text: str, response_url: str, *, user_id: str = "U0CHAMP", channel_id: str = "C0WAR") -> dict:
    payload = {
        "type": "message_action",
        "callback_id": "log_hypercare_issue",
        "trigger_id": "1.2.3",
        "response_url": response_url,
        "team": {"id": "T0ACME", "domain": "acme"},
        "channel": {"id": channel_id, "name": "acme-hypercare"},
        "user": {"id": user_id, "username": "sam.champion", "team_id": "T0ACME"},
        "message": {"type": "message", "user": "U0OTHER", "text": text, "ts": "1700000000.000100"},
    }
    return {"payload": json.dumps(payload)}


def teams_activity(
    text: str, *, user_id: str = "aad-champion", channel_id: str = "19:war@thread.tacv2"
) -> dict:
    return {
        "type": "message",
        "id": "1700000000000",
        "timestamp": "2026-12-03T18:00:00.000Z",
        "serviceUrl": "https://smba.trafficmanager.net/emea/",
        "channelId": "msteams",
        "from": {"id": "29:1abc", "name": "Sam Champion", "aadObjectId": user_id},
        "conversation": {
            "isGroup": True,
            "id": f"{channel_id};messageid=1700000000000",
            "tenantId": "tenant-1",
        },
        "recipient": None,
        "textFormat": "plain",
        "text": text,
        "channelData": {
            "teamsChannelId": channel_id,
            "teamsTeamId": "19:team@thread.tacv2",
            "channel": {"id": channel_id},
            "team": {"id": "19:team@thread.tacv2"},
            "tenant": {"id": "tenant-1"},
        },
    }


def teams_post(
    base_url: str, activity: dict | bytes, *, token: str = TEAMS_TOKEN, authorization: str | None = None
) -> Reply:
    body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
    headers = {"Content-Type": "application/json"}
    if authorization is None:
        headers["Authorization"] = teams_signature(token, body)
    elif authorization:
        headers["Authorization"] = authorization
    return post(base_url + "/integrations/teams/", body, headers)
