"""Celery tasks of the handover app: thin, taking ids, calling services."""

from celery import shared_task
from django.utils import timezone

from handover import services
from handover.services import alerts, weekly
from hypercare.models import Programme, ProgrammeStatus


@shared_task(acks_late=True)  # safe to run twice: the notification is keyed once per programme
def exit_gate_watch_task() -> int:
    """Tell leads and signatories once when a programme's exit gate turns green."""
    green = 0
    for programme_id in Programme.objects.filter(
        status__in=[ProgrammeStatus.ACTIVE, ProgrammeStatus.EXIT_REVIEW]
    ).values_list("pk", flat=True):
        green += exit_gate_check_task(programme_id)
    return green


@shared_task(acks_late=True)
def exit_gate_check_task(programme_id: int) -> int:
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is None:
        return 0
    return int(services.gate_green_notify(programme=programme))


@shared_task(acks_late=True)  # safe to run twice: a change of level is claimed by a conditional UPDATE
def alerts_watch_task() -> int:
    """Beat: each running programme's KPI and exit-forecast alerts, told once per change of level."""
    told = 0
    for programme_id in Programme.objects.filter(
        status__in=[ProgrammeStatus.ACTIVE, ProgrammeStatus.EXIT_REVIEW]
    ).values_list("pk", flat=True):
        told += alerts_check_task(programme_id)
    return told


@shared_task(acks_late=True)
def alerts_check_task(programme_id: int) -> int:
    programme = Programme.objects.filter(pk=programme_id).first()
    if programme is None:
        return 0
    return alerts.alerts_evaluate(programme=programme, at=timezone.now())


@shared_task(acks_late=True)  # safe to run twice: each week's report is claimed by a unique row
def weekly_reports_task() -> int:
    """Beat, every 15 minutes: send each programme's weekly leadership summary once it is due."""
    return weekly.weekly_reports_send_due(at=timezone.now())
