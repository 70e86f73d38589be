"""Import tickets from a CSV export of another tracker (Jira, ServiceNow, a spreadsheet).

Three steps: read the file (`csv_read`), map its columns and values (`ImportMapping`, with
`suggest_columns` / `suggest_values` guessing the obvious), then `import_check` (the dry run:
every bad row with its line number and reason, nothing written) and `tickets_import` (the
commit: all rows or none, each through ticket_create so it gets its timeline and SLA clocks).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from hypercare.access import ProgrammeAccess
from hypercare.models import Membership
from hypercare.vocabulary import OPEN_STATUSES, Category, Severity, Status
from tickets import services
from tickets.clocks import ticket_clocks_refresh
from tickets.models import DETAILS_MAX_LENGTH, TITLE_MAX_LENGTH, Ticket
from tickets.services import TicketStateError

MAX_IMPORT_BYTES = 5 * 1024 * 1024
# Each row goes through the services (timeline, clocks: some 15 queries): a file must commit
# within one web request.
MAX_IMPORT_ROWS = 1000
MAX_DISTINCT_VALUES = 60


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    required: bool = False
    max_length: int | None = None
    help: str = ""


TARGETS = [
    Target(
        "title",
        "Title",
        required=True,
        max_length=TITLE_MAX_LENGTH,
        help="Jira: Summary; ServiceNow: short_description",
    ),
    Target("description", "Description", max_length=DETAILS_MAX_LENGTH),
    Target("reported_at", "Reported at", required=True, help="Jira: Created; ServiceNow: opened_at"),
    Target("category", "Category", help="Jira: Issue Type; ServiceNow: category"),
    Target("severity", "Severity", help="Jira: Priority; ServiceNow: priority"),
    Target("status", "Status", help="Jira: Status; ServiceNow: state"),
    Target("resolved_at", "Resolved at", help="Needed for resolved and closed tickets"),
    Target("closed_at", "Closed at"),
    Target("resolution", "Resolution note", help="ServiceNow: close_notes"),
    Target("reporter", "Reporter (username or email)", help="Unknown people: you become the reporter"),
    Target("business_unit", "Business unit", max_length=100),
    Target("geography", "Geography", max_length=100),
    Target("process", "Business process / object", max_length=200, help="Jira: Component/s"),
    Target(
        "source_reference",
        "Key in the source tracker",
        max_length=100,
        help="Jira: Issue key; ServiceNow: number",
    ),
]
TARGETS_BY_NAME = {target.name: target for target in TARGETS}
VALUE_TARGETS = ("category", "severity", "status")

# Header names of common exports, normalised (lower case, letters and digits only), best first.
COLUMN_SYNONYMS: dict[str, list[str]] = {
    name: words.split()
    for name, words in {
        "title": "title summary shortdescription subject issue name",
        "description": "description details descriptiontext body",
        "reported_at": "reportedat created createdat createddate openedat opened datereported reported "
        "syscreatedon date",
        "category": "category issuetype type tickettype kind",
        "severity": "severity priority sev impact",
        "status": "status state",
        "resolved_at": "resolvedat resolved resolveddate resolutiondate dateresolved",
        "closed_at": "closedat closed closeddate",
        "resolution": "resolutionnote resolutionnotes closenotes closurenotes fixnotes resolution",
        "reporter": "reporter reporteremail reportedby caller callerid openedby requester createdby",
        "business_unit": "businessunit department unit bu division",
        "geography": "geography location country region site",
        "process": "process businessprocess components component object module subcategory",
        "source_reference": "sourcereference issuekey key number ticketnumber id ticketid reference ref",
    }.items()
}


def _meanings(words_by_value: dict[str, str]) -> dict[str, str]:
    return {word: value for value, words in words_by_value.items() for word in words.split()}


# Source values, normalised, and what they obviously mean here: Jira priorities and statuses,
# ServiceNow's "1 - Critical" and states, Sev1/P1 and plain digits.
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "severity": _meanings(
        {
            "1": "blocker highest critical urgent 1critical sev1 severity1 p1 1",
            "2": "high major 2high sev2 severity2 p2 2",
            "3": "medium normal moderate 3moderate sev3 severity3 p3 3",
            "4": "low lowest minor trivial planning 4low 5planning sev4 severity4 p4 p5 4 5",
        }
    ),
    "status": _meanings(
        {
            "new": "new open todo backlog selectedfordevelopment",
            "triaged": "triaged assigned accepted",
            "in_progress": "inprogress workinprogress inreview active investigating reopened",
            "waiting_on_reporter": "waitingonreporter waitingforcustomer waitingforreporter pending onhold "
            "awaitinginfo awaitinguser",
            "resolved": "resolved done fixed complete completed",
            "closed": "closed cancelled canceled",
            "deferred": "deferred deferredtobacklog wontdo wontfix postponed",
        }
    ),
    "category": _meanings(
        {
            "defect": "defect bug incident error problem",
            "how_to": "howto howtotraininggap question training traininggap inquiry enquiry help "
            "servicerequest usererror",
            "access": "access accesspermissions permissions permission accessrequest login password",
            "data": "data datacorrection datacorrectionmigration datamigration migration dataissue",
            "configuration": "configuration config change setup",
            "performance": "performance slow",
            "integration": "integration interface middleware",
            "enhancement": "enhancement enhancementrequest improvement newfeature feature story "
            "featurerequest changerequest",
        }
    ),
}

# Naive dates and times, day first (most of the world) or month first (US exports); then Jira's
# default ("02/Mar/26 9:30 AM") and spelled-out months.
DAY_FIRST_FORMATS = [
    f"{day}{clock}"
    for day in ("%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y")
    for clock in (" %H:%M:%S", " %H:%M", " %I:%M %p", "")
]
MONTH_FIRST_FORMATS = [
    f"{day}{clock}"
    for day in ("%m/%d/%Y", "%m/%d/%y")
    for clock in (" %H:%M:%S", " %H:%M", " %I:%M %p", " %I:%M:%S %p", "")
]
NAMED_MONTH_FORMATS = [
    f"{day}{clock}"
    for day in ("%d/%b/%y", "%d/%b/%Y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y")
    for clock in (" %I:%M %p", " %H:%M", "")
]
DATE_ORDERS = [("day_first", "Day first (31/03/2026)"), ("month_first", "Month first (03/31/2026)")]


def normalise(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", (text or "").lower())


# Reading the file --------------------------------------------------------------------------


@dataclass
class CsvTable:
    headers: list[str]
    # (line number in the file where the record starts, cells)
    rows: list[tuple[int, list[str]]]

    def column(self, header: str) -> int:
        return self.headers.index(header)

    def distinct(self, header: str, limit: int = MAX_DISTINCT_VALUES + 1) -> list[str]:
        """The distinct non-empty values of a column, in order of appearance."""
        index = self.column(header)
        seen: dict[str, None] = {}
        for _, cells in self.rows:
            value = cells[index].strip() if index < len(cells) else ""
            if value and value not in seen:
                seen[value] = None
                if len(seen) >= limit:
                    break
        return list(seen)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": "The file is neither UTF-8 nor Windows-1252 text: save it as CSV UTF-8."})


def csv_read(data: bytes) -> CsvTable:
    """Parse a CSV export: its header row and records, each with the line it starts on."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": f"The file is {len(data) // 1024 // 1024} MB; the limit is 5 MB."})
    if b"\x00" in data[:4096]:
        raise ValidationError({"file": "This is not a CSV file (it looks binary: export as CSV, not Excel)."})
    text = _decode(data)
    if not text.strip():
        raise ValidationError({"file": "The file is empty."})
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if headers is None:
                headers = _unique_headers(cells)
                continue
            rows.append((start, cells))
            if len(rows) > MAX_IMPORT_ROWS:
                raise ValidationError(
                    {
                        "file": f"The file has more than {MAX_IMPORT_ROWS} tickets: split it into smaller files."
                    }
                )
    except csv.Error as error:
        raise ValidationError({"file": f"Line {line}: this is not valid CSV ({error})."}) from None
    if headers is None:
        raise ValidationError({"file": "The file has no header row."})
    if not rows:
        raise ValidationError({"file": "The file has a header row but no tickets."})
    return CsvTable(headers=headers, rows=rows)


def _unique_headers(cells: list[str]) -> list[str]:
    # Jira repeats headers (several "Labels" or "Component/s" columns): number the repeats.
    headers: list[str] = []
    for position, cell in enumerate(cells, start=1):
        name = cell.strip() or f"Column {position}"
        candidate, n = name, 2
        while candidate in headers:
            candidate, n = f"{name} ({n})", n + 1
        headers.append(candidate)
    return headers


# The mapping -------------------------------------------------------------------------------


@dataclass
class ImportMapping:
    """Which source column feeds which ticket field, and what the source's values mean here."""

    columns: dict[str, str] = field(default_factory=dict)
    # target -> {source value: our value}; a value mapped to "" is refused as unmapped.
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    default_category: str = Category.DEFECT
    default_severity: int | None = None
    date_order: str = "day_first"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ImportMapping:
        return cls(
            columns=dict(data.get("columns", {})),
            values={key: dict(value) for key, value in data.get("values", {}).items()},
            default_category=data.get("default_category", Category.DEFECT),
            default_severity=data.get("default_severity"),
            date_order=data.get("date_order", "day_first"),
        )

    def validate(self, table: CsvTable) -> None:
        """The mapping itself: required fields mapped, columns that exist, each column used once."""
        errors: dict[str, str] = {}
        for target in TARGETS:
            header = self.columns.get(target.name)
            if header and header not in table.headers:
                errors[target.name] = f"The file has no column {header!r}."
            elif target.required and not header:
                errors[target.name] = f"Choose the column that holds the {target.label.lower()}."
        used: dict[str, str] = {}
        for name, header in self.columns.items():
            if header and header in used:
                errors[name] = (
                    f"{header!r} is already mapped to {TARGETS_BY_NAME[used[header]].label.lower()}."
                )
            elif header:
                used[header] = name
        if self.default_category not in Category.values:
            errors["default_category"] = "Choose a category."
        if self.default_severity is not None and self.default_severity not in Severity.values:
            errors["default_severity"] = "Severity must be 1, 2, 3 or 4."
        if errors:
            raise ValidationError(errors)


def suggest_columns(headers: list[str]) -> dict[str, str]:
    """The obvious column for each field, by the header names Jira, ServiceNow and spreadsheets use."""
    by_name = {normalise(header): header for header in reversed(headers)}
    suggestion: dict[str, str] = {}
    taken: set[str] = set()
    for target in TARGETS:
        for synonym in COLUMN_SYNONYMS.get(target.name, ()):
            header = by_name.get(synonym)
            if header and header not in taken:
                suggestion[target.name] = header
                taken.add(header)
                break
    return suggestion


def suggest_value(target: str, value: str) -> str:
    """What a source value obviously means (Jira's "Highest" is Sev1, "Bug" a defect), or ""."""
    key = normalise(value)
    if target == "category":
        for choice, label in Category.choices:
            if key in (normalise(choice), normalise(label)):
                return choice
    if target == "status":
        for choice, label in Status.choices:
            if key in (normalise(choice), normalise(label)):
                return choice
    return VALUE_SYNONYMS.get(target, {}).get(key, "")


def suggest_values(table: CsvTable, mapping: ImportMapping) -> dict[str, dict[str, str]]:
    """For each mapped category/severity/status column, its distinct values and their obvious meaning."""
    suggestion: dict[str, dict[str, str]] = {}
    for target in VALUE_TARGETS:
        header = mapping.columns.get(target)
        if not header:
            continue
        known = mapping.values.get(target, {})
        suggestion[target] = {
            value: known.get(value, suggest_value(target, value)) for value in table.distinct(header)
        }
    return suggestion


def value_choices(target: str) -> list[tuple[str, str]]:
    if target == "category":
        return list(Category.choices)
    if target == "severity":
        return [(str(value), label) for value, label in Severity.choices]
    return list(Status.choices)


# The dry run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.field}: {self.message}"


@dataclass
class ImportRow:
    line: int
    title: str
    description: str
    category: str
    severity: int
    severity_source: str
    status: str
    reported_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution: str
    reporter: object | None
    reporter_source: str
    business_unit: str
    geography: str
    process: str
    source_reference: str


@dataclass
class ImportPlan:
    rows: list[ImportRow]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> list[int]:
        return sorted({error.line for error in self.errors})


class ImportRowsError(Exception):
    """An import refused because of bad rows; nothing was stored."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors[:5]))


def parse_when(value: str, *, zone: ZoneInfo, date_order: str = "day_first") -> datetime | None:
    """An instant from an export's date: ISO 8601 (with or without offset) or a common local format.

    A time without an offset is read in the programme's time zone; a date alone is midnight.
    """
    text = " ".join(value.strip().split())
    if not text:
        return None
    iso = text.replace("Z", "+00:00") if text.endswith("Z") else text
    parsed = None
    try:
        parsed = parse_datetime(iso)
    except ValueError:
        return None
    if parsed is None:
        try:
            day = parse_date(iso)
        except ValueError:
            return None
        if day is not None:
            parsed = datetime.combine(day, time(0))
    if parsed is None:
        formats = (
            DAY_FIRST_FORMATS if date_order == "day_first" else MONTH_FIRST_FORMATS
        ) + NAMED_MONTH_FORMATS
        for pattern in formats:
            try:
                parsed = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def _members(programme) -> tuple[dict, dict]:
    """Active members by lower-cased username and email (one query)."""
    by_username, by_email = {}, {}
    for membership in Membership.objects.active().filter(programme=programme).select_related("user"):
        user = membership.user
        by_username[user.username.lower()] = user
        if user.email:
            by_email.setdefault(user.email.lower(), user)
    return by_username, by_email


def import_check(
    *, access: ProgrammeAccess, table: CsvTable, mapping: ImportMapping, at: datetime | None = None
) -> ImportPlan:
    """The dry run: every row checked against the rules ticket_create and the status moves apply.

    Nothing is written. Each bad row gets one error per bad field, with the line it starts on.
    A closed programme takes no tickets (ticket_create's rule): ProgrammeClosed before any row.
    """
    services.require_ticket_intake(access)
    if not access.is_lead:
        raise PermissionDenied("Only leads can import tickets.")
    mapping.validate(table)
    now = at or timezone.now()
    zone = ZoneInfo(access.programme.timezone)
    by_username, by_email = _members(access.programme)
    index = {name: table.column(header) for name, header in mapping.columns.items() if header}
    width = len(table.headers)

    references = [
        cells[index["source_reference"]].strip()
        for _, cells in table.rows
        if "source_reference" in index and index["source_reference"] < len(cells)
    ]
    already = dict(
        Ticket.objects.filter(
            programme=access.programme, source_reference__in=[r for r in references if r]
        ).values_list("source_reference", "reference")
    )
    seen_references: dict[str, int] = {}

    rows: list[ImportRow] = []
    errors: list[RowError] = []
    for line, cells in table.rows:
        row_errors: list[RowError] = []

        def bad(name: str, message: str, line=line, row_errors=row_errors) -> None:
            row_errors.append(RowError(line, name, message))

        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            bad("row", f"{len(cells)} cells but the header has {width} columns (a stray delimiter?).")

        def cell(name: str, cells=cells) -> str:
            position = index.get(name)
            if position is None or position >= len(cells):
                return ""
            return cells[position].strip()

        values = {target.name: cell(target.name) for target in TARGETS}
        for target in TARGETS:
            if target.max_length and len(values[target.name]) > target.max_length:
                bad(target.name, f"{len(values[target.name])} characters; at most {target.max_length}.")
        if not values["title"]:
            bad("title", "The title is empty.")

        category = mapping.default_category
        if values["category"]:
            category = mapping.values.get("category", {}).get(values["category"]) or ""
            if category not in Category.values:
                bad("category", f"{values['category']!r} is not mapped to a category.")
        severity: int | None = mapping.default_severity
        if values["severity"]:
            mapped = mapping.values.get("severity", {}).get(values["severity"]) or ""
            severity = int(mapped) if mapped.isdigit() and int(mapped) in Severity.values else None
            if severity is None:
                bad("severity", f"{values['severity']!r} is not mapped to a severity.")
        elif severity is None:
            bad("severity", "No severity: fill the column or choose a default severity.")
        status = Status.NEW
        if values["status"]:
            status = mapping.values.get("status", {}).get(values["status"]) or ""
            if status not in Status.values:
                bad("status", f"{values['status']!r} is not mapped to a status.")

        dates: dict[str, datetime | None] = {}
        for name in ("reported_at", "resolved_at", "closed_at"):
            dates[name] = parse_when(values[name], zone=zone, date_order=mapping.date_order)
            if values[name] and dates[name] is None:
                bad(
                    name,
                    f"{values[name]!r} is not a date we can read (e.g. 2026-03-02 09:30 or 02/03/2026 09:30).",
                )
            elif dates[name] is not None and dates[name] > now:
                bad(name, f"{values[name]!r} is in the future.")
        reported_at = dates["reported_at"]
        if not values["reported_at"]:
            bad("reported_at", "The reported date is empty.")
        resolved_at = dates["resolved_at"]
        closed_at = dates["closed_at"]
        if status in (Status.RESOLVED, Status.CLOSED):
            if resolved_at is None and not values["resolved_at"]:
                bad("resolved_at", f"A {Status(status).label.lower()} ticket needs its resolved date.")
            if reported_at and resolved_at and resolved_at < reported_at:
                bad("resolved_at", "Resolved before it was reported.")
            if closed_at and (resolved_at or reported_at) and closed_at < (resolved_at or reported_at):
                bad("closed_at", "Closed before it was resolved.")
        else:
            resolved_at = closed_at = None  # an open ticket's old dates are history of another tracker
        if status == Status.DEFERRED and severity in (Severity.SEV1, Severity.SEV2):
            bad("status", "Sev1 and Sev2 tickets cannot be deferred to the backlog.")

        reporter = None
        if values["reporter"]:
            key = values["reporter"].lower()
            reporter = by_username.get(key) or by_email.get(key)

        reference = values["source_reference"]
        if reference:
            if reference in already:
                bad("source_reference", f"{reference} was already imported as {already[reference]}.")
            elif reference in seen_references:
                bad("source_reference", f"{reference} is also on line {seen_references[reference]}.")
            else:
                seen_references[reference] = line

        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(
            ImportRow(
                line=line,
                title=values["title"],
                description=values["description"],
                category=category,
                severity=severity,
                severity_source=values["severity"],
                status=status,
                reported_at=reported_at,
                resolved_at=resolved_at,
                closed_at=closed_at,
                resolution=values["resolution"],
                reporter=reporter,
                reporter_source=values["reporter"],
                business_unit=values["business_unit"],
                geography=values["geography"],
                process=values["process"],
                source_reference=reference,
            )
        )
    return ImportPlan(rows=rows, errors=errors)


# The commit --------------------------------------------------------------------------------


def _description(row: ImportRow, source_name: str) -> str:
    notes = []
    if row.reporter is None and row.reporter_source:
        notes.append(f"Reported by {row.reporter_source} (not a member of this programme).")
    if source_name:
        notes.append(
            f"Imported from {source_name}{f' ({row.source_reference})' if row.source_reference else ''}."
        )
    return "\n\n".join(part for part in [row.description, " ".join(notes)] if part)


def _import_row(access: ProgrammeAccess, row: ImportRow, *, source_name: str, now: datetime) -> Ticket:
    ticket = services.ticket_create(
        access=access,
        reporter=row.reporter,
        title=row.title,
        description=_description(row, source_name),
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
        # Logged "as of" its report, so the clocks are not judged against today before the
        # status moves below replay what happened.
        at=row.reported_at,
    )
    # The source's history is unknown: open statuses are dated at the report, endings at their own dates.
    if row.status in (Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING_ON_REPORTER, Status.DEFERRED):
        services.ticket_transition(access=access, ticket=ticket, status=row.status, at=row.reported_at)
    elif row.status in (Status.RESOLVED, Status.CLOSED):
        services.ticket_resolve(
            access=access,
            ticket=ticket,
            resolution=row.resolution or "Resolved in the previous tracker (imported).",
            imported=True,
            at=row.resolved_at,
        )
        if row.status == Status.CLOSED:
            services.ticket_transition(
                access=access, ticket=ticket, status=Status.CLOSED, at=row.closed_at or row.resolved_at
            )
    if row.status in OPEN_STATUSES:
        ticket_clocks_refresh(ticket=ticket, at=now)  # the open clocks as they stand today
    return ticket


@transaction.atomic
def tickets_import(
    *,
    access: ProgrammeAccess,
    table: CsvTable,
    mapping: ImportMapping,
    source_name: str = "",
    at: datetime | None = None,
) -> list[Ticket]:
    """Import every row or none: a bad row (found by the dry run or refused by a service) stores nothing."""
    now = at or timezone.now()
    plan = import_check(access=access, table=table, mapping=mapping, at=now)
    if plan.errors:
        raise ImportRowsError(plan.errors)
    tickets = []
    for row in plan.rows:
        try:
            tickets.append(_import_row(access, row, source_name=source_name, now=now))
        except ValidationError as error:
            messages = error.message_dict if hasattr(error, "error_dict") else {"row": error.messages}
            raise ImportRowsError(
                [RowError(row.line, name, " ".join(texts)) for name, texts in messages.items()]
            ) from error
        except (TicketStateError, PermissionDenied) as error:
            raise ImportRowsError([RowError(row.line, "row", str(error))]) from error
    return tickets
