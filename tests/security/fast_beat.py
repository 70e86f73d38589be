"""The real beat schedule, run every few seconds instead of every minute (fault tests only).

`celery -A tests.security.fast_beat beat` sends exactly the tasks of hypercare.celery's schedule,
so a test can watch minutes of operation in seconds.
"""

from hypercare.celery import app

FAST = {
    "heartbeat": 2.0,
    "email-outbox": 2.0,
    "sla-sweep": 1.0,
    "releases-status-reports": 30.0,
    "releases-webhook-sweep": 5.0,
    "metrics-daily-snapshots": 2.0,
}

app.conf.beat_schedule = {
    name: {**entry, "schedule": FAST.get(name, 5.0)} for name, entry in app.conf.beat_schedule.items()
}
