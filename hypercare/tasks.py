"""Thin Celery tasks of the core."""

from celery import shared_task
from django.utils import timezone

from hypercare.models import Heartbeat


@shared_task(acks_late=True)
def heartbeat_task(source: str = "beat") -> int:
    """Record that a worker ran: the health page and the broker integration test read it."""
    return Heartbeat.objects.create(source=source, at=timezone.now()).pk


@shared_task(acks_late=True)
def deliver_emails_task() -> int:
    """Send the email outbox (also run every minute by beat, so nothing waits on a lost kick)."""
    from hypercare.notifications import deliver_emails

    return deliver_emails()
