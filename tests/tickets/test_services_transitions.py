"""Every move of the status table, through the services (no UI): allowed ones happen, the rest are refused with a reason."""

from __future__ import annotations

import itertools

import pytest

from hypercare.access import get_programme_for
from hypercare.vocabulary import EventKind, Status
from tickets import services
from tickets.models import TRANSITIONS, Ticket, TicketEvent
from tickets.services import TicketStateError

pytestmark = pytest.mark.django_db

ALL_MOVES = list(itertools.product(Status.values, Status.values))
ALLOWED = [(old, new) for old, new in ALL_MOVES if new in TRANSITIONS[old]]
REFUSED = [(old, new) for old, new in ALL_MOVES if new not in TRANSITIONS[old]]


def access_of(persona):
    return get_programme_for(persona.user, persona.programme.slug)


# Triage answers the default matrix (sla.matrix) gives each severity for.
ANSWERS_FOR = {
    1: ("department", "none", True),
    2: ("department", "painful", False),
    3: ("subset", "simple", False),
    4: ("individual", "simple", False),
}


def log(access, *, severity: int = 3, business_unit: str = "Sales", **kwargs) -> Ticket:
    if not access.can_work_queue:
        # Reporters never choose a severity: answers that the default matrix gives `severity` for.
        kwargs.setdefault("answers", services.TriageAnswers(*ANSWERS_FOR[severity]))
        return services.ticket_create(
            access=access,
            title=kwargs.pop("title", "Quotes cannot be saved"),
            business_unit=business_unit,
            **kwargs,
        )
    return services.ticket_create(
        access=access,
        title=kwargs.pop("title", "Quotes cannot be saved"),
        severity=severity,
        severity_reason="set by the test",
        business_unit=business_unit,
        **kwargs,
    )


def ticket_in(status: str, access, **kwargs) -> Ticket:
    """A ticket brought to `status` the way people would, through the services."""
    ticket = log(access, **kwargs)
    path = {
        Status.NEW: [],
        Status.TRIAGED: [Status.TRIAGED],
        Status.IN_PROGRESS: [Status.IN_PROGRESS],
        Status.WAITING_ON_REPORTER: [Status.IN_PROGRESS, Status.WAITING_ON_REPORTER],
        Status.RESOLVED: [Status.RESOLVED],
        Status.CLOSED: [Status.RESOLVED, Status.CLOSED],
        Status.DEFERRED: [Status.DEFERRED],
    }[status]
    for step in path:
        if step == Status.RESOLVED:
            services.ticket_resolve(access=access, ticket=ticket, resolution="Fixed the validation rule.")
        else:
            services.ticket_transition(access=access, ticket=ticket, status=step)
    assert ticket.status == status
    return ticket


def move(access, ticket: Ticket, new: str) -> Ticket:
    """The service a person uses for this move: resolve and reopen have their own."""
    if new == Status.RESOLVED:
        return services.ticket_resolve(access=access, ticket=ticket, resolution="Done, see the note.")
    if ticket.status in (Status.RESOLVED, Status.CLOSED) and new == Status.IN_PROGRESS:
        return services.ticket_reopen(access=access, ticket=ticket, reason="It happens again.")
    return services.ticket_transition(access=access, ticket=ticket, status=new, comment="Moving on.")


@pytest.fixture
def desk_access(desk):
    return access_of(desk)


@pytest.mark.parametrize(("old", "new"), ALLOWED)
def test_it_allows_every_move_of_the_status_table(desk_access, old, new):
    ticket = ticket_in(old, desk_access)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()
    move(desk_access, ticket, new)
    assert Ticket.objects.get(pk=ticket.pk).status == new
    last = TicketEvent.objects.filter(ticket=ticket).order_by("at", "pk").last()
    assert TicketEvent.objects.filter(ticket=ticket).count() > events_before
    assert last.to_value == new and last.actor == desk_access.user


@pytest.mark.parametrize(("old", "new"), REFUSED)
def test_it_refuses_every_move_outside_the_status_table_with_a_reason(desk_access, old, new):
    ticket = ticket_in(old, desk_access)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()
    with pytest.raises(TicketStateError) as refused:
        move(desk_access, ticket, new)
    message = str(refused.value)
    assert Status(old).label.lower() in message
    if old != new:
        assert Status(new).label.lower() in message
    assert Ticket.objects.get(pk=ticket.pk).status == old
    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before


def test_it_lists_the_possible_statuses_when_refusing(desk_access):
    ticket = ticket_in(Status.DEFERRED, desk_access)
    with pytest.raises(TicketStateError, match="cannot become in progress; it can become: closed, triaged"):
        services.ticket_transition(access=desk_access, ticket=ticket, status=Status.IN_PROGRESS)


def test_it_sends_resolution_through_resolve_with_a_note(desk_access):
    ticket = ticket_in(Status.IN_PROGRESS, desk_access)
    with pytest.raises(TicketStateError, match="Use resolve"):
        services.ticket_transition(access=desk_access, ticket=ticket, status=Status.RESOLVED)
    with pytest.raises(services.ValidationError) as empty:
        services.ticket_resolve(access=desk_access, ticket=ticket, resolution="  ")
    assert "resolution" in empty.value.message_dict


def test_it_reopens_a_resolved_ticket_only_through_reopen_with_a_reason(desk_access):
    ticket = ticket_in(Status.RESOLVED, desk_access)
    with pytest.raises(TicketStateError, match="Use reopen"):
        services.ticket_transition(access=desk_access, ticket=ticket, status=Status.IN_PROGRESS)
    with pytest.raises(services.ValidationError) as no_reason:
        services.ticket_reopen(access=desk_access, ticket=ticket, reason="")
    assert "reason" in no_reason.value.message_dict
    services.ticket_reopen(access=desk_access, ticket=ticket, reason="Still failing for Finance")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.resolved_at is None
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.RESOLVED, EventKind.REOPENED]  # the history stays


def test_it_refuses_to_reopen_an_open_ticket(desk_access):
    ticket = ticket_in(Status.TRIAGED, desk_access)
    with pytest.raises(TicketStateError, match="Only a resolved or closed ticket can be reopened"):
        services.ticket_reopen(access=desk_access, ticket=ticket, reason="Why not")


@pytest.mark.parametrize("severity", [1, 2])
def test_it_refuses_to_defer_sev1_and_sev2_tickets(desk_access, severity):
    ticket = ticket_in(Status.TRIAGED, desk_access, severity=severity)
    with pytest.raises(TicketStateError, match="not deferred"):
        services.ticket_transition(access=desk_access, ticket=ticket, status=Status.DEFERRED)


def test_a_stale_copy_loses_the_race_cleanly(desk_access):
    ticket = ticket_in(Status.NEW, desk_access)
    stale = Ticket.objects.get(pk=ticket.pk)
    services.ticket_transition(access=desk_access, ticket=ticket, status=Status.IN_PROGRESS)
    with pytest.raises(TicketStateError, match="Someone else changed this ticket"):
        services.ticket_transition(access=desk_access, ticket=stale, status=Status.TRIAGED)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


def test_it_refuses_an_unknown_status_as_a_field_error(desk_access):
    ticket = ticket_in(Status.NEW, desk_access)
    with pytest.raises(services.ValidationError) as error:
        services.ticket_transition(access=desk_access, ticket=ticket, status="done")
    assert "status" in error.value.message_dict
