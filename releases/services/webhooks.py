"""Outgoing webhooks: register, emit into the outbox, and deliver signed with retries and backoff."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from hypercare.audit import audit
from hypercare.models import Programme
from hypercare.site import absolute
from releases import webhook_formats
from releases.models import (
    DeliveryState,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookFormat,
)
from releases.services.common import require_lead

SIGNATURE_HEADER = "X-Hypercare-Signature"


def max_attempts() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 5))


def backoff_seconds(attempt: int) -> int:
    """Wait after failed attempt number `attempt` (1-based): base, 2×base, 4×base, …"""
    base = int(getattr(settings, "WEBHOOK_BACKOFF_SECONDS", 30))
    return base * 2 ** (attempt - 1)


def _allow_private_hosts() -> bool:
    # Local receivers are fine in development and tests; in production a lead's URL must not reach
    # the internal network (server-side request forgery).
    default = settings.DEBUG or getattr(settings, "TESTING", False)
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_HOSTS", default))


def webhook_sign(secret: str, body: bytes) -> str:
    """The signature header value of a body: 'sha256=' + hex HMAC-SHA256 with the webhook's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _clean_events(events) -> list[str]:
    chosen = [event for event in WebhookEvent.values if event in set(events or [])]
    unknown = set(events or []) - set(WebhookEvent.values)
    if unknown:
        raise ValidationError({"events": f"Unknown event(s): {', '.join(sorted(unknown))}."})
    if not chosen:
        raise ValidationError({"events": "Choose at least one event."})
    return chosen


@transaction.atomic
def webhook_register(
    *,
    programme: Programme,
    by,
    name: str,
    url: str,
    events,
    secret: str = "",
    format: str = WebhookFormat.GENERIC,
    at: datetime | None = None,
) -> Webhook:
    """A lead registers a webhook URL for some events, in a format (generic JSON, Slack Block Kit,
    Teams Adaptive Card); an empty secret is generated."""
    require_lead(programme, by, "Only a hypercare lead manages webhooks.")
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Give the webhook a name."
    try:
        URLValidator(schemes=["http", "https"])(url or "")
    except ValidationError:
        errors["url"] = "Enter an http(s) URL."
    else:
        if _refused_host(url, unresolved_ok=True):
            errors["url"] = (
                "Enter a public address: this URL points at a loopback, private or otherwise internal address."
            )
    secret = (secret or "").strip() or secrets.token_urlsafe(32)
    if len(secret) < 16:
        errors["secret"] = "The secret needs at least 16 characters."
    format = format or WebhookFormat.GENERIC
    if format not in WebhookFormat.values:
        errors["format"] = f"Choose one of {', '.join(WebhookFormat.values)}."
    try:
        events = _clean_events(events)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    webhook = Webhook.objects.create(
        programme=programme,
        name=name.strip()[:100],
        url=url,
        secret=secret,
        events=events,
        format=format,
        created_by=by,
        created_at=at or timezone.now(),
    )
    audit("webhook.registered", actor=by, programme=programme, webhook=webhook.pk, url=url)
    return webhook


@transaction.atomic
def webhook_set_active(*, webhook: Webhook, by, active: bool) -> Webhook:
    """A lead pauses or resumes a webhook."""
    require_lead(webhook.programme, by, "Only a hypercare lead manages webhooks.")
    Webhook.objects.filter(pk=webhook.pk).update(is_active=active)
    audit("webhook.active", actor=by, programme=webhook.programme, webhook=webhook.pk, active=active)
    webhook.refresh_from_db()
    return webhook


def _enqueue(delivery_id: int) -> None:
    from releases.tasks import webhook_deliver_task

    webhook_deliver_task.delay(delivery_id)


def webhook_emit(
    *, programme: Programme, event: str, key: str, payload: dict, at: datetime | None = None
) -> int:
    """Send an event to every active webhook of the programme subscribed to it, exactly once per key.

    Other apps call this inside the transaction of the change they report, for example::

        webhook_emit(programme=ticket.programme, event="sev1_ticket", key=f"sev1_ticket:{ticket.pk}",
                     payload={"text": f"Sev1 {ticket.reference}: {ticket.title}",
                              "fields": {"Reference": ticket.reference, "Tier": ticket.tier}})

    `event` is one of sev1_ticket, breach, release, daily_status. `key` names the event
    (a second call with the same key adds nothing: the outbox row is unique per webhook and key).
    Use the keys `sev1_ticket:<ticket id>` and `breach:<response|resolution>:<ticket id>`: the
    releases sweep (`ticket_webhooks_emit`) emits those too, so an app that also calls this
    directly never causes a second delivery.
    `payload` needs "text" (the line Slack and Teams show); its optional "fields" mapping
    becomes structured fields, and every other entry is sent under "data". Each delivery is
    signed (header X-Hypercare-Signature: sha256=<hex HMAC of the body>) and sent by a Celery
    task after commit, retried with exponential backoff. Returns the webhooks it went to.
    """
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}; one of {', '.join(WebhookEvent.values)}.")
    text = str(payload.get("text") or "").strip()
    if not text:
        raise ValueError('A webhook payload needs "text".')
    hooks = [
        hook for hook in Webhook.objects.filter(programme=programme, is_active=True) if event in hook.events
    ]
    if not hooks:
        return 0
    at = at or timezone.now()
    fields = payload.get("fields") or {}
    body = {
        "text": text,
        "event": event,
        "key": key,
        "programme": {"slug": programme.slug, "name": programme.name},
        "occurred_at": at.isoformat(),
        "fields": [
            {"title": str(title), "value": str(value), "short": True} for title, value in fields.items()
        ],
        "data": {name: value for name, value in payload.items() if name not in {"text", "fields"}},
    }
    body = json.loads(json.dumps(body, default=str))
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                webhook=hook, event=event, key=key[:200], payload=body, next_attempt_at=at, created_at=at
            )
            for hook in hooks
        ],
        ignore_conflicts=True,
    )
    pending = WebhookDelivery.objects.filter(
        webhook__in=hooks, key=key[:200], state=DeliveryState.PENDING, attempts=0
    ).values_list("pk", flat=True)
    for delivery_id in pending:
        transaction.on_commit(partial(_enqueue, delivery_id), robust=True)
    return len(hooks)


@dataclass(frozen=True)
class AttemptOutcome:
    state: str  # delivered, pending (retry), gave_up, skipped
    status_code: int | None = None
    retry_in: int | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer, not an invitation to post elsewhere


def _refused_host(url: str, *, unresolved_ok: bool = False) -> str:
    """A reason to refuse the URL's host (an internal address in production), or ''.

    Checked at registration and again at each delivery (a name may resolve elsewhere later);
    `unresolved_ok`: a name that does not resolve yet is no reason to refuse (registration).
    """
    if _allow_private_hosts():
        return ""
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as error:
        return "" if unresolved_ok else f"cannot resolve {host}: {error}"
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            return f"refused: {host} resolves to a non-public address"
    return ""


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    refused = _refused_host(url)
    if refused:
        return None, refused
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(_NoRedirect)
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 5))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, ""
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:1000]


def webhook_attempt(*, delivery_id: int, at: datetime | None = None) -> AttemptOutcome:
    """Make one delivery attempt and log it; the row is claimed first so two workers never both post."""
    now = at or timezone.now()
    timeout = int(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 5))
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + timedelta(seconds=timeout + 60), attempts=F("attempts") + 1)
    )
    if not claimed:
        return AttemptOutcome("skipped")
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook, number = delivery.webhook, delivery.attempts
    # The outbox keeps the generic body; the webhook's format shapes what is posted (Slack, Teams).
    rendered = webhook_formats.render(webhook.format, delivery.payload)
    body = json.dumps(rendered, separators=(",", ":"), sort_keys=True).encode()
    started = time.monotonic()
    if webhook.is_active:
        status_code, error = _post(
            webhook.url,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": "Hypercare-Webhooks/1.0",
                SIGNATURE_HEADER: webhook_sign(webhook.secret, body),
                "X-Hypercare-Event": delivery.event,
                "X-Hypercare-Delivery": delivery.key,
            },
        )
    else:
        status_code, error = None, "the webhook is paused"
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        at=now,
        status_code=status_code,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    common = {"locked_until": None, "last_status_code": status_code}
    if status_code is not None and 200 <= status_code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.DELIVERED, delivered_at=now, **common
        )
        return AttemptOutcome(DeliveryState.DELIVERED, status_code)
    if number >= max_attempts() or not webhook.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.GAVE_UP, **common)
        return AttemptOutcome(DeliveryState.GAVE_UP, status_code)
    wait = backoff_seconds(number)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=now + timedelta(seconds=wait), **common
    )
    return AttemptOutcome(DeliveryState.PENDING, status_code, retry_in=wait)


def webhook_deliveries_due(*, at: datetime | None = None, grace_seconds: int = 300) -> list[int]:
    """Pending deliveries whose retry is overdue (a lost task): the sweeper enqueues them again."""
    now = at or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lt=now - timedelta(seconds=grace_seconds)
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .values_list("pk", flat=True)[:500]
    )


def _ticket_url(ticket) -> str:
    return absolute(reverse("tickets:detail", args=[ticket.programme.slug, ticket.reference]))


def ticket_webhooks_emit(*, at: datetime | None = None, window: timedelta = timedelta(hours=2)) -> int:
    """Emit sev1_ticket and breach events for recent tickets of programmes with such webhooks.

    Runs every minute from beat; each event has a stable key, so repeated runs (and apps that
    call webhook_emit themselves with the same keys) deliver it once. Returns events emitted.
    """
    from hypercare.vocabulary import EventKind, Severity
    from tickets.models import Ticket, TicketEvent

    now = at or timezone.now()
    since = now - window
    hooks = list(Webhook.objects.filter(is_active=True).values_list("programme_id", "events"))
    wanted = {
        event: {programme_id for programme_id, events in hooks if event in events}
        for event in (WebhookEvent.SEV1_TICKET, WebhookEvent.BREACH)
    }
    emitted = 0
    if wanted[WebhookEvent.SEV1_TICKET]:
        sev1 = Ticket.objects.filter(
            programme_id__in=wanted[WebhookEvent.SEV1_TICKET], severity=Severity.SEV1
        ).filter(
            # Logged as Sev1 recently, or re-graded to Sev1 recently.
            Q(reported_at__gte=since)
            | Q(pk__in=TicketEvent.objects.filter(kind=EventKind.SEVERITY, at__gte=since).values("ticket_id"))
        )
        for ticket in sev1.select_related("programme").order_by("pk"):
            emitted += bool(
                webhook_emit(
                    programme=ticket.programme,
                    event=WebhookEvent.SEV1_TICKET,
                    key=f"sev1_ticket:{ticket.pk}",
                    payload={
                        "text": f"Sev1 {ticket.reference}: {ticket.title}",
                        "fields": {"Reference": ticket.reference, "Status": ticket.get_status_display()},
                        "url": _ticket_url(ticket),
                        "ticket": {
                            "reference": ticket.reference,
                            "reported_at": ticket.reported_at.isoformat(),
                        },
                    },
                    at=now,
                )
            )
    if wanted[WebhookEvent.BREACH]:
        breached = Ticket.objects.filter(programme_id__in=wanted[WebhookEvent.BREACH]).filter(
            Q(response_breached=True, response_due_at__gte=since)
            | Q(resolution_breached=True, resolution_due_at__gte=since)
        )
        for ticket in breached.select_related("programme").order_by("pk"):
            for clock, flagged, due in (
                ("response", ticket.response_breached, ticket.response_due_at),
                ("resolution", ticket.resolution_breached, ticket.resolution_due_at),
            ):
                if not flagged or due is None or due < since or ticket.happened_before_import(due):
                    continue  # an imported ticket's breach before its import is history, not news
                emitted += bool(
                    webhook_emit(
                        programme=ticket.programme,
                        event=WebhookEvent.BREACH,
                        key=f"breach:{clock}:{ticket.pk}",
                        payload={
                            "text": f"SLA {clock} breached: Sev{ticket.severity} {ticket.reference} {ticket.title}",
                            "fields": {"Reference": ticket.reference, "Clock": clock, "Due": due.isoformat()},
                            "url": _ticket_url(ticket),
                        },
                        at=now,
                    )
                )
    return emitted
