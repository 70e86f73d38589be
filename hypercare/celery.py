"""The Celery app. The beat schedule lives here, in code."""

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hypercare.settings")

app = Celery("hypercare")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "heartbeat": {"task": "hypercare.tasks.heartbeat_task", "schedule": crontab(minute="*/5")},
    "email-outbox": {"task": "hypercare.tasks.deliver_emails_task", "schedule": 60.0},
    "sla-sweep": {"task": "triage.tasks.sla_sweep_task", "schedule": 60.0},
    "releases-status-reports": {"task": "releases.tasks.status_reports_task", "schedule": 900.0},
    # Each programme's bulletin leaves within a minute of its local time (programme settings).
    "releases-bulletins": {"task": "releases.tasks.bulletins_task", "schedule": 60.0},
    "releases-webhook-sweep": {"task": "releases.tasks.webhook_sweep_task", "schedule": 60.0},
    "releases-ticket-webhooks": {"task": "releases.tasks.ticket_webhooks_task", "schedule": 60.0},
    "intake-poll-mailboxes": {"task": "intake.tasks.poll_mailboxes_task", "schedule": 60.0},
    "handover-exit-gate-watch": {"task": "handover.tasks.exit_gate_watch_task", "schedule": 3600.0},
    # KPIs and the exit forecast move with the data: checked every 15 minutes, told once per change.
    "handover-alerts-watch": {"task": "handover.tasks.alerts_watch_task", "schedule": 900.0},
    "handover-weekly-reports": {"task": "handover.tasks.weekly_reports_task", "schedule": 900.0},
    "metrics-daily-snapshots": {
        "task": "metrics.tasks.snapshots_due_task",
        "schedule": crontab(minute="*/10"),
    },
}


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender, **kwargs):
    # The filesystem transport expects its folders to exist.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
