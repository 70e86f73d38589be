"""The audit trail page, its CSV export and its API: leads and staff read it, filtered."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from hypercare import services
from hypercare.models import AuditEntry
from tests.factories import UserFactory

PAGE = "/p/acme/audit/"
CSV = "/p/acme/audit.csv"
API = "/api/v1/programmes/acme/audit/"


def entry(programme, *, event="membership.added", actor="lead", at=None, target="desk", **details):
    return AuditEntry.objects.create(
        at=at or datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
        actor_name=actor,
        programme=programme,
        event=event,
        target=target,
        details=details,
    )


@pytest.fixture
def trail(programme, other_programme):
    entry(programme, event="membership.added", actor="lead", at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    entry(
        programme,
        event="webhook.registered",
        actor="lead",
        at=datetime(2026, 11, 5, 9, 0, tzinfo=UTC),
        target="7",
    )
    entry(programme, event="membership.removed", actor="lead2", at=datetime(2026, 11, 9, 16, 0, tzinfo=UTC))
    entry(other_programme, event="membership.added", actor="globex-lead", target="secret-person")


def test_it_shows_a_lead_the_trail_newest_first(client, lead, trail):
    client.force_login(lead.user)
    response = client.get(PAGE, {"since": "2026-11-01", "until": "2026-11-30"})
    assert response.status_code == 200
    page = response.content.decode()
    page = page[page.index('id="audit-entries"') :]
    assert (
        page.index("membership.removed") < page.index("webhook.registered") < page.index("membership.added")
    )
    assert "secret-person" not in page and "globex-lead" not in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"event": "membership"}, ["membership.added", "membership.removed"], ["webhook.registered"]),
        ({"event": "webhook.registered"}, ["webhook.registered"], ["membership.added", "membership.removed"]),
        ({"actor": "lead2"}, ["membership.removed"], ["membership.added", "webhook.registered"]),
        ({"since": "2026-11-03", "until": "2026-11-05"}, ["webhook.registered"], ["membership.added", "membership.removed"]),
    ],
)  # fmt: skip
def test_it_filters_by_event_actor_and_days(client, lead, trail, query, shown, hidden):
    client.force_login(lead.user)
    page = client.get(PAGE, query).content.decode()
    rows = page[page.index('id="audit-entries"') :]
    assert all(event in rows for event in shown)
    assert not any(event in rows for event in hidden)


def test_it_says_which_date_is_wrong(client, lead, trail):
    client.force_login(lead.user)
    response = client.get(PAGE, {"since": "2026-11-09", "until": "2026-11-01"})
    assert response.status_code == 400
    assert "The end of the range cannot be before its start." in response.content.decode()


@pytest.mark.parametrize("persona", ["desk", "champion", "viewer", "sponsor"])
def test_it_refuses_everyone_but_leads(client, persona, request, trail):
    client.force_login(request.getfixturevalue(persona).user)
    assert client.get(PAGE).status_code == 403
    assert client.get(CSV).status_code == 403
    assert request.getfixturevalue(persona).api().get(API).status_code == 403


def test_it_hides_the_trail_from_another_programmes_lead(client, outsider, trail):
    client.force_login(outsider.user)
    assert client.get(PAGE).status_code == 404
    assert client.get(CSV).status_code == 404
    assert outsider.api().get(API).status_code == 404


def test_staff_read_any_programmes_trail(client, programme, trail):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert "membership.removed" in client.get(PAGE).content.decode()
    api = APIClient()
    api.force_authenticate(admin)
    assert api.get(API, {"event": "membership"}).json()["count"] == 2


def test_the_page_costs_the_same_queries_for_a_long_trail(client, lead, programme):
    client.force_login(lead.user)
    entry(programme)
    client.get(PAGE)  # warm the session and the navigation cache
    with CaptureQueriesContext(connection) as short:
        assert client.get(PAGE).status_code == 200
    for day in range(1, 29):
        for hour in range(3):
            entry(programme, at=datetime(2026, 10, day, hour, tzinfo=UTC), target=f"user{day}-{hour}")
    with CaptureQueriesContext(connection) as long:
        response = client.get(PAGE)
    assert "Next" in response.content.decode()  # 85 entries: two pages of 50
    assert len(long) == len(short), [q["sql"] for q in long.captured_queries]


def test_the_csv_export_lists_the_filtered_trail_with_formulas_defused(client, lead, programme, trail):
    entry(programme, event="webhook.registered", target='=HYPERLINK("https://evil.example")', url="-1+2")
    client.force_login(lead.user)
    response = client.get(CSV, {"event": "webhook"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["at", "event", "actor", "target", "details"]
    assert [row[1] for row in rows[1:]] == ["webhook.registered", "webhook.registered"]
    assert {row[3] for row in rows[1:]} == {'\'=HYPERLINK("https://evil.example")', "7"}
    assert rows[1][0].startswith("2026-11-05T09:00:00")  # Europe/London in November: UTC


def test_the_api_lists_the_trail_with_the_same_filters(lead, trail):
    body = lead.api().get(API, {"event": "membership", "since": "2026-11-01"}).json()
    assert body["count"] == 2
    first = body["results"][0]
    assert (first["event"], first["actor"], first["target"]) == ("membership.removed", "lead2", "desk")
    assert set(first) == {"at", "event", "actor", "target", "details"}


@pytest.mark.parametrize(
    ("query", "field"),
    [({"since": "yesterday"}, "since"), ({"since": "2026-11-09", "until": "2026-11-01"}, "until")],
)
def test_the_api_names_a_bad_filter(lead, trail, query, field):
    response = lead.api().get(API, query)
    assert response.status_code == 400 and field in response.json()


def test_a_service_call_writes_a_row_the_lead_then_reads(client, lead, desk):
    services.member_add(programme=lead.programme, username="desk", roles=["desk", "bau"], by=lead.user)
    client.force_login(lead.user)
    page = client.get(PAGE, {"event": "membership.roles_changed"}).content.decode()
    assert "membership.roles_changed" in page and "desk" in page
