"""Finding known issues and earlier tickets from a few words: SQLite's word match and PostgreSQL's full-text search."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.conftest import require_postgres
from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import search, services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def issues(desk):
    create = services.known_issue_create
    return {
        "vat": create(
            access=access_of(desk), title="Quote PDF shows the wrong VAT rate", symptoms="Irish quotes"
        ),
        "sap": create(
            access=access_of(desk), title="Order sync to SAP stalls", workaround="Orders replay later"
        ),
        "slow": create(access=access_of(desk), title="Case list views are slow", symptoms="Quote lists too"),
        "gone": create(access=access_of(desk), title="Quote PDF logo missing", status="wont_fix"),
    }


def test_words_drops_short_and_stop_words_and_repeats():
    assert search.words("How do I fix the VAT on the quote PDF? quote!") == ["fix", "vat", "quote", "pdf"]
    assert search.words("") == [] and search.words("a an to") == []


def test_it_ranks_the_known_issue_matching_most_words_first(issues):
    found = search.matching_known_issues(issues["vat"].programme, "wrong VAT on my quote PDF")
    assert found[0] == issues["vat"]
    assert issues["gone"] not in found, "won't-fix problems are not offered"
    assert issues["sap"] not in found


def test_nothing_matches_nothing(issues):
    assert search.matching_known_issues(issues["vat"].programme, "") == []
    assert search.matching_known_issues(issues["vat"].programme, "zebra crossing") == []


def test_known_issues_of_another_programme_are_never_found(issues, outsider):
    services.known_issue_create(access=access_of(outsider, "globex"), title="Quote PDF VAT at Globex")
    found = search.matching_known_issues(issues["vat"].programme, "quote pdf vat")
    assert all(issue.programme_id == issues["vat"].programme_id for issue in found)


def test_similar_resolved_tickets_are_only_resolved_visible_ones(champion, desk, make_persona):
    finance = make_persona("champion", business_unit="Finance", username="fin")
    solved = log_ticket(champion, title="Quote PDF VAT wrong")
    services.ticket_resolve(access=access_of(desk), ticket=solved, resolution="Template fixed")
    log_ticket(champion, title="Quote PDF VAT still open")
    hidden = log_ticket(finance, title="Quote PDF VAT finance")
    services.ticket_resolve(access=access_of(desk), ticket=hidden, resolution="Fixed for finance")
    assert search.similar_resolved_tickets(access_of(champion), "quote vat") == [solved]
    assert set(search.similar_resolved_tickets(access_of(desk), "quote vat")) == {solved, hidden}


def test_queue_text_filter_needs_every_word_or_the_reference(champion):
    a = log_ticket(champion, title="Quote PDF VAT wrong")
    b = log_ticket(champion, title="Quote approval stuck")
    tickets = Ticket.objects.all()
    assert list(search.filter_tickets(tickets, "quote vat")) == [a]
    assert set(search.filter_tickets(tickets, "quote")) == {a, b}
    assert list(search.filter_tickets(tickets, b.reference.lower())) == [b]
    assert set(search.filter_tickets(tickets, "  ")) == {a, b}


def test_each_search_is_one_query(issues, champion, django_assert_num_queries):
    programme = issues["vat"].programme
    with django_assert_num_queries(1):
        search.matching_known_issues(programme, "quote pdf vat wrong rate irish customers")
    access = access_of(champion)
    access.membership.user  # noqa: B018 -- loaded once per request by visible_to, not per search
    with django_assert_num_queries(1):
        search.similar_resolved_tickets(access, "quote pdf vat wrong rate irish customers")


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite fallback (PostgreSQL uses full-text search)"
)
def test_on_sqlite_it_matches_words_inside_longer_words(issues):
    found = search.matching_known_issues(issues["vat"].programme, "stall")
    assert found == [issues["sap"]]


def test_on_postgresql_it_uses_full_text_search_with_stemming(issues, champion, desk):
    require_postgres()
    programme = issues["vat"].programme
    # "stalling" and "stalls" share a stem; "views" and "view" too.
    assert search.matching_known_issues(programme, "sync stalling") == [issues["sap"]]
    assert search.matching_known_issues(programme, "case list view")[0] == issues["slow"]
    # websearch syntax in the queue filter: quoted phrases and -exclusions.
    a = log_ticket(champion, title="Quote PDF shows wrong VAT")
    b = log_ticket(champion, title="Quote approval is stuck")
    assert list(search.filter_tickets(Ticket.objects.all(), "quote -approval")) == [a]
    assert list(search.filter_tickets(Ticket.objects.all(), '"quote approval"')) == [b]
    assert list(search.filter_tickets(Ticket.objects.all(), "approvals")) == [b]
