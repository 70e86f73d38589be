"""Real tracker exports (tests/tickets/exports/) import without hand edits: dates, zones, people, comments, history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from hypercare.models import Notification
from hypercare.roles import Team
from hypercare.vocabulary import EventKind, Status
from tests.tickets.test_services_transitions import access_of
from tickets.imports import csv_read, detect_tracker, ignored_columns, import_run, suggest_mapping
from tickets.models import SlaAlert, Ticket

pytestmark = pytest.mark.django_db
EXPORTS = Path(__file__).parent / "exports"
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def people(make_persona):
    jane = make_persona("champion", username="jsmith", business_unit="Sales")
    raj = make_persona("engineer", username="rpatel", team=Team.BAU, business_unit="IT")
    lead = make_persona("lead", username="boss", business_unit="Head office")
    for persona, first, last in ((jane, "Jane", "Smith"), (raj, "Raj", "Patel"), (lead, "Lee", "Dunn")):
        persona.user.first_name, persona.user.last_name = first, last
        persona.user.email = f"{first}.{last}@acme.example".lower()
        persona.user.save()
    return {"jane": jane.user, "raj": raj.user, "lead": lead.user, "access": access_of(lead)}


def run(people, name, *, dry_run=False, **options):
    table = csv_read((EXPORTS / name).read_bytes())
    mapping = suggest_mapping(table)
    for key, value in options.items():
        setattr(mapping, key, value)
    result = import_run(
        access=people["access"], table=table, mapping=mapping, dry_run=dry_run, source_name=name, at=NOW
    )
    assert result.refused == []
    return result, {t.source_reference: t for t in Ticket.objects.all()}, mapping, table


def comments_of(ticket):
    return [
        (c.author.username, c.created_at, c.internal, c.body) for c in ticket.comments.order_by("created_at")
    ]


def notes_of(ticket):
    return [e.note for e in ticket.events.filter(kind=EventKind.EDITED)]


def test_jira_cloud_all_fields(people):
    result, tickets, mapping, table = run(people, "jira_cloud.csv")
    assert detect_tracker(table.headers) == "jira"
    assert result.accepted == 8 and len(result.references) == 8
    assert mapping.date_order == ""  # 02/Mar/26 needs no order
    assert mapping.labels == ["Labels", "Labels (2)"]
    assert set(mapping.comments) == {"Comment", "Comment (2)", "Comment (3)"}
    assert {"Issue id", "Project key", "Last Viewed", "Status Category", "Assignee Id"} <= set(
        ignored_columns(table, mapping)
    )

    quotes = tickets["SFDC-101"]
    assert (quotes.status, quotes.severity, quotes.category) == (Status.RESOLVED, 1, "defect")
    assert quotes.reporter == people["jane"] and quotes.assignee == people["raj"]
    assert quotes.business_unit == "Sales"  # the reporter's, not the importing lead's
    assert quotes.reported_at == datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)
    assert quotes.resolved_at == datetime(2026, 3, 2, 13, 0, tzinfo=LONDON)
    assert quotes.process == "Quotes, cpq, hypercare"
    # Jira Cloud writes account ids in comments; the file's Reporter/Assignee Id columns name them.
    assert comments_of(quotes) == [
        (
            "rpatel",
            datetime(2026, 3, 2, 10, 2, tzinfo=LONDON),
            False,
            "Reproduced on the sandbox, looking at the pricing rule.",
        ),
        ("jsmith", datetime(2026, 3, 2, 12, 40, tzinfo=LONDON), False, "Confirmed fixed on my side, thanks!"),
    ]
    kinds = list(quotes.events.values_list("kind", flat=True))
    assert kinds == [
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.COMMENT,
        EventKind.COMMENT,
        EventKind.RESOLVED,
    ]

    # Done with an empty Resolved: the Status Category Changed date instead of a refusal.
    price_books = tickets["SFDC-102"]
    assert (price_books.status, price_books.category) == (Status.RESOLVED, "configuration")
    assert price_books.resolved_at == datetime(2026, 3, 5, 15, 45, tzinfo=LONDON)
    assert tickets["SFDC-103"].category == "enhancement" and tickets["SFDC-104"].category == "enhancement"
    assert tickets["SFDC-105"].category == "configuration"  # Sub-task
    assert tickets["SFDC-106"].status == Status.CLOSED  # Won't Do never arrives open
    assert tickets["SFDC-108"].status == Status.IN_PROGRESS  # In Review

    # Ana Lima is no member: the lead logs it, her name stays, the lead's unit does not stick.
    clone = tickets["SFDC-103"]
    assert clone.reporter == people["lead"] and clone.business_unit == "" and clone.geography == ""
    assert "Reported by Ana Lima in jira_cloud.csv (not a member of this programme)." in notes_of(clone)
    assert comments_of(clone)[0][0] == "boss"
    assert comments_of(clone)[0][3].startswith("Ana Lima wrote in jira_cloud.csv:\n\nAsked again")

    # Ten years old and resolved in a day: imported as it was.
    legacy = tickets["SFDC-7"]
    assert legacy.reported_at == datetime(2016, 1, 14, 9, 0, tzinfo=LONDON)
    assert legacy.resolved_at == datetime(2016, 1, 15, 16, 30, tzinfo=LONDON)
    assert all(t.imported_at is not None for t in tickets.values())
    assert not Notification.objects.exists()  # history is not news
    assert not SlaAlert.objects.filter(ticket__in=[quotes, price_books, legacy]).exists()


def test_jira_server_resaved_by_excel(people):
    result, tickets, mapping, _ = run(people, "jira_server_excel.csv")
    assert mapping.date_order == "month_first"  # 3/24/2026 decides
    invoices = tickets["OPS-11"]
    assert invoices.reported_at == datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)
    assert (invoices.status, invoices.severity) == (Status.CLOSED, 1)
    assert invoices.closed_at == invoices.resolved_at == datetime(2026, 3, 2, 15, 10, tzinfo=LONDON)
    assert [(c[0], c[1]) for c in comments_of(invoices)] == [
        ("rpatel", datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)),
        ("jsmith", datetime(2026, 3, 2, 15, 5, tzinfo=LONDON)),
    ]
    # Resolved with an empty Resolved column: the Updated column stands in.
    assert tickets["OPS-12"].resolved_at == datetime(2026, 3, 25, 8, 0, tzinfo=LONDON)
    assert tickets["OPS-12"].process == "access, email"
    assert tickets["OPS-2"].reported_at == datetime(2016, 6, 13, 8, 0, tzinfo=LONDON)
    assert not Notification.objects.exists()


def test_servicenow_incidents_from_brazil(people):
    result, tickets, mapping, table = run(people, "servicenow_incident.csv", time_zone="America/Sao_Paulo")
    assert detect_tracker(table.headers) == "servicenow"
    assert (
        mapping.columns["status"] == "incident_state"
        and mapping.columns["resolved_fallback"] == "sys_updated_on"
    )
    assert mapping.comments == {"comments": "public", "work_notes": "internal"}
    email = tickets["INC0010001"]
    assert email.reported_at == datetime(2026, 3, 2, 12, 30, tzinfo=UTC)  # 09:30 in São Paulo (-03:00)
    assert (email.status, email.severity, email.category) == (Status.RESOLVED, 2, "defect")
    assert email.resolution == "Reconnected the Outlook add-in."
    assert comments_of(email) == [
        ("rpatel", datetime(2026, 3, 2, 13, 5, 11, tzinfo=UTC), False, "We are looking at it."),
        (
            "rpatel",
            datetime(2026, 3, 2, 13, 7, 2, tzinfo=UTC),
            True,
            "Add-in token expired for the whole OU.",
        ),
        (
            "rpatel",
            datetime(2026, 3, 2, 17, 58, 40, tzinfo=UTC),
            False,
            "Please try again now.\nRestart Outlook first.",
        ),
    ]
    assert "Assignment group in servicenow_incident.csv: Service Desk." in notes_of(email)
    dock = tickets["INC0010002"]
    assert (dock.status, dock.severity, dock.category) == (Status.CLOSED, 4, "defect")
    assert dock.resolved_at == datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # sys_updated_on
    vpn = tickets["INC0010003"]
    assert (vpn.status, vpn.severity, vpn.category) == (Status.IN_PROGRESS, 3, "integration")
    assert vpn.assignee == people["raj"] and vpn.team == Team.BAU
    howto = tickets["INC0010004"]
    assert (howto.status, howto.severity, howto.category) == (Status.WAITING_ON_REPORTER, 4, "how_to")
    assert (
        "Reported by maria.souza@acme.example in servicenow_incident.csv (not a member of this programme)."
        in (notes_of(howto))
    )
    assert tickets["INC0000042"].reported_at == datetime(2016, 2, 10, 11, 0, tzinfo=UTC)
    assert tickets["INC0010006"].status == Status.CLOSED  # Canceled
    assert not Notification.objects.exists()


def test_servicenow_windows_1252_with_multiline_cells(people):
    _, tickets, mapping, _ = run(people, "servicenow_cp1252.csv")
    assert mapping.date_order == "day_first"  # 14/03/2026 decides
    prices = tickets["INC0020001"]
    assert prices.title == "Preços errados na cotação (PDF)"  # one line
    assert prices.status == Status.RESOLVED  # incident_state 6
    assert prices.resolved_at == datetime(2026, 3, 3, 17, 45, tzinfo=LONDON)  # Updated
    assert comments_of(prices)[0][1:] == (
        datetime(2026, 3, 3, 17, 40, tzinfo=LONDON),
        False,
        "Corrigido: regra de preço €.",
    )
    assert "Reported by João Araújo in servicenow_cp1252.csv (not a member of this programme)." in notes_of(
        prices
    )
    assert tickets["INC0020002"].reported_at == datetime(2026, 3, 14, 8, 0, tzinfo=LONDON)
    assert tickets["INC0020002"].status == Status.IN_PROGRESS  # 2
    assert tickets["INC0020003"].status == Status.CLOSED  # 7


def test_servicenow_report_with_month_first_dashes(people):
    _, tickets, mapping, _ = run(people, "servicenow_mmddyyyy.csv")
    assert mapping.date_order == "month_first"
    # The "01-09-2025": 9 January, not 1 September.
    assert tickets["INC0030002"].reported_at == datetime(2025, 1, 9, 14, 0, tzinfo=LONDON)
    assert tickets["INC0030002"].resolved_at == datetime(2025, 1, 13, 10, 0, tzinfo=LONDON)
    assert tickets["INC0030001"].reported_at == datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)


def test_zendesk_tickets_from_india(people):
    _, tickets, mapping, table = run(people, "zendesk.csv", time_zone="Asia/Kolkata")
    assert detect_tracker(table.headers) == "zendesk"
    assert (mapping.columns["title"], mapping.columns["reporter"], mapping.columns["resolved_at"]) == (
        "Subject",
        "Requester",
        "Solved at",
    )
    sso = tickets["4211"]
    assert sso.reported_at == datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 09:30 in India (+05:30)
    assert sso.resolved_at == datetime(2026, 3, 2, 6, 15, tzinfo=UTC)
    assert (sso.status, sso.severity, sso.reporter) == (Status.RESOLVED, 1, people["jane"])
    assert sso.process == "sso, login"
    assert tickets["4212"].status == Status.WAITING_ON_REPORTER  # Pending
    assert tickets["4212"].category == "how_to"  # Question
    assert tickets["4213"].status == Status.IN_PROGRESS  # Hold: waiting on someone else, the clock runs
    assert tickets["4214"].status == Status.NEW
    assert tickets["1207"].status == Status.CLOSED
    assert not Notification.objects.exists(), list(Notification.objects.values_list("kind", "subject"))


def test_a_dry_run_that_passes_commits_the_same_rows(people):
    dry, tickets, _, _ = run(people, "servicenow_incident.csv", dry_run=True)
    assert (dry.accepted, dry.references, tickets) == (6, [], {})
    committed, tickets, _, _ = run(people, "servicenow_incident.csv")
    assert committed.accepted == 6 and sorted(committed.references) == sorted(
        t.reference for t in tickets.values()
    )


def test_every_date_ambiguous_asks_for_the_order(people):
    table = csv_read(b"Key,Summary,Created,Priority\nK-1,One,03/04/2026 10:00,High\nK-2,Two,05/06/2025,Low\n")
    mapping = suggest_mapping(table)
    assert mapping.date_order == ""
    with pytest.raises(ValidationError) as refused:
        import_run(access=people["access"], table=table, mapping=mapping, dry_run=True, at=NOW)
    assert (
        "choose the order in date_order (day_first or month_first)"
        in refused.value.message_dict["date_order"][0]
    )
    mapping.date_order = "month_first"
    result = import_run(access=people["access"], table=table, mapping=mapping, dry_run=False, at=NOW)
    assert result.refused == []
    assert Ticket.objects.get(source_reference="K-1").reported_at == datetime(
        2026, 3, 4, 10, 0, tzinfo=LONDON
    )


def test_a_date_error_names_the_option_that_reads_it(people):
    table = csv_read(b"Key,Summary,Created,Priority\nK-1,One,03/24/2026 10:00,High\n")
    mapping = suggest_mapping(table)
    mapping.date_order = "day_first"
    result = import_run(access=people["access"], table=table, mapping=mapping, dry_run=True, at=NOW)
    assert [e.message for e in result.refused] == [
        "'03/24/2026 10:00' is not a day first date: choose month first (date_order month_first) to read it."
    ]


def test_without_a_status_column_finished_rows_arrive_finished_and_the_preview_warns(people):
    from tickets.imports import import_check

    table = csv_read(
        b"Key,Summary,Created,Resolved,Priority\nK-1,Done,2026-03-02,2026-03-03,High\nK-2,Open,2026-03-02,,High\n"
    )
    mapping = suggest_mapping(table)
    plan = import_check(access=people["access"], table=table, mapping=mapping, at=NOW)
    assert plan.warnings[0].startswith("No status column is mapped")
    import_run(access=people["access"], table=table, mapping=mapping, dry_run=False, at=NOW)
    assert Ticket.objects.get(source_reference="K-1").status == Status.RESOLVED
    assert Ticket.objects.get(source_reference="K-2").status == Status.NEW


def test_a_50000_row_export_of_50_mb_is_read_and_checked(people):
    import time

    from tickets.imports import import_check

    padding = ("Steps to reproduce, line after line.\n" * 27)[:1000]
    rows = "".join(
        f'INC{n:07d},2025-{n % 12 + 1:02d}-{n % 28 + 1:02d} 09:30:00,"Issue\n{n}",3 - Medium,New,"{padding}"\r\n'
        for n in range(50_000)
    )
    content = ("number,opened_at,short_description,priority,incident_state,description\r\n" + rows).encode()
    assert len(content) > 50 * 1024 * 1024
    started = time.monotonic()
    table = csv_read(content)
    plan = import_check(access=people["access"], table=table, mapping=suggest_mapping(table), at=NOW)
    assert len(table.rows) == 50_000 and plan.errors == [] and len(plan.rows) == 50_000
    assert plan.rows[-1].title == "Issue 49999" and plan.rows[-1].line == 1 + 49_999 * 29 + 1
    assert time.monotonic() - started < 60


def test_progress_is_reported_as_rows_go(people):
    table = csv_read((EXPORTS / "zendesk.csv").read_bytes())
    seen = []
    import_run(
        access=people["access"],
        table=table,
        mapping=suggest_mapping(table),
        dry_run=True,
        at=NOW,
        progress=lambda done, total: seen.append(done * 100 // total),
    )
    assert seen == [20, 40, 60, 80, 100]


def test_an_assignment_group_named_like_a_team_sets_the_team_and_others_go_to_the_timeline(people):
    table = csv_read(
        b"number,short_description,opened_at,priority,assignment_group,assigned_to\n"
        b"INC1,One,2026-03-02 09:00,3 - Medium,BAU team,\n"
        b"INC2,Two,2026-03-02 09:00,3 - Medium,Network Ops,Someone Else\n"
    )
    result = import_run(
        access=people["access"], table=table, mapping=suggest_mapping(table), dry_run=False, at=NOW
    )
    assert result.refused == []
    one, two = Ticket.objects.get(source_reference="INC1"), Ticket.objects.get(source_reference="INC2")
    assert (one.team, one.assignee) == (Team.BAU, None)
    assert two.team == "" and notes_of(two) == [
        "Assigned to Someone Else in the source tracker (not someone who works the queue here).",
        "Assignment group in the source tracker: Network Ops.",
    ]
