"""Thin Celery tasks of the releases app: each takes ids (or nothing) and calls a service."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from releases import services


@shared_task(acks_late=True)
def status_reports_task() -> int:
    """Beat, every 15 minutes: send each programme's daily status once it is due.

    Safe to run twice: each report is claimed by a unique (programme, date, kind) row before sending.
    """
    return services.status_reports_send_due(at=timezone.now())


@shared_task(acks_late=True)
def bulletins_task() -> int:
    """Beat, every minute: send each programme's scheduled bulletin once it is due.

    Safe to run twice: a scheduled draft is unique per programme and day, and sending is a
    conditional UPDATE from draft to sent.
    """
    return services.bulletins_send_due(at=timezone.now())


@shared_task(bind=True, acks_late=True, max_retries=None)
def webhook_deliver_task(self, delivery_id: int) -> str:
    """One delivery attempt; a failure is retried by Celery after the service's exponential backoff."""
    outcome = services.webhook_attempt(delivery_id=delivery_id, at=timezone.now())
    while outcome.retry_in is not None and self.request.is_eager:
        # Eager mode (tests, no broker) cannot wait: Celery would raise Retry, so try again at once.
        outcome = services.webhook_attempt(delivery_id=delivery_id, at=timezone.now())
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state


@shared_task(acks_late=True)
def webhook_sweep_task() -> int:
    """Beat, every minute: re-enqueue deliveries whose scheduled retry was lost (worker restart)."""
    due = services.webhook_deliveries_due(at=timezone.now())
    for delivery_id in due:
        webhook_deliver_task.delay(delivery_id)
    return len(due)


@shared_task(acks_late=True)
def ticket_webhooks_task() -> int:
    """Beat, every minute: sev1_ticket and breach webhook events for recent tickets (once per key)."""
    with transaction.atomic():
        return services.ticket_webhooks_emit(at=timezone.now())
