"""Thin Celery tasks of the metrics app."""

from celery import shared_task
from django.utils import timezone

from metrics import services


@shared_task(acks_late=True)  # safe to run twice: each programme-day is an upsert
def snapshots_due_task() -> int:
    """Beat, every few minutes: snapshot each programme's days that ended since its last snapshot."""
    return services.snapshots_take_due(at=timezone.now())
