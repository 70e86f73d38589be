"""Posting the bot's answer to a Slack response_url."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)


def response_url_allowed(url: str) -> bool:
    """Slack's response URLs live on slack.com over https; anything else only where the settings
    allow it (local test servers), so a signed request cannot make us post to the internal network."""
    parts = urlsplit(url)
    if settings.SLACK_RESPONSE_URL_ANY_HOST:
        return parts.scheme in ("http", "https")
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))


def respond(*, url: str, message: dict) -> int | None:
    if not response_url_allowed(url):
        logger.warning("Refused to answer at %s: not a Slack response URL", url)
        return None
    request = urllib.request.Request(
        url,
        data=json.dumps(message).encode(),
        headers={"Content-Type": "application/json", "User-Agent": "Hypercare-Chat/1.0"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (checked above)
            return response.status
    except urllib.error.HTTPError as error:
        logger.warning("Slack answered %s at its response URL", error.code)
        return error.code
    except (urllib.error.URLError, OSError) as error:
        logger.warning("Could not answer at the Slack response URL: %s", error)
        return None
