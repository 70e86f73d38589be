"""The working queues: views, filters, sorting, pages, the htmx partial and a constant query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import KnownIssueFactory, TicketFactory
from tests.tickets.pages_helpers import access_of, htmx, log_ticket
from tickets import services

pytestmark = pytest.mark.django_db


def refs(response) -> list[str]:
    import re

    return re.findall(r'<tr id="row-([^"]+)"', response.content.decode())


def test_the_desk_lands_on_the_tier2_queue_and_engineers_on_tier3(client, desk, engineer, champion):
    at_desk = log_ticket(champion, title="At the desk")
    at_tier3 = log_ticket(champion, title="With engineers")
    services.ticket_escalate(access=access_of(desk), ticket=at_tier3, to_tier=3, replication_steps="x" * 30)
    client.force_login(desk.user)
    assert refs(client.get("/p/acme/tickets/")) == [at_desk.reference]
    client.force_login(engineer.user)
    assert refs(client.get("/p/acme/tickets/")) == [at_tier3.reference]


def test_unassigned_mine_and_my_teams_views(client, desk, bau, champion, make_persona):
    desk2 = make_persona("desk", username="desk2")
    unassigned = log_ticket(champion, title="Nobody's")
    mine = log_ticket(champion, title="Mine")
    teammate = log_ticket(champion, title="Teammate's")
    bau_one = log_ticket(champion, title="BAU's")
    services.ticket_take(access=access_of(desk), ticket=mine)
    services.ticket_take(access=access_of(desk2), ticket=teammate)
    services.ticket_take(access=access_of(bau), ticket=bau_one)
    client.force_login(desk.user)
    assert refs(client.get("/p/acme/tickets/?view=unassigned")) == [unassigned.reference]
    assert refs(client.get("/p/acme/tickets/?view=mine")) == [mine.reference]
    assert set(refs(client.get("/p/acme/tickets/?view=team"))) == {mine.reference, teammate.reference}
    client.force_login(bau.user)
    assert refs(client.get("/p/acme/tickets/?view=team")) == [bau_one.reference]


def test_filters_by_severity_status_category_unit_text_and_known_issue(client, desk, champion, programme):
    issue = KnownIssueFactory(programme=programme)
    sev1 = log_ticket(champion, title="Invoicing is down", answers=("organisation", "none", True))
    how_to = log_ticket(
        champion, title="How do I clone a quote", category="how_to", answers=("individual", "simple", False)
    )
    finance = log_ticket(desk, title="Month-end report missing", business_unit="Finance", known_issue=issue)
    done = log_ticket(champion, title="Already fixed")
    services.ticket_resolve(access=access_of(desk), ticket=done, resolution="Done")
    client.force_login(desk.user)
    base = "/p/acme/tickets/?view=all"
    assert refs(client.get(f"{base}&severity=1")) == [sev1.reference]
    assert refs(client.get(f"{base}&category=how_to")) == [how_to.reference]
    assert refs(client.get(f"{base}&business_unit=Finance")) == [finance.reference]
    assert refs(client.get(f"{base}&q=clone+quote")) == [how_to.reference]
    assert refs(client.get(f"{base}&q={done.reference}&status=any")) == [done.reference]
    assert refs(client.get(f"{base}&status=done")) == [done.reference]
    assert refs(client.get(f"{base}&status=resolved")) == [done.reference]
    assert done.reference not in refs(client.get(base)), "open tickets by default"
    assert refs(client.get(f"{base}&known_issue={issue.pk}")) == [finance.reference]


def test_bad_filter_values_fall_back_instead_of_failing(client, desk, champion):
    ticket = log_ticket(champion)
    client.force_login(desk.user)
    response = client.get("/p/acme/tickets/?view=nope&severity=9&sort=drop+table&status=x&page=abc")
    assert response.status_code == 200 and refs(response) == [ticket.reference]


def test_it_sorts_by_a_column_and_back(client, desk, champion, programme):
    now = timezone.now()
    old = TicketFactory(programme=programme, severity=4, reported_at=now - timedelta(days=2), title="Old")
    new = TicketFactory(programme=programme, severity=1, reported_at=now - timedelta(hours=1), title="New")
    client.force_login(desk.user)
    assert refs(client.get("/p/acme/tickets/?view=all&sort=severity")) == [new.reference, old.reference]
    assert refs(client.get("/p/acme/tickets/?view=all&sort=-severity")) == [old.reference, new.reference]
    assert refs(client.get("/p/acme/tickets/?view=all&sort=reported")) == [old.reference, new.reference]
    page = client.get("/p/acme/tickets/?view=all&sort=reported").content.decode()
    assert 'aria-sort="ascending"' in page and "sort=-reported" in page, "clicking again reverses"


def test_it_paginates_with_page_links_that_keep_the_filters(client, desk, programme):
    TicketFactory.create_batch(30, programme=programme, category="how_to")
    client.force_login(desk.user)
    first = client.get("/p/acme/tickets/?view=all&category=how_to")
    assert len(refs(first)) == 25 and "30 tickets" in first.content.decode()
    assert "?view=all&amp;category=how_to&amp;page=2" in first.content.decode()
    second = client.get("/p/acme/tickets/?view=all&category=how_to&page=2")
    assert len(refs(second)) == 5 and not set(refs(first)) & set(refs(second))


def test_an_htmx_filter_request_gets_only_the_results_partial(client, desk, champion):
    log_ticket(champion)
    client.force_login(desk.user)
    response = client.get("/p/acme/tickets/?view=all", **htmx())
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"') and "<html" not in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_rows_show_severity_kind_tier_status_assignee_and_sla(client, desk, champion, programme):
    ticket = log_ticket(champion, title="How do I clone a quote", category="how_to")
    breached = TicketFactory(programme=programme, title="Late one", resolution_breached=True)
    services.ticket_take(access=access_of(desk), ticket=ticket)
    client.force_login(desk.user)
    html = client.get("/p/acme/tickets/?view=all").content.decode()
    row = html[html.index(f'id="row-{ticket.reference}"') :]
    row = row[: row.index("</tr>")]
    assert "Sev4" in row and "Training gap" in row and "T2" in row and "New" in row
    assert desk.user.get_full_name() in row and "due " in row
    assert "SLA breached" in html[html.index(f'id="row-{breached.reference}"') :]


def test_read_only_members_see_the_queue_without_actions(client, viewer, champion):
    log_ticket(champion)
    client.force_login(viewer.user)
    html = client.get("/p/acme/tickets/?view=all").content.decode()
    assert "All tickets" in html and 'class="small take"' not in html and "row-actions" not in html


def test_the_queue_links_to_the_csv_export_with_the_current_filters(client, desk, champion):
    from django.urls import reverse

    export = reverse("tickets:export", args=["acme"])
    client.force_login(desk.user)
    html = client.get("/p/acme/tickets/?view=all&severity=2&page=1").content.decode()
    assert f'href="{export}?view=all&amp;severity=2"' in html


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_queue_runs_the_same_queries_for_3_or_25_tickets(client, desk, programme, make_persona):
    engineer = make_persona("engineer", username="eng")
    issue = KnownIssueFactory(programme=programme)
    TicketFactory.create_batch(3, programme=programme, assignee=engineer.user, known_issue=issue)
    client.force_login(desk.user)
    few = count_queries(client, "/p/acme/tickets/?view=all")
    TicketFactory.create_batch(22, programme=programme, assignee=engineer.user, known_issue=issue)
    TicketFactory.create_batch(10, programme=programme)  # reporters differ per ticket too
    many = count_queries(client, "/p/acme/tickets/?view=all")
    assert many == few


def test_the_queue_page_query_budget(client, desk, programme, django_assert_max_num_queries):
    TicketFactory.create_batch(25, programme=programme)
    client.force_login(desk.user)
    # 1 session, 2 user, 3 membership (get_programme_for), 4 business units for the filter,
    # 5 ticket count, 6 assignable people, 7 the navigation's programmes, 8 unread notifications,
    # 9 the page of tickets with programme, assignee, reporter and known issue joined,
    # 10 the known issues of the bulk form (its assignees are query 6).
    with django_assert_max_num_queries(10):
        response = client.get("/p/acme/tickets/?view=all")
    assert len(refs(response)) == 25


def test_a_rows_more_menu_loads_its_forms_when_opened(client, desk, engineer, champion):
    ticket = log_ticket(champion, title="Menu row")
    client.force_login(desk.user)
    html = client.get("/p/acme/tickets/?view=all").content.decode()
    row = html[html.index(f'id="row-{ticket.reference}"') :]
    row = row[: row.index("</tr>")]
    # The page carries the Take form and a closed menu that links to the ticket without JS.
    assert 'class="small take"' in row and 'name="assignee"' not in row
    menu = f"/p/acme/tickets/{ticket.reference}/row-actions/?next=%2Fp%2Facme%2Ftickets%2F%3Fview%3Dall"
    assert f'hx-get="{menu}"' in row.replace("&amp;", "&")
    assert f'href="/p/acme/tickets/{ticket.reference}/"' in row
    loaded = client.get(menu, **htmx()).content.decode()
    assert f'action="/p/acme/tickets/{ticket.reference}/assign/"' in loaded
    assert engineer.user.get_full_name() in loaded  # the assignee menu lists the team
    assert 'name="status"' in loaded and 'name="body"' in loaded and "csrfmiddlewaretoken" in loaded
    assert 'name="next" value="/p/acme/tickets/?view=all"' in loaded  # back to the same view


def test_a_hostile_title_stays_text_in_the_row(client, desk, champion, programme):
    TicketFactory(programme=programme, title='<img src=x onerror="alert(1)">', business_unit="<b>Ops</b>")
    client.force_login(desk.user)
    html = client.get("/p/acme/tickets/?view=all").content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "<b>Ops</b>" not in html and "&lt;b&gt;Ops&lt;/b&gt;" in html
