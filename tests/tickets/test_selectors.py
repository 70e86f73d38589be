"""The reads of the ticket pages on their own: the one ticket loader and the queue's unit filter."""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404

from sla.models import SlaTarget
from tests.factories import HolidayFactory, KnownIssueFactory, TicketFactory
from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(programme, champion, desk):
    HolidayFactory(calendar=programme.calendar, date=date(2026, 12, 25), name="Christmas Day")
    HolidayFactory(calendar=programme.calendar, date=date(2026, 5, 1), name="May Day")
    ticket = log_ticket(champion, title="Quote PDF shows the wrong VAT rate", business_unit="Sales")
    desk_access = access_of(desk)
    services.ticket_take(access=desk_access, ticket=ticket)
    issue = KnownIssueFactory(programme=programme, created_by=desk.user, title="VAT on quote PDFs")
    services.ticket_link(access=desk_access, ticket=ticket, known_issue=issue)
    return ticket


@pytest.mark.parametrize("persona", ["desk", "champion"])
def test_it_loads_the_ticket_and_all_its_page_reads_in_one_query(
    request, persona, ticket, desk, champion, django_assert_num_queries
):
    access = access_of(request.getfixturevalue(persona))
    for _ in range(2):  # the first call of the process compiles the desk's query; the budget holds both times
        # the ticket, with its SLA target's figures, its calendar's holidays and the names it shows
        with django_assert_num_queries(1):
            loaded = selectors.ticket_for_page(access, ticket.reference)
    with django_assert_num_queries(0):
        holidays = [(h.date, h.name) for h in loaded.programme.calendar.holidays.all()]
        policy = loaded.sla_policy
    assert holidays == [(date(2026, 5, 1), "May Day"), (date(2026, 12, 25), "Christmas Day")]
    assert loaded.pk == ticket.pk and policy.pk == ticket.sla_policy_id
    assert loaded.assignee_name == desk.user.get_full_name()
    assert loaded.reporter_name == champion.user.get_full_name()
    assert loaded.known_issue_title == "VAT on quote PDFs"
    assert loaded.has_attachments is False
    target = SlaTarget.objects.get(policy=ticket.sla_policy_id, severity=ticket.severity)
    assert loaded.sla_target_values == {
        "response_minutes": target.response_minutes,
        "resolution_minutes": target.resolution_minutes,
        "clock": target.clock,
        "at_risk_percent": target.at_risk_percent,
    }


def test_it_answers_404_for_a_ticket_the_member_may_not_see(desk, champion):
    other_unit = log_ticket(desk, title="Invoice run stalls", business_unit="Finance")
    assert selectors.ticket_for_page(access_of(desk), other_unit.reference).pk == other_unit.pk
    with pytest.raises(Http404):
        selectors.ticket_for_page(access_of(champion), other_unit.reference)
    with pytest.raises(Http404):
        selectors.ticket_for_page(access_of(desk), "ACME-999999")


def test_it_lists_the_business_units_in_order_in_one_query(
    programme, other_programme, django_assert_num_queries
):
    for unit in ("Sales", "Finance", "Sales", "", "Service"):
        TicketFactory(programme=programme, business_unit=unit)
    TicketFactory(programme=other_programme, business_unit="Legal")
    with django_assert_num_queries(1):
        assert selectors.business_units(programme) == ["Finance", "Sales", "Service"]
