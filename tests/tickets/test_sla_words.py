"""The queue's SLA column says by how much: "breached 3 h ago", "due in 40 min"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hypercare.timewords import span_words
from tests.tickets.pages_helpers import access_of, log_ticket
from tickets import services
from tickets.models import Ticket
from tickets.rows import sla_words

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=20), "under a minute"),
        (timedelta(minutes=40), "40 min"),
        (timedelta(hours=3, minutes=59), "3 h"),
        (timedelta(hours=47), "47 h"),
        (timedelta(days=3, hours=5), "3 d"),
        (-timedelta(minutes=5), "5 min"),
    ],
)
def test_it_says_a_span_in_its_largest_useful_unit(delta, words):
    assert span_words(delta) == words


def _ticket(**fields) -> Ticket:
    fields.setdefault("status", "in_progress")
    return Ticket(reported_at=NOW - timedelta(days=1), **fields)


def test_it_says_how_long_ago_a_target_was_breached():
    late = _ticket(resolution_due_at=NOW - timedelta(hours=3, minutes=10), first_responded_at=NOW)
    assert sla_words(late, NOW) == "breached 3 h ago"


def test_it_counts_from_the_earliest_breached_target():
    ticket = _ticket(
        status="new",
        response_due_at=NOW - timedelta(minutes=50),
        resolution_due_at=NOW - timedelta(minutes=5),
    )
    assert sla_words(ticket, NOW) == "breached 50 min ago"


def test_it_says_how_long_is_left_on_the_next_target():
    unanswered = _ticket(
        status="new", response_due_at=NOW + timedelta(minutes=40), resolution_due_at=NOW + timedelta(days=2)
    )
    answered = _ticket(first_responded_at=NOW, resolution_due_at=NOW + timedelta(days=2, hours=1))
    assert sla_words(unanswered, NOW) == "due in 40 min"
    assert sla_words(answered, NOW) == "due in 2 d"


def test_a_done_or_clockless_ticket_has_no_words():
    assert sla_words(_ticket(status="resolved", resolution_due_at=NOW + timedelta(hours=1)), NOW) == ""
    assert sla_words(_ticket(), NOW) == ""


@pytest.mark.django_db
def test_it_shows_the_words_in_the_queue(client, desk, champion):
    ticket = log_ticket(champion, title="Quotes do not save")
    late = log_ticket(champion, title="Late one")
    services.ticket_take(access=access_of(desk), ticket=late)
    Ticket.objects.filter(pk=late.pk).update(response_due_at=NOW - timedelta(hours=3))
    client.force_login(desk.user)
    html = client.get("/p/acme/tickets/?view=all").content.decode()
    row = html[html.index(f'id="row-{ticket.reference}"') :]
    row = row[: row.index("</tr>")]
    assert "due in " in row
    late_row = html[html.index(f'id="row-{late.reference}"') :]
    late_row = late_row[: late_row.index("</tr>")]
    assert "breached " in late_row and " ago" in late_row
