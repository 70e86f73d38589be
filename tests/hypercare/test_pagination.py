"""The paginators of long lists: the same rows in the same order whichever way a page is read."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hypercare.pagination import FastPaginator
from tests.factories import TicketFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(programme, desk):
    for n in range(23):
        TicketFactory(programme=programme, reporter=desk.user, severity=1 + n % 4, title=f"Row {n:02d}")
    return Ticket.objects.filter(programme=programme).select_related("reporter").order_by("severity", "-pk")


def _titles(page) -> list[str]:
    return [ticket.title for ticket in page.object_list]


def test_direct_and_deferred_reads_give_the_same_pages(tickets):
    expected = [ticket.title for ticket in tickets]
    for number in (1, 2, 3):
        deferred = FastPaginator(tickets, 10).get_page(number)
        direct = FastPaginator(tickets, 10, direct_depth=1_000).get_page(number)
        assert _titles(deferred) == _titles(direct) == expected[(number - 1) * 10 : number * 10]


def test_a_shallow_page_is_one_query_fewer(tickets):
    with CaptureQueriesContext(connection) as deferred:
        _titles(FastPaginator(tickets, 10).get_page(1))
    with CaptureQueriesContext(connection) as direct:
        _titles(FastPaginator(tickets, 10, direct_depth=10).get_page(1))
    with CaptureQueriesContext(connection) as deep:
        _titles(FastPaginator(tickets, 10, direct_depth=10).get_page(2))  # offset 10: deferred again
    assert (len(deferred), len(direct), len(deep)) == (3, 2, 3)  # count, [ids,] rows


def test_the_count_stops_near_the_page_asked_for(tickets):
    paginator = FastPaginator(tickets, 1, count_limit=8)
    page = paginator.get_page(1)
    # At least ten pages past the one asked for are counted, then no more: "11+ tickets".
    assert paginator.count == 11 and paginator.count_is_exact is False
    assert len(page.object_list) == 1
    deeper = FastPaginator(tickets, 1, count_limit=8)
    assert deeper.get_page(5).number == 5 and deeper.count == 15
    exact = FastPaginator(tickets, 5, count_limit=100)
    exact.get_page(1)
    assert exact.count == 23 and exact.count_is_exact is True


def test_the_rows_hook_decorates_only_the_page(tickets):
    paginator = FastPaginator(
        tickets, 10, rows=lambda rows: rows.select_related(None).only("title", "severity"), direct_depth=10
    )
    first = paginator.get_page(1).object_list
    assert {"description"} <= first[0].get_deferred_fields()  # loaded with only() in one query
    second = FastPaginator(
        tickets, 10, rows=lambda rows: rows.select_related(None).only("title", "severity")
    ).get_page(2)
    assert {"description"} <= second.object_list[0].get_deferred_fields()
