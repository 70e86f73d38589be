"""Query budgets of the tickets API: the list costs the same whatever the page size."""

from __future__ import annotations

import pytest

from tests.factories import KnownIssueFactory, TicketFactory
from tests.tickets.test_services_transitions import access_of, log

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_queue(desk, engineer, programme):
    # Logged through the services: these carry SLA clocks on the business calendar.
    for title in ("Quote totals wrong", "Invoices stuck", "Report slow"):
        log(access_of(desk), title=title)
    known_issue = KnownIssueFactory(programme=programme)
    for number in range(100, 145):  # numbers clear of the ones the services gave
        TicketFactory(
            programme=programme,
            number=number,
            reporter=desk.user,
            assignee=engineer.user,
            team="project",
            known_issue=known_issue,
        )


@pytest.mark.parametrize("page_size", [5, 48])
def test_it_lists_tickets_in_constant_queries(desk, busy_queue, django_assert_num_queries, page_size):
    api = desk.api()  # creates the token outside the budget
    # token and user; membership with programme, business calendar and holidays (for the SLA
    # figures); count; the page: its ids (deferred join) as a subquery of its columns (assignee and
    # reporter usernames joined)
    with django_assert_num_queries(4):
        response = api.get(f"/api/v1/programmes/acme/tickets/?page_size={page_size}&sort=-reported")
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    assert all(row["kind"] for row in response.json()["results"])


@pytest.mark.parametrize(
    "filters", ["status=open&severity=3", "assignee=engineer&q=ticket", "view=unassigned"]
)
def test_filters_do_not_add_queries(desk, busy_queue, django_assert_num_queries, filters):
    api = desk.api()
    with django_assert_num_queries(4):
        response = api.get(f"/api/v1/programmes/acme/tickets/?{filters}&page_size=48&sort=-reported")
    assert response.status_code == 200


def test_the_detail_has_a_fixed_budget(desk, busy_queue, django_assert_num_queries):
    ticket = log(access_of(desk), title="Many comments")
    from tickets import services

    for n in range(6):
        services.ticket_comment(access=access_of(desk), ticket=ticket, body=f"note {n}", internal=n % 2 == 0)
    # token and user, membership (with calendar and holidays), the ticket (joined), comments, events,
    # attachments
    api = desk.api()
    with django_assert_num_queries(6):
        response = api.get(f"/api/v1/programmes/acme/tickets/{ticket.reference}/")
    assert len(response.json()["comments"]) == 6


def test_known_issues_list_in_constant_queries(desk, programme, django_assert_num_queries):
    KnownIssueFactory.create_batch(12, programme=programme, created_by=desk.user)
    # token and user, membership, count, the page with ticket counts and creators
    api = desk.api()
    with django_assert_num_queries(4):
        response = api.get("/api/v1/programmes/acme/known-issues/")
    assert response.json()["count"] == 12
