"""Thin Celery tasks of triage: the breach sweep, run every minute by beat."""

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)  # safe to run twice, or at once: see triage.services.sweep
def sla_sweep_task() -> dict:
    """Flag tickets that became at risk or breached, then send the pending alerts' notifications."""
    from triage.services import sla_alerts_fan_out, sla_sweep

    now = timezone.now()
    flagged = sla_sweep(at=now)
    return {"flagged": flagged, "notified": sla_alerts_fan_out(at=now)}
