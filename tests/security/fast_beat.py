"""The real beat schedule, run every few seconds instead of every minute (fault tests only).

`celery -A tests.security.fast_beat beat` sends exactly the tasks of hypercare.celery's schedule,
so a test can watch minutes of operation in seconds.
"""

from hypercare.celery import app
from tests.security.faults import FAST  # the intervals, where tests read them without this side effect

app.conf.beat_schedule = {
    name: {**entry, "schedule": FAST.get(name, 5.0)} for name, entry in app.conf.beat_schedule.items()
}
