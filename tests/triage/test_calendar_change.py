"""A holiday added to the calendar moves the due instants of open business-hours tickets, keeping the old ones."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hypercare import services as core
from hypercare.access import get_programme_for
from hypercare.vocabulary import EventKind
from tickets import services

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def test_a_forgotten_holiday_moves_open_business_clocks_and_records_what_was_shown(
    lead, programme, django_capture_on_commit_callbacks
):
    access = get_programme_for(lead.user, programme.slug)
    reported = datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)  # Monday before Easter
    ticket = services.ticket_create(
        access=access,
        title="Quote PDF fails",
        severity=3,
        severity_reason="worked example",
        reported_at=reported,
        at=reported,
    )
    assert ticket.resolution_due_at == datetime(2026, 4, 6, 10, 0, tzinfo=LONDON)
    with django_capture_on_commit_callbacks(execute=True):
        core.calendar_update(programme=programme, holidays=[date(2026, 4, 3), date(2026, 4, 6)])
    ticket.refresh_from_db()
    assert ticket.resolution_due_at == datetime(2026, 4, 8, 10, 0, tzinfo=LONDON)
    event = ticket.events.get(kind=EventKind.SLA)
    assert event.data["previous"]["resolution_due_at"].startswith("2026-04-06T09:00")
