"""The import's commit by chunks stores exactly what the ticket services stored row by row (the
commit before it, kept here as the yardstick), in statements that grow by chunk, not by row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.imports import jira_csv
from hypercare.models import Notification
from hypercare.vocabulary import OPEN_STATUSES, EventKind, Status
from sla.policy import default_targets, sla_policy_create
from tests.tickets.test_import_exports import EXPORTS, people  # noqa: F401  (the fixture)
from tickets import imports, services
from tickets.clocks import ticket_clocks_refresh
from tickets.imports import People, csv_read, import_check, import_run, suggest_mapping
from tickets.models import Comment, SlaAlert, Ticket, TicketEvent
from triage import services as triage_services

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
EXPORT_OPTIONS = {
    "jira_cloud.csv": {},
    "jira_server_excel.csv": {},
    "servicenow_incident.csv": {"time_zone": "America/Sao_Paulo"},
    "servicenow_cp1252.csv": {},
    "servicenow_mmddyyyy.csv": {},
    "zendesk.csv": {"time_zone": "Asia/Kolkata"},
}


def _row_through_services(access, row, *, source_name, now, people):  # noqa: F811
    """One row as the commit stored it before chunks: ticket_create, ticket_assign, ticket_transition,
    ticket_resolve, then the comments, each writing at once."""
    source = source_name or "the source tracker"

    def note(ticket, text, **data):
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.EDITED,
            actor=access.user,
            at=row.reported_at,
            note=text,
            data={"imported": True, **data},
        )

    ticket = services.ticket_create(
        access=access,
        reporter=row.reporter,
        title=row.title,
        description=imports._description(row, source_name),
        business_unit=row.business_unit,
        geography=row.geography,
        process=row.process,
        category=row.category,
        severity=row.severity,
        severity_reason=f"Imported: {row.severity_source}"
        if row.severity_source
        else "Imported with the default",
        reported_at=row.reported_at,
        source_reference=row.source_reference,
        imported=True,
        at=row.reported_at,
    )
    if row.reporter is None:
        Ticket.objects.filter(pk=ticket.pk).update(business_unit=row.business_unit, geography=row.geography)
        if row.reporter_source:
            note(
                ticket,
                f"Reported by {row.reporter_source} in {source} (not a member of this programme).",
                reporter=row.reporter_source,
            )
    assigned = False
    if row.assignee is not None:
        try:
            with transaction.atomic():
                services.ticket_assign(
                    access=access, ticket=ticket, assignee=row.assignee, at=row.reported_at
                )
            assigned = True
        except services.ValidationError:
            pass
    if row.assignee_source and not assigned:
        note(
            ticket,
            f"Assigned to {row.assignee_source} in {source} (not someone who works the queue here).",
            assignee=row.assignee_source,
        )
    if row.assignment_group:
        if row.team and not assigned:
            Ticket.objects.filter(pk=ticket.pk).update(team=row.team)
            ticket.team = row.team
        if not row.team or assigned:
            note(
                ticket,
                f"Assignment group in {source}: {row.assignment_group}.",
                assignment_group=row.assignment_group,
            )
    if row.status in (Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING_ON_REPORTER, Status.DEFERRED):
        services.ticket_transition(access=access, ticket=ticket, status=row.status, at=row.reported_at)
    elif row.status in (Status.RESOLVED, Status.CLOSED):
        services.ticket_resolve(
            access=access,
            ticket=ticket,
            resolution=row.resolution or f"Resolved in {source} (imported).",
            imported=True,
            at=row.resolved_at,
        )
        if row.status == Status.CLOSED:
            services.ticket_transition(
                access=access, ticket=ticket, status=Status.CLOSED, at=row.closed_at or row.resolved_at
            )
    for comment in row.comments:
        author = people.find(comment.author) if comment.author else None
        body = comment.body
        if author is None:
            author = access.user
            name = people.name(comment.author) if comment.author else "Someone"
            body = f"{name} wrote in {source}:\n\n{body}"
        moment = min(comment.at or row.reported_at, now)
        saved = Comment.objects.create(
            ticket=ticket, author=author, body=body, internal=comment.internal, created_at=moment
        )
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.COMMENT,
            actor=author,
            at=moment,
            note=body,
            internal=comment.internal,
            data={"comment_id": saved.pk, "imported": True},
        )
    if row.status in OPEN_STATUSES:
        ticket_clocks_refresh(ticket=ticket, at=now)


def stored(programme) -> dict:
    """Everything an import leaves behind, by source key, without ids and the instants of the run."""
    skip = {"id", "updated_at", "imported_at"}
    found = {}
    for ticket in Ticket.objects.filter(programme=programme).order_by("number"):
        comments = list(ticket.comments.order_by("pk"))
        position = {comment.pk: index for index, comment in enumerate(comments)}
        events = []
        for event in ticket.events.order_by("pk"):
            data = dict(event.data)
            if "comment_id" in data:
                data["comment_id"] = position[data["comment_id"]]
            events.append(
                (
                    event.kind,
                    event.actor_id,
                    event.at,
                    event.from_value,
                    event.to_value,
                    event.note,
                    event.internal,
                    data,
                )
            )
        found[ticket.source_reference] = {
            "ticket": {
                f.attname: getattr(ticket, f.attname)
                for f in Ticket._meta.concrete_fields
                if f.attname not in skip
            },
            "imported": ticket.imported_at is not None,
            "events": events,
            "comments": [(c.author_id, c.body, c.internal, c.created_at) for c in comments],
            "watchers": sorted(ticket.watchers.values_list("user_id", "created_at")),
            "alerts": sorted(ticket.sla_alerts.values_list("kind", "severity", "created_at", "notified_at")),
        }
    return found


def both_ways(access, table, mapping, *, source_name: str) -> tuple[dict, dict]:
    """(what the services stored row by row, then rolled back; what import_run stores)."""
    with transaction.atomic():
        people_ = People(access.programme, table)
        plan = import_check(access=access, table=table, mapping=mapping, at=NOW, people=people_)
        assert plan.errors == []
        for row in plan.rows:
            _row_through_services(access, row, source_name=source_name, now=NOW, people=people_)
        before = stored(access.programme)
        transaction.set_rollback(True)
    access.programme.refresh_from_db()
    result = import_run(
        access=access, table=table, mapping=mapping, dry_run=False, source_name=source_name, at=NOW
    )
    assert result.refused == []
    return before, stored(access.programme)


@pytest.mark.parametrize("name", sorted(EXPORT_OPTIONS))
def test_each_real_export_is_stored_as_the_services_stored_it_row_by_row(people, name):  # noqa: F811
    table = csv_read((EXPORTS / name).read_bytes())
    mapping = suggest_mapping(table)
    for key, value in EXPORT_OPTIONS[name].items():
        setattr(mapping, key, value)
    before, after = both_ways(people["access"], table, mapping, source_name=name)
    assert before and after == before


def test_a_generated_backlog_under_two_policy_versions_is_stored_as_row_by_row(people):  # noqa: F811
    access = people["access"]
    tighter = default_targets(480)
    for values in tighter.values():
        values["response_minutes"] //= 2
    sla_policy_create(programme=access.programme, targets=tighter, effective_from=NOW - timedelta(days=200))
    table = csv_read(jira_csv(240, now=NOW - timedelta(minutes=5)))
    mapping = suggest_mapping(table)
    mapping.values["status"].update({"In Review": "triaged", "Waiting for customer": "waiting_on_reporter"})
    before, after = both_ways(access, table, mapping, source_name="backlog.csv")
    assert len(after) == 240 and after == before
    statuses = {ticket["ticket"]["status"] for ticket in after.values()}
    assert statuses == {"new", "triaged", "in_progress", "waiting_on_reporter", "resolved", "closed"}
    assert len({ticket["ticket"]["sla_policy_id"] for ticket in after.values()}) == 2
    assert sum(len(ticket["alerts"]) for ticket in after.values()) > 50  # old open tickets breached long ago
    # Recorded, never announced: the breaches of history notify nobody, now or at the next sweep.
    triage_services.sla_sweep(at=NOW + timedelta(minutes=1))
    triage_services.sla_alerts_fan_out(at=NOW + timedelta(minutes=1))
    assert not Notification.objects.exists()
    assert SlaAlert.objects.exists() and not SlaAlert.objects.pending().exists()


def statements(access, rows: int, monkeypatch) -> dict[str, int]:
    """The statements of a dry run of `rows` rows by chunks of 100, counted by their first word."""
    table = csv_read(jira_csv(rows, now=NOW - timedelta(minutes=5), seed=rows))
    mapping = suggest_mapping(table)
    mapping.values["status"].update({"In Review": "triaged", "Waiting for customer": "waiting_on_reporter"})
    monkeypatch.setattr(imports, "IMPORT_CHUNK", 100)
    with CaptureQueriesContext(connection) as queries:
        result = import_run(access=access, table=table, mapping=mapping, dry_run=True, at=NOW)
    assert result.refused == [] and result.accepted == rows
    counts = {"SELECT": 0, "UPDATE": 0, "INSERT": 0, "DELETE": 0}
    for query in queries.captured_queries:
        word = query["sql"].split(None, 1)[0].upper()
        if word in counts:
            counts[word] += 1
    return counts


def test_the_commit_does_not_query_per_row(people, monkeypatch):  # noqa: F811
    """200 and 400 rows differ by two chunks of 100: one UPDATE (the chunk's ticket numbers) and one
    INSERT per table each. SQLite splits an INSERT every 999 parameters, so there the INSERTs grow
    with the data too, by far less than one a row; PostgreSQL needs one."""
    access = people["access"]
    small = statements(access, 200, monkeypatch)
    large = statements(access, 400, monkeypatch)
    assert large["SELECT"] <= small["SELECT"] and large["DELETE"] == small["DELETE"] == 0
    assert large["UPDATE"] - small["UPDATE"] == 2
    if connection.vendor == "postgresql":
        assert large["INSERT"] - small["INSERT"] == 2 * 5  # tickets, comments, events, watchers, alerts
    else:
        assert large["INSERT"] - small["INSERT"] < 200 / 5
    assert not Ticket.objects.exists()  # a dry run: nothing stayed


def test_a_change_dated_after_the_import_tells_the_watchers_as_the_services_did(people):  # noqa: F811
    """Only with a run instant ahead of the clock (a row dated after the import itself): the status move
    is news, so the reporter who follows the ticket is told, once, exactly as ticket_transition told them."""
    from django.utils import timezone

    access = people["access"]
    ahead = timezone.now() + timedelta(days=2)
    reported = (ahead - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    table = csv_read(
        f"Issue key,Summary,Priority,Status,Created,Reporter\nHC-1,Quotes fail,High,In Progress,{reported},Jane Smith\n"
        f"HC-2,Quotes slow,Low,To Do,{reported},Jane Smith\n".encode()
    )
    mapping = suggest_mapping(table)
    mapping.time_zone = "UTC"

    def told():
        return sorted(Notification.objects.values_list("recipient__username", "kind", "channel", "subject"))

    with transaction.atomic():
        people_ = People(access.programme, table)
        for row in import_check(access=access, table=table, mapping=mapping, at=ahead, people=people_).rows:
            _row_through_services(access, row, source_name="", now=ahead, people=people_)
        before = told()
        transaction.set_rollback(True)
    access.programme.refresh_from_db()
    assert import_run(access=access, table=table, mapping=mapping, dry_run=False, at=ahead).refused == []
    assert before and told() == before
    assert {recipient for recipient, *_ in before} == {"jsmith"}
