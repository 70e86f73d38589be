"""The CSV import service: reading exports, guessing the mapping, the dry run's bad rows, the all-or-nothing commit."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from hypercare.models import Notification, Programme
from hypercare.vocabulary import EventKind, Status, Tier
from tests.tickets.test_services_transitions import access_of
from tickets import imports
from tickets.imports import ImportMapping, ImportRowsError, csv_read, import_check, tickets_import
from tickets.models import SlaAlert, Ticket
from tickets.services import TicketStateError

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)

JIRA = (
    "Issue key,Summary,Issue Type,Priority,Status,Created,Resolved,Reporter,Description,Component/s\n"
    "HC-1,Quote totals wrong,Bug,Highest,Done,02/Mar/26 9:30 AM,02/Mar/26 1:00 PM,champion,Totals ignore discounts,Quotes\n"
    'HC-2,How do I clone a quote?,Question,Low,Open,03/Mar/26 10:00 AM,,jane@elsewhere.example,"Asked on the floor,\n'
    'twice",Quotes\n'
    "HC-3,Invoices stuck,Bug,High,In Progress,2026-03-04T08:15:00+00:00,,desk,,Invoices\n"
    "HC-4,Report is slow,Improvement,Medium,Closed,04/03/2026 14:00,05/03/2026 09:00,DESK@example.com,,Reports\n"
)


def mapping_for(table, **overrides) -> ImportMapping:
    mapping = imports.suggest_mapping(table)
    mapping.date_order = mapping.date_order or "day_first"  # these files' dates are all ambiguous
    for name, value in overrides.items():
        setattr(mapping, name, value)
    return mapping


@pytest.fixture
def lead_access(lead, champion, desk):
    desk.user.email = "desk@example.com"
    desk.user.save()
    return access_of(lead)


def test_it_reads_a_jira_export_with_line_numbers_of_multiline_records():
    table = csv_read(JIRA.encode())
    assert table.headers[:3] == ["Issue key", "Summary", "Issue Type"]
    assert [line for line, _ in table.rows] == [2, 3, 5, 6]  # HC-2 spans lines 3 and 4


def test_it_reads_semicolons_windows_1252_and_a_bom():
    content = "\ufeffSummary;Created\nCafé crème;2026-03-02 09:00\n".encode("utf-8")
    assert csv_read(content).headers == ["Summary", "Created"]
    latin = "Summary;Created\nCafé;2026-03-02 09:00\n".encode("cp1252")
    assert csv_read(latin).rows[0][1][0] == "Café"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"Summary,Created\n", "no tickets"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a CSV file"),
        (b'Summary,Created\n"unclosed,2026-03-02\n', "Line 2"),
    ],
)
def test_it_refuses_files_that_are_not_usable_csv(content, message):
    with pytest.raises(ValidationError) as error:
        csv_read(content)
    assert message in error.value.message_dict["file"][0]


def test_it_refuses_files_over_the_row_limit(monkeypatch):
    monkeypatch.setattr(imports, "MAX_IMPORT_ROWS", 3)
    content = "Summary,Created\n" + "x,2026-03-02\n" * 4
    with pytest.raises(ValidationError, match="more than 3 tickets"):
        csv_read(content.encode())


def test_it_suggests_the_obvious_columns_and_values():
    table = csv_read(JIRA.encode())
    mapping = mapping_for(table)
    assert mapping.columns == {
        "title": "Summary",
        "description": "Description",
        "reported_at": "Created",
        "category": "Issue Type",
        "severity": "Priority",
        "status": "Status",
        "resolved_at": "Resolved",
        "reporter": "Reporter",
        "process": "Component/s",
        "source_reference": "Issue key",
    }
    assert mapping.values["severity"] == {"Highest": "1", "Low": "4", "High": "2", "Medium": "3"}
    assert mapping.values["category"] == {"Bug": "defect", "Question": "how_to", "Improvement": "enhancement"}
    assert mapping.values["status"] == {
        "Done": "resolved",
        "Open": "new",
        "In Progress": "in_progress",
        "Closed": "closed",
    }


def test_servicenow_headers_and_values_are_understood():
    table = csv_read(
        b"number,short_description,priority,state,opened_at,resolved_at,close_notes,caller_id,category\n"
        b"INC0010001,Cannot log in,1 - Critical,Resolved,2026-03-02 09:00:00,2026-03-02 10:00:00,Reset MFA,x,Access\n"
    )
    mapping = mapping_for(table)
    assert mapping.columns["source_reference"] == "number"
    assert mapping.columns["title"] == "short_description"
    assert mapping.columns["resolution"] == "close_notes"
    assert mapping.values["severity"] == {"1 - Critical": "1"}
    assert mapping.values["category"] == {"Access": "access"}


def test_the_dry_run_stores_nothing_and_reads_dates_in_the_programme_time_zone(lead_access):
    table = csv_read(JIRA.encode())
    plan = import_check(access=lead_access, table=table, mapping=mapping_for(table), at=NOW)
    assert plan.ok, plan.errors
    assert not Ticket.objects.exists()
    first, second, third, fourth = plan.rows
    assert first.reported_at == datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)
    assert first.resolved_at == datetime(2026, 3, 2, 13, 0, tzinfo=LONDON)
    assert third.reported_at == datetime(2026, 3, 4, 8, 15, tzinfo=UTC)
    assert fourth.reported_at == datetime(2026, 3, 4, 14, 0, tzinfo=LONDON)  # day first by default
    assert first.reporter.username == "champion"
    assert second.reporter is None  # not a member: the importing lead reports it
    assert fourth.reporter.username == "desk"  # by email, whatever its case
    assert second.description == "Asked on the floor,\ntwice"


BAD = (
    "Key,Summary,Priority,Status,Created,Resolved\n"  # line 1
    "K-1,Fine row,High,Open,2026-03-02 09:00,\n"  # 2
    "K-2,,High,Open,2026-03-02 09:00,\n"  # 3: no title
    "K-3,Bad date,High,Open,yesterday-ish,\n"  # 4: unreadable date
    '"K-4","Multi\nline title",Whatever,Open,2026-03-02 09:00,\n'  # 5-6: unmapped priority
    "K-5,From the future,Low,Open,2099-01-01 09:00,\n"  # 7: future
    "K-6,Resolved first,Low,Done,2026-03-05 09:00,2026-03-04 09:00\n"  # 8: resolved before reported
    "K-7,Done without a date,Low,Done,2026-03-05 09:00,\n"  # 9: no resolved date
    "K-1,Duplicate key,Low,Open,2026-03-05 09:00,\n"  # 10: duplicate of line 2
    "K-8,Deferred sev1,Highest,Deferred,2026-03-05 09:00,\n"  # 11: a Sev1 cannot be deferred
    f"K-9,{'x' * 201},Low,Open,2026-03-05 09:00,\n"  # 12: title too long
    "K-10,Last fine row,Low,Open,2026-03-05 09:00,\n"  # 13
)


def test_the_dry_run_reports_every_bad_row_with_its_line_and_reason(lead_access):
    table = csv_read(BAD.encode())
    mapping = mapping_for(table)
    assert mapping.values["severity"]["Whatever"] == ""
    plan = import_check(access=lead_access, table=table, mapping=mapping, at=NOW)
    assert [(error.line, error.field) for error in plan.errors] == [
        (3, "title"),
        (4, "reported_at"),
        (5, "severity"),
        (7, "reported_at"),
        (8, "resolved_at"),
        (9, "resolved_at"),
        (10, "source_reference"),
        (11, "status"),
        (12, "title"),
    ]
    messages = {error.line: error.message for error in plan.errors}
    assert (
        messages[4]
        == "'yesterday-ish' is not a date we can read: use 2026-03-02 09:30, 02/03/2026 09:30 (with date_order) "
        "or 02/Mar/26 9:30 AM in the file."
    )
    assert messages[5] == "'Whatever' is not mapped to a severity: map it in the values step."
    assert messages[7] == "'2099-01-01 09:00' is in the future: check the date and the source time zone."
    assert messages[9] == (
        "A resolved ticket needs its resolved date: fill the resolved cell, or map a fallback column "
        "(Status Category Changed, sys_updated_on, Updated)."
    )
    assert messages[10] == "K-1 is also on line 2: keep one of the two rows."
    assert messages[12] == "201 characters; at most 200: shorten it in the file."
    assert [row.line for row in plan.rows] == [2, 13]
    assert plan.bad_lines == [3, 4, 5, 7, 8, 9, 10, 11, 12]


def test_the_commit_refuses_a_file_with_bad_rows_and_stores_nothing(lead_access, programme):
    table = csv_read(BAD.encode())
    with pytest.raises(ImportRowsError) as refused:
        tickets_import(access=lead_access, table=table, mapping=mapping_for(table), at=NOW)
    assert len(refused.value.errors) == 9
    assert not Ticket.objects.exists()
    assert Programme.objects.get(pk=programme.pk).last_ticket_number == 0


def test_the_commit_imports_every_row_with_its_timeline_and_clocks(lead_access, champion, lead):
    table = csv_read(JIRA.encode())
    tickets = tickets_import(
        access=lead_access, table=table, mapping=mapping_for(table), source_name="jira.csv", at=NOW
    )
    assert [t.reference for t in tickets] == ["ACME-1", "ACME-2", "ACME-3", "ACME-4"]
    quote, howto, invoices, report = (Ticket.objects.get(pk=t.pk) for t in tickets)

    assert (quote.status, quote.severity, quote.category, quote.source_reference) == (
        "resolved",
        1,
        "defect",
        "HC-1",
    )
    assert quote.reporter == champion.user and quote.process == "Quotes"
    assert quote.reported_at == datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)
    assert quote.resolved_at == datetime(2026, 3, 2, 13, 0, tzinfo=LONDON)
    assert quote.resolved_at_tier == Tier.TIER2
    assert list(quote.events.values_list("kind", flat=True)) == [EventKind.CREATED, EventKind.RESOLVED]
    # Sev1 round the clock: resolved 3.5 h after the report, inside its 4 h.
    assert quote.response_due_at is not None and quote.resolution_breached is False
    assert not Notification.objects.filter(kind="ticket_resolved").exists()  # history is not news
    # Resolved in time in the old tracker: no SLA alert, although it was logged weeks before the import.
    assert not SlaAlert.objects.filter(ticket=quote).exists()

    assert (howto.status, howto.category, howto.severity, howto.reporter) == ("new", "how_to", 4, lead.user)
    assert "Reported by jane@elsewhere.example" in howto.description
    assert "Imported from jira.csv (HC-2)" in howto.description
    assert howto.resolution_due_at is None  # Sev4 has no resolution target

    assert invoices.status == Status.IN_PROGRESS and invoices.first_responded_at == invoices.reported_at
    # Still open and four weeks old: its Sev2 resolution clock is breached today, as the sweep would say.
    assert invoices.resolution_breached is True
    assert (report.status, report.category) == (Status.CLOSED, "enhancement")
    assert report.closed_at == datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)


def test_importing_the_same_file_twice_is_refused(lead_access):
    table = csv_read(JIRA.encode())
    tickets_import(access=lead_access, table=table, mapping=mapping_for(table), at=NOW)
    plan = import_check(access=lead_access, table=table, mapping=mapping_for(table), at=NOW)
    assert [error.message for error in plan.errors] == [
        "HC-1 was already imported as ACME-1: remove the row from the file.",
        "HC-2 was already imported as ACME-2: remove the row from the file.",
        "HC-3 was already imported as ACME-3: remove the row from the file.",
        "HC-4 was already imported as ACME-4: remove the row from the file.",
    ]


def test_a_service_refusal_during_the_commit_rolls_back_every_row(lead_access, monkeypatch):
    table = csv_read(JIRA.encode())
    real = imports.services.transition_plan  # the import's rules of a move are ticket_transition's

    def refuse_in_progress(access, ticket, status, **kwargs):
        if status == Status.IN_PROGRESS:
            raise TicketStateError("Someone else changed this ticket a moment ago.")
        return real(access, ticket, status, **kwargs)

    monkeypatch.setattr(imports.services, "transition_plan", refuse_in_progress)
    with pytest.raises(ImportRowsError) as refused:
        tickets_import(access=lead_access, table=table, mapping=mapping_for(table), at=NOW)
    assert [(e.line, e.field) for e in refused.value.errors] == [(5, "row")]
    assert not Ticket.objects.exists()


def test_the_mapping_must_name_a_title_and_a_reported_date(lead_access):
    table = csv_read(JIRA.encode())
    mapping = mapping_for(table)
    mapping.columns.pop("reported_at")
    mapping.columns["description"] = "Summary"
    with pytest.raises(ValidationError) as error:
        import_check(access=lead_access, table=table, mapping=mapping, at=NOW)
    assert set(error.value.message_dict) == {"reported_at", "description"}


def test_a_default_severity_fills_rows_without_one(lead_access):
    table = csv_read(b"Summary,Created,Priority\nA,2026-03-02 09:00,\nB,2026-03-02 10:00,High\n")
    without = import_check(access=lead_access, table=table, mapping=mapping_for(table), at=NOW)
    assert [(e.line, e.field) for e in without.errors] == [(2, "severity")]
    with_default = import_check(
        access=lead_access, table=table, mapping=mapping_for(table, default_severity=3), at=NOW
    )
    assert [row.severity for row in with_default.rows] == [3, 2]


def test_month_first_dates_for_us_exports(lead_access):
    table = csv_read(b"Summary,Created,Priority\nA,02/03/2026 09:00,High\n")
    day_first = import_check(access=lead_access, table=table, mapping=mapping_for(table), at=NOW)
    month_first = import_check(
        access=lead_access, table=table, mapping=mapping_for(table, date_order="month_first"), at=NOW
    )
    assert day_first.rows[0].reported_at.date().isoformat() == "2026-03-02"
    assert month_first.rows[0].reported_at.date().isoformat() == "2026-02-03"


@pytest.mark.parametrize("role", ["desk", "engineer", "champion", "viewer"])
def test_only_leads_import(request, role):
    persona = request.getfixturevalue(role)
    table = csv_read(JIRA.encode())
    with pytest.raises(PermissionDenied):
        tickets_import(access=access_of(persona), table=table, mapping=mapping_for(table), at=NOW)


def test_the_dry_run_names_a_description_over_the_limit(lead_access):
    table = csv_read(
        (
            "Key,Summary,Description,Priority,Status,Created\n"
            f"K-1,Crash,{'x' * 20_001},High,Open,2026-03-02 09:00\n"
            f"K-2,Crash,{'x' * 20_000},High,Open,2026-03-02 09:00\n"
        ).encode()
    )
    plan = import_check(access=lead_access, table=table, mapping=mapping_for(table), at=NOW)
    assert [(error.line, error.field, error.message) for error in plan.errors] == [
        (2, "description", "20001 characters; at most 20000: shorten it in the file.")
    ]
