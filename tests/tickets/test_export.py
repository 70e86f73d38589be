"""The queue export: the filtered queue as streamed CSV, formulas neutralised, visibility respected."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import TicketFactory
from tests.tickets.test_services_transitions import access_of, log
from tickets import services
from tickets.exports import COLUMNS, neutralise

pytestmark = pytest.mark.django_db

URL = "/p/acme/tickets/export.csv"


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.fixture
def queue(desk, champion, engineer):
    desk_access = access_of(desk)
    tickets = {
        "formula": log(desk_access, title='=HYPERLINK("http://evil.example","click")', business_unit="Sales"),
        "finance": log(desk_access, title="Invoices stuck", business_unit="Finance", severity=2),
        "howto": services.ticket_create(
            access=access_of(champion),
            title="@SUM(A1:A9) how do I total a quote?",
            category="how_to",
            answers=services.TriageAnswers("individual", "simple", False),
            process="+Quotes",
        ),
        "done": log(desk_access, title="-1 discount shown", business_unit="Sales"),
    }
    services.ticket_assign(access=desk_access, ticket=tickets["finance"], assignee=engineer.user)
    services.ticket_resolve(access=desk_access, ticket=tickets["done"], resolution="=cmd|' /C calc'!A0")
    return tickets


def test_it_is_named_tickets_export_for_the_queue_page():
    assert reverse("tickets:export", args=["acme"]) == URL


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_it_neutralises_formula_triggers(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Quote totals", "", "1-2", "a=b", "'quoted"])
def test_it_leaves_other_text_alone(value):
    assert neutralise(value) == value


def test_the_export_has_every_column_and_no_live_formula(client, desk, queue):
    client.force_login(desk.user)
    response = client.get(URL + "?status=any")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="acme-tickets-')
    exported = rows(response)
    assert list(exported[0]) == COLUMNS
    by_ref = {row["reference"]: row for row in exported}
    assert by_ref["ACME-1"]["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert by_ref["ACME-3"]["title"] == "'@SUM(A1:A9) how do I total a quote?"
    assert by_ref["ACME-3"]["process"] == "'+Quotes"
    assert by_ref["ACME-3"]["kind"] == "training gap" and by_ref["ACME-1"]["kind"] == "defect"
    assert by_ref["ACME-4"]["title"] == "'-1 discount shown"
    assert by_ref["ACME-4"]["resolution"] == "'=cmd|' /C calc'!A0"
    assert by_ref["ACME-2"]["assignee"] == "engineer" and by_ref["ACME-2"]["severity"] == "2"
    assert by_ref["ACME-4"]["status"] == "resolved" and by_ref["ACME-4"]["resolved_at"]
    for row in exported:
        for name, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@")), (name, cell)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=any", {"ACME-1", "ACME-2", "ACME-3", "ACME-4"}),
        ("status=resolved", {"ACME-4"}),
        ("status=any&severity=2", {"ACME-2"}),
        ("status=any&assignee=engineer", {"ACME-2"}),
        ("status=any&category=how_to", {"ACME-3"}),
        ("status=any&business_unit=Finance", {"ACME-2"}),
        ("status=any&q=invoices", {"ACME-2"}),
        ("status=open&view=unassigned", {"ACME-1", "ACME-3"}),
    ],
)
def test_it_exports_the_filtered_queue(client, lead, queue, query, expected):
    client.force_login(lead.user)
    assert {row["reference"] for row in rows(client.get(f"{URL}?{query}"))} == expected


def test_without_filters_it_exports_what_the_queue_shows_by_default(client, desk, queue):
    # The queue page opens on the desk's Tier 2 queue of open tickets, most severe first.
    client.force_login(desk.user)
    exported = rows(client.get(URL))
    assert [row["reference"] for row in exported] == ["ACME-2", "ACME-1", "ACME-3"]


def test_a_champion_exports_only_the_tickets_they_may_see(client, champion, queue):
    client.force_login(champion.user)
    assert {row["reference"] for row in rows(client.get(URL + "?status=any"))} == {
        "ACME-1",
        "ACME-3",
        "ACME-4",
    }


def test_bad_filters_are_a_400_naming_them(client, desk, queue):
    client.force_login(desk.user)
    response = client.get(URL + "?severity=9")
    assert response.status_code == 400
    assert "severity" in response.content.decode()


def test_outsiders_get_404_and_anonymous_users_log_in(client, outsider, queue):
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    client.force_login(outsider.user)
    assert client.get(URL).status_code == 404


def test_it_is_get_only(client, desk):
    client.force_login(desk.user)
    assert client.post(URL).status_code == 405


@pytest.mark.parametrize("count", [3, 60])
def test_it_exports_in_constant_queries(client, desk, engineer, programme, django_assert_num_queries, count):
    for number in range(1, count + 1):
        TicketFactory(programme=programme, number=number, reporter=desk.user, assignee=engineer.user)
    client.force_login(desk.user)
    # session, user, membership with programme, the tickets (reporter, assignee, known issue joined),
    # the audit entry of the export
    with django_assert_num_queries(5):
        exported = rows(client.get(URL + "?status=any"))
    assert len(exported) == count
