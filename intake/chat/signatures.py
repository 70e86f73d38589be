"""How Slack and Teams sign the requests they send us, and the checks that refuse the rest."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

# Slack refuses to trust a request older than this (a replay); so do we.
SLACK_MAX_AGE_SECONDS = 5 * 60


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature: "v0=" + hex HMAC-SHA256 of "v0:{timestamp}:{body}" with the signing secret."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_refusal(
    *, secret: str, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> str:
    """Why a Slack request cannot be trusted, or "" when it is signed and fresh."""
    if not secret:
        return "Slack is not set up on this installation (SLACK_SIGNING_SECRET)."
    if not timestamp or not signature:
        return "The request is not signed."
    try:
        sent = int(timestamp)
    except ValueError:
        return "The request timestamp is not a number."
    if abs((now if now is not None else time.time()) - sent) > SLACK_MAX_AGE_SECONDS:
        return "The request is too old (or from the future): refused as a possible replay."
    if not hmac.compare_digest(slack_signature(secret, timestamp, body), signature):
        return "The signature does not match."
    return ""


def teams_signature(token: str, body: bytes) -> str:
    """A Teams outgoing webhook's Authorization value: "HMAC " + base64 HMAC-SHA256 keyed with the
    base64-decoded security token."""
    key = base64.b64decode(token)
    return "HMAC " + base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def teams_matches(token: str, body: bytes, authorization: str) -> bool:
    try:
        expected = teams_signature(token, body)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(expected.encode(), authorization.strip().encode())


def valid_teams_token(token: str) -> bool:
    try:
        return len(base64.b64decode(token, validate=True)) >= 16
    except (binascii.Error, ValueError):
        return False
