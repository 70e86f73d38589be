"""The programme's ticket count, kept by database triggers, and the API list's `count` it serves."""

from __future__ import annotations

import pytest

from tests.factories import ProgrammeFactory, TicketFactory
from tickets.models import ProgrammeTicketCount, Ticket

pytestmark = pytest.mark.django_db


def counted(programme) -> int:
    row = ProgrammeTicketCount.objects.filter(programme=programme).first()
    return row.tickets if row else 0


def test_every_way_of_writing_tickets_is_counted(programme, other_programme, desk):
    assert counted(programme) == 0
    first = TicketFactory(programme=programme, reporter=desk.user)
    TicketFactory(programme=programme, reporter=desk.user)
    assert counted(programme) == 2
    template = Ticket.objects.get(pk=first.pk)
    copies = []
    for number in range(9_000_900, 9_000_905):  # far from the factory's sequence
        template.pk, template.number, template.reference = None, number, f"COPY-{number}"
        template.title = f"Copy {number}"
        copies.append(
            Ticket(**{f.attname: getattr(template, f.attname) for f in Ticket._meta.concrete_fields})
        )
    Ticket.objects.bulk_create(copies)
    assert counted(programme) == 7
    Ticket.objects.filter(pk=first.pk).update(programme=other_programme)  # moved
    assert (counted(programme), counted(other_programme)) == (6, 1)
    Ticket.objects.filter(title__in=["Copy 9000902", "Copy 9000903", "Copy 9000904"]).delete()
    assert counted(programme) == 3
    assert counted(programme) == Ticket.objects.filter(programme=programme).count()
    assert counted(other_programme) == Ticket.objects.filter(programme=other_programme).count()


def test_the_api_counts_the_programme_from_the_counter(programme, desk, champion):
    other = ProgrammeFactory(slug="initech", ticket_prefix="INI")
    for n in range(7):
        TicketFactory(programme=programme, reporter=desk.user if n % 2 else champion.user)
    TicketFactory(programme=other, reporter=desk.user)
    url = f"/api/v1/programmes/{programme.slug}/tickets/"
    body = desk.api().get(url, {"page_size": 2}).json()
    assert body["count"] == 7 and len(body["results"]) == 2
    assert desk.api().get(url, {"page": 3, "page_size": 2}).json()["next"].endswith("page=4&page_size=2")
    last = desk.api().get(url, {"page": 4, "page_size": 2}).json()
    assert last["next"] is None and len(last["results"]) == 1
    # A filtered list and a champion's own list count their own rows.
    severity = Ticket.objects.filter(programme=programme).values_list("severity", flat=True).first()
    expected = Ticket.objects.filter(programme=programme, severity=severity).count()
    assert desk.api().get(url, {"severity": severity}).json()["count"] == expected
    champion.membership.business_unit = "Unit nobody else is in"
    champion.membership.save()
    mine = Ticket.objects.filter(programme=programme, reporter=champion.user).count()
    assert 0 < mine < 7
    assert champion.api().get(url).json()["count"] == mine
    # A new ticket through the API is in the next list's count.
    created = desk.api().post(
        url,
        {
            "title": "Quote PDF fails",
            "description": "",
            "category": "defect",
            "impact_scope": "subset",
            "workaround": "simple",
            "blocks_vital_process": False,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert desk.api().get(url).json()["count"] == 8
