"""Taking a ticket: exactly one of several simultaneous takes wins; the others hear who has it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from hypercare.vocabulary import EventKind
from tests.conftest import require_postgres
from tickets import services
from tickets.models import TicketEvent
from tickets.services import TicketStateError

URL = "/api/v1/programmes/acme/tickets/{}/take/"


@pytest.fixture
def ticket(programme, champion):
    from hypercare.access import get_programme_for

    return services.ticket_create(
        access=get_programme_for(champion.user, programme.slug),
        title="Quote totals ignore the discount",
        answers=services.TriageAnswers(
            impact_scope="subset", workaround="simple", blocks_vital_process=False
        ),
    )


def assignments(ticket) -> int:
    return TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).count()


@pytest.mark.django_db
def test_it_changes_nothing_when_you_already_hold_it(desk, ticket):
    api = desk.api()
    assert api.post(URL.format(ticket.reference)).status_code == 200
    again = api.post(URL.format(ticket.reference))
    assert again.status_code == 200
    assert again.json()["assignee"] == "desk"
    assert assignments(ticket) == 1


@pytest.mark.django_db
def test_a_take_of_a_held_ticket_is_refused_naming_the_holder(desk, engineer, ticket):
    from hypercare.access import get_programme_for

    stale = type(ticket).objects.get(pk=ticket.pk)  # read while nobody held it
    assert engineer.api().post(URL.format(ticket.reference)).status_code == 200
    with pytest.raises(TicketStateError, match="has it now"):
        services.ticket_take(access=get_programme_for(desk.user, "acme"), ticket=stale)
    fresh = desk.api().post(URL.format(ticket.reference))  # read after the take: still not a steal
    assert fresh.status_code == 409 and "has it now" in fresh.json()["detail"]
    assert assignments(ticket) == 1


@pytest.mark.services
def test_six_simultaneous_takes_by_three_people_give_one_winner(
    transactional_db, desk, engineer, lead, ticket
):
    require_postgres()
    people = [desk, engineer, lead] * 2
    barrier = threading.Barrier(len(people))
    answers: list[tuple[str, int, dict]] = []

    def take(persona):
        api = persona.api()
        try:
            barrier.wait(timeout=10)
            response = api.post(URL.format(ticket.reference))
            answers.append((persona.user.username, response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(persona,)) for persona in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ticket.refresh_from_db()
    holder = ticket.assignee.username
    assert assignments(ticket) == 1
    assert len(answers) == 6
    for username, status, body in answers:
        if username == holder:
            assert status == 200 and body["assignee"] == holder  # the winner, or their own second take
        else:
            assert status == 409, body
            assert "has it now" in str(body)
