"""Worked examples: every severity on a 24×7 and a business clock, across weekends, holidays and both
DST changes in Europe/London and America/New_York, with pauses, reopens and severity changes.

Each expected instant was worked out by hand from the rules in the README (09:00–17:00 working
hours, Monday to Friday, in the programme's zone)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hypercare.roles import Role
from sla.policy import default_targets, sla_policy_create
from tests.factories import MembershipFactory, ProgrammeFactory, UserFactory
from tests.triage.conftest import access_of
from tickets import services as tickets

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def ldn(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def nyc(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


class Team:
    def __init__(self, programme):
        self.programme = programme
        self.lead = MembershipFactory(programme=programme, user=UserFactory(), roles=[Role.LEAD])
        self.desk = MembershipFactory(programme=programme, user=UserFactory(), roles=[Role.DESK])

    @property
    def lead_access(self):
        from tests.conftest import Persona

        return access_of(Persona(self.lead))

    @property
    def desk_access(self):
        from tests.conftest import Persona

        return access_of(Persona(self.desk))

    def log(self, severity: int, reported_at: datetime):
        return tickets.ticket_create(
            access=self.lead_access,
            title="Worked example",
            severity=severity,
            severity_reason="worked example",
            reported_at=reported_at,
            at=reported_at + timedelta(seconds=1),
        )

    def move(self, ticket, status: str, at: datetime):
        return tickets.ticket_transition(access=self.desk_access, ticket=ticket, status=status, at=at)


def team(**programme) -> Team:
    return Team(ProgrammeFactory(**programme))


def with_clock(team_: Team, clock: str) -> Team:
    """The default targets, all on one clock, in force for everything logged in 2026."""
    targets = {sev: {**values, "clock": clock} for sev, values in default_targets(8 * 60).items()}
    sla_policy_create(
        programme=team_.programme, targets=targets, effective_from=datetime(2026, 1, 1, tzinfo=UTC)
    )
    return team_


# Logged on Friday 27 March 2026 at 15:00 in London: a weekend and the spring-forward night follow.
FRIDAY_BEFORE_SPRING = ldn(2026, 3, 27, 15, 0)
SEVERITY_BY_CLOCK = [
    # (clock, severity, response due, resolution due)
    ("24x7", 1, ldn(2026, 3, 27, 15, 15), ldn(2026, 3, 27, 19, 0)),
    ("24x7", 2, ldn(2026, 3, 27, 16, 0), ldn(2026, 3, 28, 15, 0)),
    ("24x7", 3, ldn(2026, 3, 27, 19, 0), ldn(2026, 3, 29, 8, 0)),  # 40 real hours: 07:00 UTC is 08:00 BST
    ("24x7", 4, ldn(2026, 3, 28, 15, 0), None),
    ("business", 1, ldn(2026, 3, 27, 15, 15), ldn(2026, 3, 30, 11, 0)),
    ("business", 2, ldn(2026, 3, 27, 16, 0), ldn(2026, 4, 1, 15, 0)),
    ("business", 3, ldn(2026, 3, 30, 11, 0), ldn(2026, 4, 3, 15, 0)),
    ("business", 4, ldn(2026, 4, 1, 15, 0), None),
]


@pytest.mark.parametrize("clock, severity, response_due, resolution_due", SEVERITY_BY_CLOCK)
def test_each_severity_on_each_clock_across_a_weekend_and_the_london_spring_change(
    clock, severity, response_due, resolution_due
):
    example = with_clock(team(slug=f"ex-{clock}-{severity}"), clock)
    ticket = example.log(severity, FRIDAY_BEFORE_SPRING)
    assert ticket.sla_clock == clock
    assert ticket.response_due_at == response_due
    assert ticket.resolution_due_at == resolution_due


def test_easter_holidays_push_a_sev3_in_london_past_the_long_weekend():
    example = team(slug="easter", holidays=[date(2026, 4, 3), date(2026, 4, 6)])  # Good Friday, Easter Monday
    ticket = example.log(3, FRIDAY_BEFORE_SPRING)
    assert ticket.response_due_at == ldn(2026, 3, 30, 11, 0)
    # Fri 2 h + Mon–Thu 32 h = 34 h; Fri 3 and Mon 6 April are holidays; 6 h on Tue 7 April.
    assert ticket.resolution_due_at == ldn(2026, 4, 7, 15, 0)


def test_sev1_round_the_clock_across_the_london_autumn_night_is_four_real_hours():
    ticket = team(slug="autumn").log(1, ldn(2026, 10, 24, 23, 0))
    assert ticket.response_due_at == ldn(2026, 10, 24, 23, 15)
    # 23:00 BST + 4 h = 02:00 GMT: the wall clock moved only three hours.
    assert ticket.resolution_due_at == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert ticket.resolution_due_at.astimezone(LONDON).hour == 2


def test_sev3_business_hours_across_the_london_autumn_weekend():
    ticket = team(slug="autumn3").log(3, ldn(2026, 10, 23, 16, 0))
    assert ticket.response_due_at == ldn(2026, 10, 26, 12, 0)  # Fri 1 h, Mon 09:00 GMT + 3 h
    assert ticket.resolution_due_at == ldn(2026, 10, 30, 16, 0)  # Fri 1 h + Mon–Thu 32 h + Fri 7 h


def test_sev4_over_christmas_in_london_skips_the_bank_holidays():
    example = team(slug="xmas", holidays=[date(2026, 12, 25), date(2026, 12, 28)])
    ticket = example.log(4, ldn(2026, 12, 24, 10, 0))
    # Thu 7 h, Fri 25 and Mon 28 are holidays, Tue 8 h, Wed 8 h, Thu 31 the last hour.
    assert ticket.response_due_at == ldn(2026, 12, 31, 10, 0)
    assert ticket.resolution_due_at is None


def test_new_york_spring_forward_on_business_hours_and_round_the_clock():
    example = team(slug="nyc-spring", timezone="America/New_York")
    sev3 = example.log(3, nyc(2026, 3, 6, 15, 0))
    assert sev3.response_due_at == nyc(2026, 3, 9, 11, 0)  # Fri 2 h, Mon 09:00 EDT + 2 h
    assert sev3.response_due_at == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    sev1 = example.log(1, nyc(2026, 3, 7, 23, 30))
    assert sev1.resolution_due_at == datetime(2026, 3, 8, 8, 30, tzinfo=UTC)  # 04:30 EDT
    assert sev1.resolution_due_at.astimezone(NEW_YORK).hour == 4


def test_new_york_fall_back_sev2_is_24_real_hours():
    ticket = team(slug="nyc-fall", timezone="America/New_York").log(2, nyc(2026, 10, 31, 12, 0))
    assert ticket.resolution_due_at == nyc(2026, 11, 1, 11, 0)
    assert ticket.resolution_due_at - ticket.reported_at == timedelta(hours=24)


def test_thanksgiving_in_new_york_is_not_counted():
    example = team(slug="nyc-thanks", timezone="America/New_York", holidays=[date(2026, 11, 26)])
    ticket = example.log(3, nyc(2026, 11, 25, 13, 0))
    assert ticket.response_due_at == nyc(2026, 11, 25, 17, 0)
    # Wed 4 h, Thanksgiving off, Fri 8 h, Mon–Wed 24 h, Thu 3 December 4 h.
    assert ticket.resolution_due_at == nyc(2026, 12, 3, 13, 0)


def test_a_pause_over_a_weekend_counts_only_its_working_hours():
    example = team(slug="pause-weekend")
    ticket = example.log(3, ldn(2026, 3, 9, 10, 0))
    example.move(ticket, "in_progress", ldn(2026, 3, 9, 10, 30))
    example.move(ticket, "waiting_on_reporter", ldn(2026, 3, 13, 16, 0))
    assert ticket.paused_at == ldn(2026, 3, 13, 16, 0) and ticket.resolution_due_at is None
    example.move(ticket, "in_progress", ldn(2026, 3, 16, 10, 0))
    # 38 of 40 hours were used by Friday 16:00; 2 left from Monday 10:00.
    assert ticket.resolution_due_at == ldn(2026, 3, 16, 12, 0)
    assert ticket.resolution_breached is False


def test_a_severity_change_while_paused_keeps_the_pause_and_takes_the_new_targets():
    example = team(slug="pause-sev")
    ticket = example.log(3, ldn(2026, 3, 9, 10, 0))
    example.move(ticket, "in_progress", ldn(2026, 3, 9, 10, 30))
    example.move(ticket, "waiting_on_reporter", ldn(2026, 3, 9, 11, 0))
    tickets.ticket_change_severity(
        access=example.desk_access,
        ticket=ticket,
        severity=2,
        reason="Payroll blocked",
        at=ldn(2026, 3, 9, 12, 0),
    )
    assert ticket.sla_clock == "24x7" and ticket.response_due_at == ldn(2026, 3, 9, 11, 0)
    assert ticket.response_breached is False  # answered at 10:30
    example.move(ticket, "in_progress", ldn(2026, 3, 9, 14, 0))
    # Sev2: 24 real hours; 1 hour ran before the pause, 23 run from 14:00.
    assert ticket.resolution_due_at == ldn(2026, 3, 10, 13, 0)


def test_a_reopen_after_a_weekend_resumes_the_business_clock_where_it_stopped():
    example = team(slug="reopen-weekend")
    ticket = example.log(3, ldn(2026, 3, 9, 10, 0))
    tickets.ticket_resolve(
        access=example.desk_access,
        ticket=ticket,
        resolution="Permission set fixed",
        at=ldn(2026, 3, 11, 10, 0),
    )
    assert ticket.resolution_due_at == ldn(2026, 3, 16, 10, 0)
    tickets.ticket_reopen(
        access=example.desk_access, ticket=ticket, reason="Back again", at=ldn(2026, 3, 16, 9, 0)
    )
    # 16 of 40 working hours used before the resolution; 24 from Monday 09:00.
    assert ticket.resolution_due_at == ldn(2026, 3, 18, 17, 0)


def test_a_ticket_a_champion_closed_at_tier_1_starts_its_clocks_when_it_reaches_the_desk(make_persona):
    example = team(slug="tier1")
    champion = MembershipFactory(programme=example.programme, user=UserFactory(), roles=[Role.CHAMPION])
    from tests.conftest import Persona

    ticket = tickets.ticket_create(
        access=access_of(Persona(champion)),
        title="Cannot find the quote button",
        category="how_to",
        answers=tickets.TriageAnswers("individual", "simple", False),
        resolved_at_tier1=True,
        resolution="Showed the new layout",
        at=ldn(2026, 3, 9, 10, 0),
    )
    assert ticket.sla_started_at is None and ticket.response_due_at is None
    tickets.ticket_reopen(
        access=access_of(Persona(champion)), ticket=ticket, reason="Still missing", at=ldn(2026, 3, 10, 15, 0)
    )
    assert ticket.sla_started_at == ldn(2026, 3, 10, 15, 0)
    assert ticket.response_due_at == ldn(2026, 3, 13, 15, 0)  # 24 working hours from the reopen


def test_the_api_creation_of_a_past_ticket_matches_the_worked_example(lead):
    response = lead.api().post(
        f"/api/v1/programmes/{lead.programme.slug}/tickets/",
        {
            "title": "Autumn outage",
            "severity": 1,
            "severity_reason": "import",
            "reported_at": "2026-10-24T22:00:00+00:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert datetime.fromisoformat(body["resolution_due_at"]) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert datetime.fromisoformat(body["response_due_at"]) == ldn(2026, 10, 24, 23, 15)
