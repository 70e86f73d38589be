"""Who handled the queue: per local day and team, the tickets staff took, answered publicly or resolved."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hypercare.access import ProgrammeAccess
from hypercare.roles import Role, Team
from metrics.handling import handling_by_day, rescues
from tests.factories import TicketFactory
from tickets import services

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 16)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def access(persona) -> ProgrammeAccess:
    m = persona.membership
    return ProgrammeAccess(m.programme, m, frozenset(m.roles), m.user)


def new_ticket(programme, reporter=None, **extra):
    extra.setdefault("reported_at", at(MONDAY, 8))
    if reporter is not None:
        extra["reporter"] = reporter.user
    return TicketFactory(programme=programme, **extra)


def day_of(handling, day: date):
    return next(d for d in handling.days if d.day == day)


def test_it_counts_takes_public_answers_and_resolutions_per_team(programme, desk, bau):
    taken, answered, resolved = (new_ticket(programme) for _ in range(3))
    services.ticket_take(access=access(desk), ticket=taken, at=at(MONDAY))
    services.ticket_comment(
        access=access(bau), ticket=answered, body="Try clearing the filter.", at=at(MONDAY)
    )
    services.ticket_transition(access=access(bau), ticket=resolved, status="in_progress", at=at(MONDAY))
    services.ticket_resolve(
        access=access(bau), ticket=resolved, resolution="Permission set fixed.", at=at(MONDAY)
    )
    monday = day_of(handling_by_day(programme, MONDAY, MONDAY), MONDAY)
    assert (monday.handled, monday.bau, monday.project) == (3, 2, 1)


def test_what_is_not_handling_is_not_counted(programme, desk, bau, lead, champion):
    ticket = new_ticket(programme, reporter=bau)
    services.ticket_comment(
        access=access(champion), ticket=ticket, body="Me too.", at=at(MONDAY)
    )  # not staff
    services.ticket_comment(
        access=access(bau), ticket=ticket, body="Any news?", at=at(MONDAY)
    )  # their own ticket
    services.ticket_comment(access=access(desk), ticket=ticket, body="Checking", internal=True, at=at(MONDAY))
    services.ticket_assign(
        access=access(lead), ticket=ticket, assignee=desk.user, at=at(MONDAY)
    )  # not a take
    handling = handling_by_day(programme, MONDAY, MONDAY)
    assert handling.handled == 0 and day_of(handling, MONDAY).handled == 0


def test_a_ticket_counts_once_per_day_per_team_and_once_in_the_total(programme, desk, bau):
    ticket = new_ticket(programme)
    services.ticket_take(access=access(desk), ticket=ticket, at=at(MONDAY, 9))
    services.ticket_comment(access=access(desk), ticket=ticket, body="On it.", at=at(MONDAY, 10))
    services.ticket_comment(access=access(bau), ticket=ticket, body="Here is how.", at=at(MONDAY, 11))
    services.ticket_comment(
        access=access(bau), ticket=ticket, body="Fixed?", at=at(MONDAY + timedelta(days=1))
    )
    handling = handling_by_day(programme, MONDAY, MONDAY + timedelta(days=1))
    monday, tuesday = handling.days
    assert (monday.handled, monday.bau, monday.project) == (1, 1, 1)
    assert monday.bau_share == 100 and monday.comanaged(25)
    assert (tuesday.handled, tuesday.bau, tuesday.project) == (1, 1, 0)
    assert (handling.handled, handling.bau) == (1, 1)  # one distinct ticket over the window


def test_days_are_the_programmes_local_days(programme, bau):
    # 23:30 UTC on Sunday 29 March is 00:30 on Monday 30 March in London (summer time began that night).
    ticket = new_ticket(programme)
    services.ticket_take(access=access(bau), ticket=ticket, at=datetime(2026, 3, 29, 23, 30, tzinfo=UTC))
    handling = handling_by_day(programme, date(2026, 3, 29), date(2026, 3, 30))
    assert [(d.day, d.bau) for d in handling.days] == [(date(2026, 3, 29), 0), (date(2026, 3, 30), 1)]


def test_a_day_nobody_handled_a_ticket_is_not_co_managed(programme):
    empty = day_of(handling_by_day(programme, MONDAY, MONDAY), MONDAY)
    assert empty.handled == 0 and empty.bau_share is None and not empty.comanaged(0)


def test_it_reads_any_window_in_two_queries(programme, desk, bau):
    for n in range(6):
        ticket = new_ticket(programme)
        services.ticket_take(
            access=access([desk, bau][n % 2]), ticket=ticket, at=at(MONDAY + timedelta(days=n))
        )
    # tickets handled per day and team; distinct tickets handled in the window
    with CaptureQueriesContext(connection) as queries:
        handling = handling_by_day(programme, MONDAY - timedelta(days=30), MONDAY + timedelta(days=30))
    assert len(queries) == 2 and len(handling.days) == 61 and handling.handled == 6


def test_a_ticket_moving_from_a_bau_person_to_the_project_team_is_a_rescue(programme, bau, engineer, lead):
    ticket = new_ticket(programme)
    services.ticket_take(access=access(bau), ticket=ticket, at=at(MONDAY, 9))
    services.ticket_assign(access=access(lead), ticket=ticket, assignee=engineer.user, at=at(MONDAY, 11))
    [move] = rescues(programme, MONDAY, MONDAY)
    assert (move.reference, move.at, move.from_username, move.to_username, move.by_username) == (
        ticket.reference,
        at(MONDAY, 11),
        "bau",
        "engineer",
        "lead",
    )


def test_an_escalation_that_clears_the_assignee_still_shows_whose_ticket_it_was(programme, bau, engineer):
    ticket = new_ticket(programme)
    services.ticket_take(access=access(bau), ticket=ticket, at=at(MONDAY, 9))
    services.ticket_escalate(
        access=access(bau),
        ticket=ticket,
        to_tier=3,
        replication_steps="Open any Opportunity.",
        at=at(MONDAY, 10),
    )
    assert ticket.assignee is None
    services.ticket_take(access=access(engineer), ticket=ticket, at=at(MONDAY, 12))
    [move] = rescues(programme, MONDAY, MONDAY)
    assert (move.from_username, move.to_username) == ("bau", "engineer")


def test_moves_within_a_team_or_towards_bau_are_not_rescues(programme, make_persona, bau, desk, engineer):
    bau2 = make_persona(Role.BAU, team=Team.BAU, username="bau2")
    first, second = new_ticket(programme), new_ticket(programme)
    services.ticket_take(access=access(desk), ticket=first, at=at(MONDAY, 9))
    # A held ticket changes hands by assignment (a take is for unassigned tickets only).
    services.ticket_assign(access=access(engineer), ticket=first, assignee=engineer.user, at=at(MONDAY, 10))
    services.ticket_assign(access=access(bau), ticket=first, assignee=bau.user, at=at(MONDAY, 11))
    services.ticket_take(access=access(bau), ticket=second, at=at(MONDAY, 9))
    services.ticket_assign(
        access=access(bau2), ticket=second, assignee=bau2.user, at=at(MONDAY, 10)
    )  # BAU to BAU
    assert rescues(programme, MONDAY, MONDAY) == []
