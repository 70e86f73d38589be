"""Fixtures of the triage tests: accesses per persona and a helper that logs a ticket at a given time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hypercare.access import get_programme_for
from tickets import services as tickets

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def access_of(persona):
    return get_programme_for(persona.user, persona.programme.slug)


@pytest.fixture
def lead_access(lead):
    return access_of(lead)


@pytest.fixture
def desk_access(desk):
    return access_of(desk)


@pytest.fixture
def log_ticket(lead_access):
    """Log a ticket through the services as a lead importing it at `reported_at`."""

    def log(
        *, severity: int, reported_at: datetime, access=None, title: str = "Opportunities cannot be saved"
    ):
        return tickets.ticket_create(
            access=access or lead_access,
            title=title,
            severity=severity,
            severity_reason="worked example",
            reported_at=reported_at,
            at=reported_at + timedelta(seconds=1),
        )

    return log
