"""Notifications: in-app rows and an email outbox, exactly once per person and event."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from hypercare.models import Notification, NotificationChannel, NotificationPreference, Programme

if TYPE_CHECKING:
    from hypercare.access import ProgrammeAccess

logger = logging.getLogger(__name__)

# A worker that claimed an email and died before sending it gives it up after this long,
# so another worker sends it: an email is never lost, and only a crash between the SMTP
# server accepting it and our UPDATE can send it twice (with the same Message-ID).
EMAIL_LEASE = timedelta(minutes=5)
MAX_EMAIL_ATTEMPTS = 5


@dataclass(frozen=True)
class Message:
    """One event to tell some people about (see `notify`)."""

    programme_id: int
    recipients: Sequence
    kind: str
    key: str
    subject: str
    body: str = ""
    link: str = ""
    # The ticket the event is about ("ACME-12"): its e-mails carry "[ACME-12]" in the subject, so a
    # reply threads back to the ticket (the e-mail intake reads the reference from the subject).
    reference: str = ""


def email_subject(subject: str, reference: str) -> str:
    """An e-mail's subject: "[ACME-12] …" for an event about a ticket."""
    if not reference:
        return subject
    if subject.startswith(reference):
        subject = subject[len(reference) :].lstrip(" :")
    return f"[{reference}] {subject}"


def notify(
    *,
    programme: Programme,
    recipients: Iterable,
    kind: str,
    key: str,
    subject: str,
    body: str = "",
    link: str = "",
    reference: str = "",
    at: datetime | None = None,
) -> int:
    """Queue one event's notification for each recipient, on the channels they chose.

    `key` names the event (e.g. "breach:response:ticket-42"); the database refuses a second
    row with the same key, person and channel, so retries and concurrent runs are harmless.
    Call it inside the transaction of the change it reports. Returns the rows inserted.
    """
    message = Message(programme.pk, list(recipients), kind, key, subject, body, link, reference)
    return notify_many([message], at=at)


def notify_many(messages: Iterable[Message], *, at: datetime | None = None) -> int:
    """`notify` for many events at once: one query for preferences, one insert (bounded batches)."""
    messages = [m for m in messages if any(user is not None for user in m.recipients)]
    if not messages:
        return 0
    user_ids = {user.pk for m in messages for user in m.recipients if user is not None}
    kinds = {m.kind for m in messages}
    choices = {
        (pref.user_id, pref.kind): pref
        for pref in NotificationPreference.objects.filter(user_id__in=user_ids, kind__in=kinds)
    }
    at = at or timezone.now()
    rows = []
    for message in messages:
        people = {user.pk: user for user in message.recipients if user is not None}
        for user_id, user in people.items():
            preference = choices.get((user_id, message.kind))
            channels = []
            if preference is None or preference.in_app:
                channels.append(NotificationChannel.IN_APP)
            if user.email and (preference is None or preference.email):
                channels.append(NotificationChannel.EMAIL)
            rows.extend(
                Notification(
                    programme_id=message.programme_id,
                    recipient_id=user_id,
                    kind=message.kind,
                    channel=channel,
                    subject=(
                        email_subject(message.subject, message.reference)
                        if channel == NotificationChannel.EMAIL
                        else message.subject
                    )[:200],
                    body=message.body,
                    link=message.link,
                    dedupe_key=f"{message.key}:{user_id}:{channel}"[:200],
                    created_at=at,
                )
                for channel in channels
            )
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    if any(row.channel == NotificationChannel.EMAIL for row in rows):
        transaction.on_commit(_kick_outbox, robust=True)
    return len(created)


def _kick_outbox() -> None:
    from hypercare.tasks import deliver_emails_task

    deliver_emails_task.delay()


def _claimable(now: datetime) -> Q:
    return Q(sent_at__isnull=True) & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - EMAIL_LEASE))


def deliver_emails(*, limit: int = 200, now: datetime | None = None) -> int:
    """Send pending email notifications.

    Each row is claimed by a conditional UPDATE (a lease) before sending, so two workers
    never send one together; it is marked sent only after the SMTP server accepted it, so
    a worker killed mid-send leaves it to be sent again once the lease runs out.
    """
    sent = 0
    fixed_now = now
    now = now or timezone.now()
    pending = list(
        Notification.objects.filter(_claimable(now), channel=NotificationChannel.EMAIL)
        .filter(attempts__lt=MAX_EMAIL_ATTEMPTS)
        .select_related("recipient")
        .order_by("created_at")[:limit]
    )
    for notification in pending:
        claim = fixed_now or timezone.now()
        claimed = (
            Notification.objects.filter(_claimable(claim), pk=notification.pk)
            .filter(attempts__lt=MAX_EMAIL_ATTEMPTS)
            .update(claimed_at=claim, attempts=F("attempts") + 1)
        )
        if not claimed:
            continue  # another worker holds it
        try:
            message = EmailMultiAlternatives(
                subject=notification.subject,
                body=_email_body(notification),
                to=[notification.recipient.email],
                # The same id on a resend after a crash, so mail systems can drop the duplicate.
                headers={"Message-ID": f"<notification-{notification.pk}@{_mail_domain()}>"},
            )
            message.send()
        except Exception as error:  # the SMTP server said no: give the row back for a later attempt
            logger.warning("Email notification %s failed: %s", notification.pk, error)
            Notification.objects.filter(pk=notification.pk, claimed_at=claim).update(
                claimed_at=None, last_error=str(error)[:1000]
            )
            continue
        Notification.objects.filter(pk=notification.pk, claimed_at=claim).update(sent_at=timezone.now())
        sent += 1
    return sent


def _mail_domain() -> str:
    """The Message-ID's domain: the configured SITE_URL's host, else a fixed name. Never the address
    of the latest request, which can change between a send and its resend (same Message-ID)."""
    from urllib.parse import urlsplit

    return urlsplit(settings.SITE_URL or "").hostname or "hypercare.local"


def _email_body(notification: Notification) -> str:
    body = notification.body or notification.subject
    if notification.link:
        from hypercare.site import absolute

        body = f"{body}\n\n{absolute(notification.link)}"
    return body


def unread_count(user) -> int:
    return Notification.objects.filter(
        recipient=user, channel=NotificationChannel.IN_APP, read_at__isnull=True
    ).count()


def inbox(access: ProgrammeAccess):
    """The member's in-app notifications of this programme (the inbox page and the API)."""
    return Notification.objects.filter(
        programme=access.programme, recipient=access.user, channel=NotificationChannel.IN_APP
    )


def notifications_mark_read(*, access: ProgrammeAccess, ids=None, at: datetime | None = None) -> int:
    """Mark the member's unread in-app notifications of this programme as read (all, or those in `ids`).

    Ids of other people's notifications match nothing: the count says how many changed."""
    unread = inbox(access).filter(read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=at or timezone.now())
