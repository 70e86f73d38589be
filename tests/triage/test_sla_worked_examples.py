"""Worked SLA examples through the ticket services, on 24×7 and business clocks."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hypercare.access import get_programme_for
from tickets import services

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def lead_access(lead):
    return get_programme_for(lead.user, lead.programme.slug)


@pytest.fixture
def desk_access(desk):
    return get_programme_for(desk.user, desk.programme.slug)


def log(access, *, severity, reported_at, now=None):
    return services.ticket_create(
        access=access,
        title="Opportunities cannot be saved",
        severity=severity,
        severity_reason="worked example",
        reported_at=reported_at,
        at=now or reported_at + timedelta(seconds=1),
    )


def test_sev1_is_due_in_15_minutes_and_4_hours_round_the_clock_even_on_sunday(lead_access):
    ticket = log(lead_access, severity=1, reported_at=at(2026, 3, 15, 23, 0))
    assert ticket.response_due_at == at(2026, 3, 15, 23, 15)
    assert ticket.resolution_due_at == at(2026, 3, 16, 3, 0)
    assert ticket.response_at_risk_at == at(2026, 3, 15, 23, 11, 15)


def test_sev2_round_the_clock_across_the_spring_forward_night(lead_access):
    ticket = log(lead_access, severity=2, reported_at=at(2026, 3, 28, 12, 0))
    assert ticket.response_due_at == at(2026, 3, 28, 13, 0)
    # 24 real hours later is 13:00 BST, one wall-clock hour "later" than the report.
    assert ticket.resolution_due_at == at(2026, 3, 29, 13, 0)
    assert ticket.resolution_due_at - ticket.reported_at == timedelta(hours=24)


def test_sev3_counts_business_hours_from_monday_ten(lead_access):
    ticket = log(lead_access, severity=3, reported_at=at(2026, 3, 9, 10, 0))
    assert ticket.response_due_at == at(2026, 3, 9, 14, 0)
    assert ticket.resolution_due_at == at(2026, 3, 16, 10, 0)


def test_sev3_reported_on_saturday_is_due_friday_at_close(lead_access):
    ticket = log(lead_access, severity=3, reported_at=at(2026, 3, 14, 11, 0))
    assert ticket.response_due_at == at(2026, 3, 16, 13, 0)
    assert ticket.resolution_due_at == at(2026, 3, 20, 17, 0)


def test_sev4_has_a_response_target_of_24_working_hours_and_no_resolution_target(lead_access):
    ticket = log(lead_access, severity=4, reported_at=at(2026, 3, 9, 10, 0))
    assert ticket.response_due_at == at(2026, 3, 12, 10, 0)
    assert ticket.resolution_due_at is None


def test_waiting_on_the_reporter_moves_the_due_instant_by_the_paused_working_time(lead_access, desk_access):
    ticket = log(lead_access, severity=3, reported_at=at(2026, 3, 9, 10, 0))
    services.ticket_transition(
        access=desk_access, ticket=ticket, status="in_progress", at=at(2026, 3, 9, 11, 0)
    )
    services.ticket_transition(
        access=desk_access, ticket=ticket, status="waiting_on_reporter", at=at(2026, 3, 10, 9, 0)
    )
    assert ticket.resolution_due_at is None and ticket.paused_at == at(2026, 3, 10, 9, 0)
    services.ticket_transition(
        access=desk_access, ticket=ticket, status="in_progress", at=at(2026, 3, 11, 13, 0)
    )
    # Paused from Tuesday 09:00 to Wednesday 13:00: 8 + 4 = 12 working hours later than Monday 10:00.
    assert ticket.resolution_due_at == at(2026, 3, 17, 14, 0)


def test_a_severity_change_recomputes_from_the_original_start(lead_access, desk_access):
    ticket = log(lead_access, severity=3, reported_at=at(2026, 3, 9, 10, 0))
    services.ticket_change_severity(
        access=desk_access, ticket=ticket, severity=2, reason="Finance is blocked", at=at(2026, 3, 9, 10, 30)
    )
    assert ticket.response_due_at == at(2026, 3, 9, 11, 0)
    assert ticket.resolution_due_at == at(2026, 3, 10, 10, 0)


def test_a_late_first_response_is_a_breach(lead_access, desk_access):
    ticket = log(lead_access, severity=1, reported_at=at(2026, 3, 9, 10, 0))
    services.ticket_comment(access=desk_access, ticket=ticket, body="On it", at=at(2026, 3, 9, 10, 20))
    assert ticket.first_responded_at == at(2026, 3, 9, 10, 20)
    assert ticket.response_breached is True and ticket.resolution_breached is False


def test_reopening_resumes_the_resolution_clock_where_it_stopped(lead_access, desk_access):
    ticket = log(lead_access, severity=2, reported_at=at(2026, 3, 9, 10, 0))
    services.ticket_resolve(
        access=desk_access, ticket=ticket, resolution="Fixed the rule", at=at(2026, 3, 9, 16, 0)
    )
    assert ticket.resolution_breached is False
    services.ticket_reopen(
        access=desk_access, ticket=ticket, reason="Still failing", at=at(2026, 3, 10, 9, 0)
    )
    # 6 of 24 hours used; the remaining 18 hours run from the reopen.
    assert ticket.resolution_due_at == at(2026, 3, 11, 3, 0)


def test_the_api_import_of_a_past_ticket_gives_the_worked_example_due_instants(lead):
    response = lead.api().post(
        f"/api/v1/programmes/{lead.programme.slug}/tickets/",
        {
            "title": "Quotes fail",
            "severity": 3,
            "severity_reason": "import",
            "reported_at": "2026-03-14T11:00:00+00:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert datetime.fromisoformat(body["resolution_due_at"]).astimezone(UTC) == at(
        2026, 3, 20, 17, 0
    ).astimezone(UTC)
