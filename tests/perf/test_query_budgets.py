"""Query budgets of every page and list: a fixed number of SQL queries, at most 10, whatever the data.

Each endpoint is read at two data sizes (5 tickets, then 50 with comments, assignees and a known
issue) and must issue exactly its pinned number of queries both times. The budget counts every
query of the request, from the session lookup to the navigation's badge: the page a member sees,
not a partial. `bench/run.py` measures what these budgets buy at 10,000 to 1,000,000 tickets.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hypercare.access import get_programme_for
from tests.factories import CommentFactory, KnownIssueFactory, TicketFactory
from tickets import services

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10
STATUSES = ["new", "triaged", "in_progress", "waiting_on_reporter", "resolved", "closed"]


def grow(programme, *, to: int, people) -> str:
    """Bring the programme to `to` tickets: logged through the service (SLA clocks, timeline) and
    written straight to the table (every status, severity, tier, assignee, a known issue, comments)."""
    desk, champion, engineer = people
    access = get_programme_for(desk.user, programme.slug)
    have = programme.tickets.count()
    if have == 0:
        for n in range(3):
            services.ticket_create(
                access=access,
                title=f"Quote PDF fails {n}",
                severity=1 + n,
                severity_reason="set by the test",
                business_unit="Sales",
            )
        have = 3
    known_issue = KnownIssueFactory(programme=programme, created_by=desk.user)
    now = timezone.now()
    for n in range(have, to):
        ticket = TicketFactory(
            programme=programme,
            number=1000 + n,
            reporter=champion.user if n % 2 else desk.user,
            assignee=engineer.user if n % 3 else None,
            status=STATUSES[n % len(STATUSES)],
            severity=1 + n % 4,
            tier=2 + n % 2,
            known_issue=known_issue if n % 5 == 0 else None,
            reported_at=now - timedelta(hours=n),
        )
        CommentFactory(ticket=ticket, author=desk.user, internal=bool(n % 2))
    return programme.tickets.order_by("pk").values_list("reference", flat=True).first()


def count(client_or_api, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client_or_api.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries.captured_queries)


PAGES = [
    # (label, persona, URL name, takes a ticket reference, pinned budget)
    ("Tier 2 queue", "desk", "tickets:queue", False, 6),
    ("lead's queue, every ticket", "lead", "tickets:queue", False, 6),
    ("my tickets", "champion", "tickets:mine", False, 6),
    # session, user, memberships (access), the ticket (with its holidays), events, comments
    ("ticket page (desk)", "desk", "tickets:detail", True, 6),
    ("ticket page (champion)", "champion", "tickets:detail", True, 6),
    ("known issues", "desk", "tickets:known_issues", False, None),
    ("notifications", "desk", "tickets:notifications", False, None),
    ("triage board", "lead", "triage:board", False, 8),
]


@pytest.mark.parametrize(
    ("label", "persona", "name", "needs_ticket", "budget"),
    PAGES,
    ids=[p[0] for p in PAGES],
)
def test_every_page_has_a_fixed_budget(
    client, request, programme, desk, champion, engineer, lead, label, persona, name, needs_ticket, budget
):
    people = (desk, champion, engineer)
    member = request.getfixturevalue(persona)
    client.force_login(member.user)
    reference = grow(programme, to=5, people=people)
    url = reverse(name, args=[programme.slug, reference] if needs_ticket else [programme.slug])
    client.get(url)  # the first request of a session may touch it; the budget is for the next ones
    small = count(client, url)
    grow(programme, to=50, people=people)
    large = count(client, url)
    assert small == large, f"{label}: {small} queries at 5 tickets, {large} at 50"
    assert large <= MAX_QUERIES, f"{label}: {large} queries"
    if budget is not None:
        assert large == budget, f"{label}: {large} queries, pinned at {budget}"


TICKET_PAGE = 6


def test_the_ticket_page_costs_the_same_whatever_happened_to_the_ticket(client, programme, desk, champion):
    """Assigned (the timeline names the people), commented on, resolved: the ticket page and an
    action's form cost a fixed number of queries, for both sides; attachments cost one more
    (most tickets have none, and the ticket's own query says whether to look)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.tickets.pages_helpers import log_ticket

    ticket = log_ticket(champion, title="Quote PDF shows the wrong VAT rate")
    url = reverse("tickets:detail", args=[programme.slug, ticket.reference])
    form_url = reverse("tickets:action_form", args=[programme.slug, ticket.reference, "comment"])
    members = {}
    for persona in (desk, champion):
        members[persona.user.username] = member = type(client)()
        member.force_login(persona.user)
        member.get(url)

    def counts() -> set[tuple[int, int]]:
        return {(count(member, url), count(member, form_url)) for member in members.values()}

    # page: session, user, memberships (access), the ticket (with its holidays), events, comments;
    # form: session, user, memberships, the ticket.
    assert counts() == {(TICKET_PAGE, 4)}
    desk_access = get_programme_for(desk.user, programme.slug)
    services.ticket_take(access=desk_access, ticket=ticket)
    services.ticket_comment(access=desk_access, ticket=ticket, body="On it", internal=False)
    services.ticket_comment(access=desk_access, ticket=ticket, body="Tax table?", internal=True)
    services.ticket_resolve(access=desk_access, ticket=ticket, resolution="Fixed the tax table.")
    assert counts() == {(TICKET_PAGE, 4)}
    for member in members.values():
        assert "assigned it to " + desk.user.get_full_name() in member.get(url).content.decode()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    services.ticket_attach(access=desk_access, ticket=ticket, upload=SimpleUploadedFile("a.png", png))
    assert counts() == {(TICKET_PAGE + 1, 4)}


API = [
    # (label, path after /api/v1/programmes/<slug>/, pinned budget)
    # token and user; membership (access) with calendar, holidays and the programme's ticket count;
    # the page's rows (their ids read off the index in a subquery). A filtered list counts its rows.
    ("ticket list", "tickets/", 3),
    ("ticket list, page 2", "tickets/?page=2&page_size=2", 3),
    ("ticket list, filtered", "tickets/?status=open&severity=3&sort=-reported", 4),
    # token and user, membership, the ticket (joined), its comments, events and attachments
    ("ticket detail", "tickets/{reference}/", 6),
    ("known issues", "known-issues/", None),
]


@pytest.mark.parametrize(("label", "path", "budget"), API, ids=[a[0] for a in API])
def test_every_api_list_has_a_fixed_budget(programme, desk, champion, engineer, label, path, budget):
    people = (desk, champion, engineer)
    api = desk.api()
    reference = grow(programme, to=5, people=people)
    url = f"/api/v1/programmes/{programme.slug}/" + path.format(reference=reference)
    small = count(api, url)
    grow(programme, to=50, people=people)
    large = count(api, url)
    assert small == large, f"{label}: {small} queries at 5 tickets, {large} at 50"
    assert large <= MAX_QUERIES, f"{label}: {large} queries"
    if budget is not None:
        assert large == budget, f"{label}: {large} queries, pinned at {budget}"


DASHBOARDS = [
    # (label, URL name, queries when the minute's aggregates are cached, when they are computed)
    ("triage board", "triage:board", 6, 8),
    # Computed: +1 for the KPI window's ticket figures (BAU share, resolution compliance per severity),
    # one query whose cache entry the exit gate and the status reports read too.
    # … and +1 for the reporters' satisfaction of the last four weeks.
    # Warm, the telemetry roll-ups (DAU/WAU, exception rate …) are cached with the rest: no data point is read.
    ("scorecard", "metrics:scorecard", 7, 15),
    # Recomputing, the exit gate also reads the working calendar (2), the tickets handled per day and in
    # the window (2), BAU's SLA compliance, the rescues, the Sev1/Sev2 backlog of the burn-down days and
    # the daily figures of the trend forecasts.
    ("exit gate", "handover:exit_gate", 9, 23),
]


@pytest.mark.parametrize(("label", "name", "warm", "cold"), DASHBOARDS, ids=[d[0] for d in DASHBOARDS])
def test_dashboards_read_their_aggregates_once_a_minute(
    client, programme, desk, champion, engineer, lead, label, name, warm, cold
):
    """The aggregates over every ticket are computed once a minute (hypercare.aggregates): a page
    view in between stays within the budget; the recomputing view is fixed too, whatever the data."""
    people = (desk, champion, engineer)
    client.force_login(lead.user)
    url = reverse(name, args=[programme.slug])
    # A bucket far longer than the test, so no bucket boundary falls between the two counts.
    with override_settings(HYPERCARE_AGGREGATE_CACHE_SECONDS=10**8):
        for size in (5, 50):
            grow(programme, to=size, people=people)
            cache.clear()
            assert count(client, url) == cold, f"{label} at {size} tickets, aggregates computed"
            assert count(client, url) == warm, f"{label} at {size} tickets, aggregates cached"
    assert warm <= MAX_QUERIES
