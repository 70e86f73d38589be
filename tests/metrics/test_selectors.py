"""The metric selectors: each figure's definition over a window of local days."""

from datetime import UTC, date, datetime, timedelta

import pytest

from hypercare.roles import Team
from metrics import selectors
from metrics.selectors import Window
from tests.factories import TicketFactory
from tests.handover.factories import telemetry

pytestmark = pytest.mark.django_db

# Friday 20 March 2026, noon in London (GMT = UTC).
AT = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TODAY = date(2026, 3, 20)


def at_noon(days_ago: int) -> datetime:
    return AT - timedelta(days=days_ago)


def test_it_describes_the_last_seven_days_ending_today(programme):
    window = Window.ending(programme, at=AT)
    assert (window.first, window.last, window.days) == (date(2026, 3, 14), TODAY, 7)
    assert window.label == "last 7 days, 14 Mar – 20 Mar"
    assert window.start == datetime(2026, 3, 14, tzinfo=UTC) and window.until == AT
    assert window.as_dict() == {"first": "2026-03-14", "last": "2026-03-20", "days": 7, "label": window.label}


def test_it_names_a_past_window_without_last_and_shows_the_year_across_new_year(programme):
    window = Window.between(programme, date(2025, 12, 29), date(2026, 1, 4), at=AT)
    assert window.label == "7 days, 29 Dec 2025 – 4 Jan 2026"
    assert Window.day(programme, TODAY, at=AT).label == "today, 20 Mar"


def test_a_window_follows_the_programmes_time_zone_across_the_clock_change(programme):
    programme.timezone = "America/New_York"
    # New York moved to daylight time on 8 March 2026: that day has 23 hours.
    window = Window.day(programme, date(2026, 3, 8), at=AT)
    assert window.end.astimezone(UTC) - window.start.astimezone(UTC) == timedelta(hours=23)


def test_the_exception_rate_counts_only_days_with_both_series(programme):
    days = [TODAY - timedelta(days=n) for n in range(3)]
    telemetry(programme, "transactions", {days[0]: 10_000, days[1]: 10_000})
    telemetry(programme, "exceptions", {days[0]: 5, days[1]: 3, days[2]: 400})  # day 2: no transactions
    share = selectors.exception_rate(programme, Window.ending(programme, at=AT))
    assert (share.part, share.whole) == (8, 20_000)
    assert share.percent == pytest.approx(0.04) and share.text == "0.040%"


def test_counts_have_no_value_without_data_and_a_zero_with_zeros(programme):
    window = Window.ending(programme, at=AT)
    assert selectors.governor_limit_alerts(programme, window).value is None
    telemetry(programme, "governor_limit_alerts", {TODAY: 0, TODAY - timedelta(days=1): 0})
    telemetry(programme, "lock_contentions", {TODAY - timedelta(days=9): 4})  # outside the window
    assert selectors.governor_limit_alerts(programme, window).value == 0
    assert selectors.lock_contentions(programme, window).value is None


def test_the_bau_share_counts_every_ticket_that_reached_the_desk(programme):
    for team in (Team.BAU, Team.BAU, Team.PROJECT, ""):  # the unassigned one counts in the whole
        TicketFactory(programme=programme, reported_at=at_noon(1), team=team)
    TicketFactory(  # resolved on the spot by a champion: never reached the desk
        programme=programme, reported_at=at_noon(1), status="resolved", tier=1, resolved_at_tier=1
    )
    TicketFactory(programme=programme, reported_at=at_noon(8), team=Team.BAU)  # before the window
    share = selectors.bau_share(programme, Window.ending(programme, at=AT))
    assert (share.part, share.whole, share.percent) == (2, 4, 50.0)


def sla_ticket(programme, *, due_days_ago: float, resolved_days_ago: float | None, team: str = ""):
    due = AT - timedelta(days=due_days_ago)
    resolved = None if resolved_days_ago is None else AT - timedelta(days=resolved_days_ago)
    return TicketFactory(
        programme=programme,
        reported_at=due - timedelta(days=1),
        resolution_due_at=due,
        resolved_at=resolved,
        status="new" if resolved is None else "resolved",
        team=team,
    )


def test_resolution_compliance_judges_resolved_and_overdue_tickets_of_the_window(programme):
    sla_ticket(programme, due_days_ago=2, resolved_days_ago=3, team=Team.BAU)  # on time
    sla_ticket(programme, due_days_ago=3, resolved_days_ago=1, team=Team.BAU)  # late
    sla_ticket(programme, due_days_ago=2, resolved_days_ago=None)  # open, overdue
    sla_ticket(programme, due_days_ago=-2, resolved_days_ago=None)  # open, not due yet: not judged
    sla_ticket(programme, due_days_ago=20, resolved_days_ago=19)  # resolved before the window
    window = Window.ending(programme, at=AT)
    compliance = selectors.resolution_sla_compliance(programme, window)
    assert (compliance.met, compliance.judged, compliance.breached) == (1, 3, 2)
    assert compliance.text == "33.3%"
    bau = selectors.resolution_sla_compliance(programme, window, team=Team.BAU)
    assert (bau.met, bau.judged, bau.percent) == (1, 2, 50.0)


def test_resolution_compliance_has_no_value_when_nothing_was_judged(programme):
    compliance = selectors.resolution_sla_compliance(programme, Window.ending(programme, at=AT))
    assert (compliance.met, compliance.judged, compliance.percent, compliance.text) == (0, 0, None, "—")


def test_resolution_compliance_by_severity_adds_up_to_the_whole(programme):
    sla_ticket(programme, due_days_ago=2, resolved_days_ago=3)
    late = sla_ticket(programme, due_days_ago=3, resolved_days_ago=1)
    late.severity = 1
    late.save()
    window = Window.ending(programme, at=AT)
    by = selectors.resolution_sla_compliance_by(programme, window, by="severity")
    assert {severity: (c.met, c.judged) for severity, c in by.items()} == {1: (0, 1), 3: (1, 1)}
