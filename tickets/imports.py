"""Import tickets from a CSV export of another tracker (Jira, ServiceNow, Zendesk, a spreadsheet).

Read the file (`csv_read`), propose a mapping (`suggest_mapping`: the usual columns and values of
each tracker, the date order read from the file), read every row against it (`import_check`: each
bad field with its line and the fix), then `import_run`: the dry run and the commit in one code
path inside one transaction, which the dry run always rolls back and the commit rolls back on any
refused row: each row is built with the ticket services' own checks and clock rules, then stored
by chunks with one INSERT per table. Jobs and saved mappings: tickets.import_jobs.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from hypercare.access import ProgrammeAccess
from hypercare.models import Membership
from hypercare.roles import Team
from hypercare.vocabulary import OPEN_STATUSES, Category, EventKind, Severity, Status
from sla.policy import PolicyBook
from tickets import services
from tickets.clocks import ticket_clocks_replay
from tickets.models import (
    DETAILS_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Comment,
    SlaAlert,
    Ticket,
    TicketEvent,
    TicketWatcher,
)
from tickets.services import TicketStateError

MAX_IMPORT_BYTES = 64 * 1024 * 1024
# Large files run as a Celery job (ImportJob) with a progress bar; the commit stays one transaction.
MAX_IMPORT_ROWS = 60_000
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
        help="Jira: Summary; ServiceNow: short_description; Zendesk: Subject",
    ),
    Target("description", "Description", max_length=DETAILS_MAX_LENGTH),
    Target(
        "reported_at",
        "Reported at",
        required=True,
        help="Jira: Created; ServiceNow: opened_at; Zendesk: Created at",
    ),
    Target("category", "Category", help="Jira: Issue Type; ServiceNow: category; Zendesk: Ticket type"),
    Target("severity", "Severity", help="Jira: Priority; ServiceNow: priority"),
    Target("status", "Status", help="Jira: Status; ServiceNow: incident_state; Zendesk: Status"),
    Target("resolved_at", "Resolved at", help="Jira: Resolved; ServiceNow: resolved_at; Zendesk: Solved at"),
    Target(
        "resolved_fallback",
        "Resolved at, when empty",
        help="Read for resolved rows with no resolved date: Jira: Status Category Changed; ServiceNow: sys_updated_on",
    ),
    Target("closed_at", "Closed at"),
    Target("resolution", "Resolution note", help="ServiceNow: close_notes"),
    Target(
        "reporter",
        "Reporter (username, email or name)",
        help="Jira: Reporter; ServiceNow: caller_id; Zendesk: Requester. Others are kept by name on the ticket",
    ),
    Target("assignee", "Assignee", help="Jira: Assignee; ServiceNow: assigned_to"),
    Target("assignment_group", "Assignment group", help="ServiceNow: assignment_group; Zendesk: Group"),
    Target("business_unit", "Business unit", max_length=100),
    Target("geography", "Geography", max_length=100),
    Target("process", "Business process / object", max_length=200, help="Jira: Component/s"),
    Target(
        "source_reference",
        "Key in the source tracker",
        max_length=100,
        help="Jira: Issue key; ServiceNow: number; Zendesk: Id",
    ),
]
TARGETS_BY_NAME = {target.name: target for target in TARGETS}
VALUE_TARGETS = ("category", "severity", "status")
DATE_TARGETS = ("reported_at", "resolved_at", "resolved_fallback", "closed_at")

# Header names of common exports, normalised (lower case, letters and digits only), best first.
COLUMN_SYNONYMS: dict[str, list[str]] = {
    name: words.split()
    for name, words in {
        "title": "title summary shortdescription subject issue name",
        "description": "description details descriptiontext body",
        "reported_at": "reportedat created createdat createddate createdon openedat opened datereported reported "
        "syscreatedon date",
        "category": "category issuetype tickettype type kind",
        "severity": "severity priority sev impact",
        "status": "incidentstate status state",
        "resolved_at": "resolvedat resolved resolveddate resolvedon resolutiondate dateresolved solvedat solved",
        "resolved_fallback": "statuscategorychanged sysupdatedon updated updatedat updatedon lastupdated",
        "closed_at": "closedat closed closeddate closedon",
        "resolution": "resolutionnote resolutionnotes closenotes closurenotes fixnotes resolution",
        "reporter": "reporter reporteremail reportedby caller callerid requester openedby createdby",
        "assignee": "assignee assignedto",
        "assignment_group": "assignmentgroup group team",
        "business_unit": "businessunit department unit bu division",
        "geography": "geography location country region site",
        "process": "process businessprocess components component object module subcategory",
        "source_reference": "sourcereference issuekey key number ticketnumber id ticketid incident reference ref",
    }.items()
}
# Columns that may repeat (Jira writes one "Labels" or "Comment" column per value).
LABEL_HEADERS = {"labels", "label", "tags", "tag"}
PUBLIC_COMMENT_HEADERS = {"comment", "comments", "additionalcomments"}
INTERNAL_COMMENT_HEADERS = {"worknotes", "worknote", "internalnotes"}
COMMENT_VISIBILITIES = ("public", "internal")


def _meanings(words_by_value: dict[str, str]) -> dict[str, str]:
    return {word: value for value, words in words_by_value.items() for word in words.split()}


# Source values, normalised, and what they usually mean here: Jira priorities, statuses and issue
# types, ServiceNow's "1 - Critical", incident_state numbers and labels and categories, Zendesk's
# statuses, priorities and ticket types, Sev1/P1 and plain digits.
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "severity": _meanings(
        {
            "1": "blocker highest critical urgent 1critical 1high sev1 severity1 p1 1",
            "2": "high major 2high sev2 severity2 p2 2",
            "3": "medium normal moderate 3moderate 3medium sev3 severity3 p3 3",
            "4": "low lowest minor trivial planning 4low 5planning 5low sev4 severity4 p4 p5 4 5",
        }
    ),
    "status": _meanings(
        {
            "new": "new open todo backlog selectedfordevelopment 1",
            "triaged": "triaged assigned accepted",
            "in_progress": "inprogress workinprogress inreview active investigating reopened hold 2",
            "waiting_on_reporter": "waitingonreporter waitingforcustomer waitingforreporter pending onhold "
            "awaitinginfo awaitinguser awaitingcaller 3",
            "resolved": "resolved done fixed complete completed solved 6",
            "closed": "closed cancelled canceled wontdo wontfix duplicate 7 8",
            "deferred": "deferred deferredtobacklog postponed",
        }
    ),
    "category": _meanings(
        {
            "defect": "defect bug incident error problem software hardware",
            "how_to": "howto howtotraininggap question training traininggap inquiry enquiry help inquiryhelp "
            "servicerequest usererror",
            "access": "access accesspermissions permissions permission accessrequest login password",
            "data": "data datacorrection datacorrectionmigration datamigration migration dataissue database",
            "configuration": "configuration config change setup task subtask",
            "performance": "performance slow",
            "integration": "integration interface middleware network",
            "enhancement": "enhancement enhancementrequest improvement newfeature feature story epic "
            "featurerequest changerequest",
        }
    ),
}

NAMED_MONTH_FORMATS = [
    f"{day}{clock}"
    for day in (
        "%d/%b/%y",
        "%d/%b/%Y",
        "%d-%b-%Y",
        "%d-%b-%y",
        "%d %b %Y",
        "%d %B %Y",
        "%b %d, %Y",
        "%B %d, %Y",
    )
    for clock in (" %I:%M %p", " %H:%M", " %H:%M:%S", "")
]
DATE_ORDERS = [
    ("day_first", "Day first (31/03/2026 or 31-03-2026)"),
    ("month_first", "Month first (03/31/2026 or 03-31-2026)"),
]
DATE_ORDER_LABELS = {"day_first": "day first", "month_first": "month first"}
# 31/03/2026, 3-31-26 9:30 PM, 31.03.2026 14:05:59: numbers only, the order is the question.
NUMERIC_DATE = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*([AaPp][Mm])?)?$"
)


def normalise(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", (text or "").lower())


def _base(header: str) -> str:
    """A header without the number we give its repeats: "Comment (3)" is a "Comment"."""
    return normalise(re.sub(r" \(\d+\)$", "", header))


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
        raise ValidationError(
            {
                "file": f"The file is {len(data) // 1024 // 1024} MB; the limit is {MAX_IMPORT_BYTES // 1024 // 1024} MB: "
                "export fewer columns or split it by date."
            }
        )
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
                        "file": f"The file has more than {MAX_IMPORT_ROWS:,} tickets: split it by date into smaller files."
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
    """Which source column feeds which ticket field, what the source's values mean here, and how to read it.

    `labels`: columns whose values join the process field. `comments`: column -> "public" or
    "internal". `date_order`: "day_first", "month_first" or "" (read from the file; required when
    every date could be either). `time_zone`: the source's zone for times without an offset
    ("" is the programme's).
    """

    columns: dict[str, str] = field(default_factory=dict)
    # target -> {source value: our value}; a value mapped to "" is refused as unmapped.
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    comments: dict[str, str] = field(default_factory=dict)
    default_category: str = Category.DEFECT
    default_severity: int | None = None
    date_order: str = ""
    time_zone: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ImportMapping:
        """A mapping from JSON (the API's `mapping`, a saved mapping): a wrong shape is a ValidationError."""
        if not isinstance(data, dict):
            raise ValidationError({"mapping": "The mapping must be a JSON object."})
        known = {
            "columns",
            "values",
            "labels",
            "comments",
            "default_category",
            "default_severity",
            "date_order",
            "time_zone",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(
                {
                    "mapping": f"Unknown keys {', '.join(unknown)}: the mapping takes {', '.join(sorted(known))}."
                }
            )
        columns, values = data.get("columns", {}), data.get("values", {})
        labels, comments = data.get("labels", []), data.get("comments", {})
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            raise ValidationError(
                {"mapping": 'columns must map each field to a column name: {"title": "Summary"}.'}
            )
        if not isinstance(values, dict) or not all(
            isinstance(v, dict) and all(isinstance(x, str | int) for x in v.values()) for v in values.values()
        ):
            raise ValidationError(
                {"mapping": 'values must map each source value to ours: {"status": {"Done": "resolved"}}.'}
            )
        if not isinstance(labels, list) or not all(isinstance(v, str) for v in labels):
            raise ValidationError(
                {"mapping": 'labels must be a list of column names: ["Labels", "Labels (2)"].'}
            )
        if not isinstance(comments, dict) or not all(v in COMMENT_VISIBILITIES for v in comments.values()):
            raise ValidationError(
                {
                    "mapping": 'comments must map each column to "public" or "internal": {"work_notes": "internal"}.'
                }
            )
        if data.get("date_order") and data["date_order"] not in DATE_ORDER_LABELS:
            raise ValidationError(
                {"date_order": "date_order is day_first, month_first or empty (read from the file)."}
            )
        severity = data.get("default_severity")
        if severity not in (None, "") and not (isinstance(severity, int) or str(severity).isdigit()):
            raise ValidationError({"mapping": "default_severity must be 1, 2, 3 or 4."})
        return cls(
            columns={key: value for key, value in columns.items() if value},
            values={key: {k: str(v) for k, v in value.items()} for key, value in values.items()},
            labels=list(labels),
            comments=dict(comments),
            default_category=data.get("default_category") or Category.DEFECT,
            default_severity=int(severity) if severity not in (None, "") else None,
            date_order=data.get("date_order") or "",
            time_zone=data.get("time_zone") or "",
        )

    def used_headers(self) -> set[str]:
        return {header for header in self.columns.values() if header} | set(self.labels) | set(self.comments)

    def zone(self, programme) -> ZoneInfo:
        return ZoneInfo(self.time_zone or programme.timezone)

    def validate(self, table: CsvTable) -> None:
        """The mapping itself: required fields mapped, columns that exist, each column used once, a readable date order."""
        errors: dict[str, str] = {}
        unknown = sorted(set(self.columns) - set(TARGETS_BY_NAME))
        if unknown:
            errors["columns"] = f"No field {', '.join(unknown)}: the fields are {', '.join(TARGETS_BY_NAME)}."
        for target in TARGETS:
            header = self.columns.get(target.name)
            if header and header not in table.headers:
                errors[target.name] = f"The file has no column {header!r}: choose one of its columns or none."
            elif target.required and not header:
                errors[target.name] = f"Choose the column that holds the {target.label.lower()}."
        used: dict[str, str] = {}
        for name, header in [
            *self.columns.items(),
            *(("labels", h) for h in self.labels),
            *(("comments", h) for h in self.comments),
        ]:
            if header and header not in table.headers:
                errors.setdefault(name, f"The file has no column {header!r}: choose one of its columns.")
            elif header and header in used:
                errors[name] = f"{header!r} is already mapped to {used[header]}: map each column once."
            elif header:
                used[header] = name
        if self.default_category not in Category.values:
            errors["default_category"] = f"Choose a category: {', '.join(Category.values)}."
        if self.default_severity is not None and self.default_severity not in Severity.values:
            errors["default_severity"] = "Severity must be 1, 2, 3 or 4."
        if self.time_zone:
            try:
                ZoneInfo(self.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                errors["time_zone"] = (
                    f"{self.time_zone!r} is not a time zone: use a name like America/Sao_Paulo or Asia/Kolkata."
                )
        if not errors:
            detected, ambiguous = detect_date_order(table, self)
            if detected == "conflict":
                errors["date_order"] = (
                    "This file has dates read only day first and others only month first: "
                    "export the dates in one format (ISO 2026-03-31 is best)."
                )
            elif ambiguous and not self.date_order and detected is None:
                errors["date_order"] = (
                    f"Every date in the file could be day first or month first (e.g. {ambiguous!r}): "
                    "choose the order in date_order (day_first or month_first)."
                )
        if errors:
            raise ValidationError(errors)


def _date_columns(table: CsvTable, mapping: ImportMapping) -> list[int]:
    return [
        table.column(mapping.columns[name])
        for name in DATE_TARGETS
        if mapping.columns.get(name) in table.headers
    ]


def detect_date_order(table: CsvTable, mapping: ImportMapping) -> tuple[str | None, str]:
    """The order of the file's numeric dates: a first number above 12 says day first, a second one
    month first. Answers (order or None or "conflict", an ambiguous example or "")."""
    day_first = month_first = False
    ambiguous = ""
    for position in _date_columns(table, mapping):
        for _, cells in table.rows:
            match = NUMERIC_DATE.match(" ".join(cells[position].split())) if position < len(cells) else None
            if not match:
                continue
            first, second = int(match.group(1)), int(match.group(3))
            if first > 12 >= second:
                day_first = True
            elif second > 12 >= first:
                month_first = True
            elif not ambiguous:
                ambiguous = match.group(0)
        if day_first and month_first:
            return "conflict", ambiguous
    if day_first or month_first:
        return ("day_first" if day_first else "month_first"), ambiguous
    return None, ambiguous


def detect_tracker(headers: list[str]) -> str:
    """Which tracker wrote the file, by its headers (saved mappings are kept per tracker)."""
    names = {_base(header) for header in headers}
    if "issuekey" in names or "statuscategorychanged" in names:
        return "jira"
    if names & {
        "incidentstate",
        "sysupdatedon",
        "callerid",
        "worknotes",
        "assignmentgroup",
        "shortdescription",
    } or ("incident" in names):
        return "servicenow"
    if {"requester", "subject"} <= names:
        return "zendesk"
    return "csv"


TRACKERS = {"jira": "Jira", "servicenow": "ServiceNow", "zendesk": "Zendesk", "csv": "Other CSV"}


def suggest_columns(headers: list[str]) -> dict[str, str]:
    """The usual column for each field, by the header names Jira, ServiceNow, Zendesk and spreadsheets use."""
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


def suggest_mapping(table: CsvTable, saved: dict | None = None) -> ImportMapping:
    """The mapping the wizard and the API propose: a saved one for this tracker where its columns
    exist, else the usual columns; repeated Labels/Tags and Comment/work_notes columns; the date
    order read from the file."""
    mapping = ImportMapping(columns=suggest_columns(table.headers))
    taken = set(mapping.columns.values())
    for header in table.headers:
        if header in taken:
            continue
        base = _base(header)
        if base in LABEL_HEADERS:
            mapping.labels.append(header)
        elif base in PUBLIC_COMMENT_HEADERS:
            mapping.comments[header] = "public"
        elif base in INTERNAL_COMMENT_HEADERS:
            mapping.comments[header] = "internal"
    if saved:
        try:
            stored = ImportMapping.from_dict(saved)
        except ValidationError:
            stored = None
        if stored is not None:
            present = set(table.headers)
            if all(header in present for header in stored.columns.values()):
                stored.labels = [h for h in stored.labels if h in present] or mapping.labels
                stored.comments = {
                    h: v for h, v in stored.comments.items() if h in present
                } or mapping.comments
                stored.date_order = ""  # each file says its own order
                mapping = stored
    detected, _ = detect_date_order(table, mapping)
    if detected in DATE_ORDER_LABELS:
        mapping.date_order = detected
    mapping.values = suggest_values(table, mapping)
    return mapping


def suggest_value(target: str, value: str) -> str:
    """What a source value usually means (Jira's "Highest" is Sev1, "Bug" a defect), or ""."""
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
    """For each mapped category/severity/status column, its distinct values and their usual meaning."""
    suggestion: dict[str, dict[str, str]] = {}
    for target in VALUE_TARGETS:
        header = mapping.columns.get(target)
        if not header or header not in table.headers:
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


def ignored_columns(table: CsvTable, mapping: ImportMapping) -> list[str]:
    """Every column of the file that the import will not read."""
    used = mapping.used_headers()
    return [header for header in table.headers if header not in used]


def mapping_warnings(table: CsvTable, mapping: ImportMapping) -> list[str]:
    """What the lead should know before the import: defaults that apply to every row."""
    warnings = []
    if not mapping.columns.get("status"):
        warnings.append(
            "No status column is mapped: rows with a resolved or closed date arrive resolved or closed, "
            "every other row arrives New. Map the status column (Jira: Status; ServiceNow: incident_state; "
            "Zendesk: Status) to keep each ticket's state."
        )
    if not mapping.columns.get("reporter"):
        warnings.append("No reporter column is mapped: you become the reporter of every ticket.")
    if (
        mapping.columns.get("status")
        and not mapping.columns.get("resolved_at")
        and not mapping.columns.get("resolved_fallback")
    ):
        warnings.append(
            "No resolved date column is mapped: resolved rows are refused. Map Resolved or a fallback column "
            "(Status Category Changed, sys_updated_on, Updated)."
        )
    return warnings


# People ------------------------------------------------------------------------------------


def _person_key(text: str) -> str:
    return " ".join(text.lower().replace(",", " ").split())


class People:
    """The programme's active members, found by username, e-mail or display name ("Jane Smith").

    Jira Cloud writes account ids in its comments: the file's own (Reporter, Reporter Id) pairs
    say whose id it is.
    """

    def __init__(self, programme, table: CsvTable | None = None):
        self.memberships: dict[int, Membership] = {}
        self.by_key: dict[str, object] = {}
        for membership in Membership.objects.active().filter(programme=programme).select_related("user"):
            user = membership.user
            self.memberships[user.pk] = membership
            names = [user.username, user.email, user.get_full_name()]
            if user.first_name and user.last_name:
                names.append(f"{user.last_name}, {user.first_name}")
            for name in names:
                if name:
                    self.by_key.setdefault(_person_key(name), user)
        self.names_by_id: dict[str, str] = {}
        if table is not None:
            for header in table.headers:
                if header.endswith(" Id") and header[:-3] in table.headers:
                    ids, names = table.column(header), table.column(header[:-3])
                    for _, cells in table.rows:
                        if max(ids, names) < len(cells) and cells[ids].strip() and cells[names].strip():
                            self.names_by_id.setdefault(cells[ids].strip(), cells[names].strip())

    def name(self, text: str) -> str:
        """The person's name as the source knows them (an account id becomes the name next to it)."""
        text = text.strip()
        return self.names_by_id.get(text, text)

    def find(self, text: str):
        text = self.name(text)
        return self.by_key.get(_person_key(text)) if text else None

    def membership(self, user) -> Membership | None:
        return self.memberships.get(user.pk) if user else None


def proposed_matches(table: CsvTable, mapping: ImportMapping, people: People) -> list[tuple[str, str, str]]:
    """(field label, name in the file, member it matches or "") for every distinct person in the file."""
    found = []
    for target in ("reporter", "assignee"):
        header = mapping.columns.get(target)
        if not header:
            continue
        for value in table.distinct(header, limit=200):
            user = people.find(value)
            found.append(
                (
                    TARGETS_BY_NAME[target].label.split(" (")[0],
                    people.name(value),
                    _display(user) if user else "",
                )
            )
    return found


def _display(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


def team_for(text: str) -> str:
    """A team of ours named by an assignment group ("BAU team", "bau", "Project team"), or ""."""
    key = normalise(text)
    for value, label in Team.choices:
        if key in (
            normalise(value),
            normalise(label),
            normalise(value) + "team",
            normalise(value) + "support",
        ):
            return value
    return ""


# Comments ----------------------------------------------------------------------------------

# ServiceNow journal fields: "2026-03-02 10:05:11 - Raj Patel (Additional comments)" then the text.
JOURNAL_HEADER = re.compile(
    r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4} \d{1,2}:\d{2}(?::\d{2})?) - (.+?) \(([^()]*)\)\s*$"
)


@dataclass
class ImportComment:
    at: datetime | None
    author: str
    body: str
    internal: bool


def parse_comments(text: str, *, internal: bool, read_date) -> list[tuple[str, str, str]]:
    """(date text, author, body) of each comment in a cell: Jira's "date;author;body" or a ServiceNow journal."""
    text = text.strip()
    if not text:
        return []
    lines = text.splitlines()
    if JOURNAL_HEADER.match(lines[0]):
        entries: list[list] = []
        for line in lines:
            match = JOURNAL_HEADER.match(line)
            if match:
                entries.append([match.group(1), match.group(2), []])
            else:
                entries[-1][2].append(line)
        return [(when, who, "\n".join(body).strip()) for when, who, body in entries]
    parts = text.split(";", 2)
    if len(parts) == 3 and read_date(parts[0]) is not None:
        return [(parts[0], parts[1], parts[2].strip())]
    return [("", "", text)]


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
    assignee: object | None = None
    assignee_source: str = ""
    assignment_group: str = ""
    team: str = ""
    comments: list[ImportComment] = field(default_factory=list)
    status_source: str = ""


@dataclass
class ImportPlan:
    rows: list[ImportRow]
    errors: list[RowError]
    warnings: list[str] = field(default_factory=list)

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


def _numeric_date(match: re.Match, order: str) -> datetime | None:
    first, second, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
    day, month = (first, second) if order == "day_first" else (second, first)
    if year < 100:
        year += 2000 if year < 70 else 1900
    hour, minute, second_ = int(match.group(5) or 0), int(match.group(6) or 0), int(match.group(7) or 0)
    meridiem = (match.group(8) or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    try:
        return datetime(year, month, day, hour, minute, second_)
    except ValueError:
        return None


def parse_when(value: str, *, zone: ZoneInfo, date_order: str = "day_first") -> datetime | None:
    """An instant from an export's date: ISO 8601 (with or without offset), numbers in the given
    order with slashes, dashes or dots, or a spelled-out month (Jira's 02/Mar/26 9:30 AM).

    A time without an offset is read in `zone` (the source's time zone); a date alone is midnight.
    """
    text = " ".join(value.strip().split())
    if not text:
        return None
    parsed = None
    match = NUMERIC_DATE.match(text)
    if match:
        if date_order not in DATE_ORDER_LABELS:
            first, second = int(match.group(1)), int(match.group(3))
            date_order = "day_first" if first > 12 else "month_first" if second > 12 else ""
            # (an unknown order, e.g. "year_first", is no order: only an unambiguous date reads)
        parsed = _numeric_date(match, date_order) if date_order else None
    else:
        iso = text[:-1] + "+00:00" if text.endswith("Z") else text
        try:
            parsed = parse_datetime(iso)
            if parsed is None:
                day = parse_date(iso)
                parsed = datetime.combine(day, time(0)) if day else None
        except ValueError:
            parsed = None
        if parsed is None:
            for pattern in NAMED_MONTH_FORMATS:
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


def date_error(value: str, *, zone: ZoneInfo, date_order: str) -> str:
    """Why a date cannot be read, naming the option that would read it."""
    other = "month_first" if date_order == "day_first" else "day_first"
    if NUMERIC_DATE.match(" ".join(value.split())) and parse_when(value, zone=zone, date_order=other):
        return (
            f"{value!r} is not a {DATE_ORDER_LABELS.get(date_order, 'day first')} date: choose "
            f"{DATE_ORDER_LABELS[other]} (date_order {other}) to read it."
        )
    return (
        f"{value!r} is not a date we can read: use 2026-03-02 09:30, 02/03/2026 09:30 (with date_order) "
        "or 02/Mar/26 9:30 AM in the file."
    )


def import_check(
    *,
    access: ProgrammeAccess,
    table: CsvTable,
    mapping: ImportMapping,
    at: datetime | None = None,
    people: People | None = None,
) -> ImportPlan:
    """Read every row against the mapping: each bad field with its line and how to fix it.

    Nothing is written here; `import_run` then takes the good rows through the services.
    A closed programme takes no tickets (ticket_create's rule): ProgrammeClosed before any row.
    """
    services.require_ticket_intake(access)
    if not access.is_lead:
        raise PermissionDenied("Only leads can import tickets.")
    mapping.validate(table)
    now = at or timezone.now()
    zone = mapping.zone(access.programme)
    detected, _ = detect_date_order(table, mapping)
    order = mapping.date_order or detected or "day_first"
    people = people or People(access.programme, table)
    index = {name: table.column(header) for name, header in mapping.columns.items() if header}
    label_index = [table.column(header) for header in mapping.labels]
    comment_index = [
        (table.column(header), header, kind == "internal") for header, kind in mapping.comments.items()
    ]
    width = len(table.headers)

    def read_date(text: str):
        return parse_when(text, zone=zone, date_order=order)

    references = [
        cells[index["source_reference"]].strip()
        for _, cells in table.rows
        if "source_reference" in index and index["source_reference"] < len(cells)
    ]
    already: dict[str, str] = {}
    wanted = [r for r in references if r]
    for start in range(0, len(wanted), 5000):
        already.update(
            Ticket.objects.filter(
                programme=access.programme, source_reference__in=wanted[start : start + 5000]
            ).values_list("source_reference", "reference")
        )
    seen_references: dict[str, int] = {}
    status_mapped = "status" in index

    rows: list[ImportRow] = []
    errors: list[RowError] = []
    for line, cells in table.rows:
        row_errors: list[RowError] = []

        def bad(name: str, message: str, line=line, row_errors=row_errors) -> None:
            row_errors.append(RowError(line, name, message))

        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            bad(
                "row",
                f"{len(cells)} cells but the header has {width} columns: a delimiter inside a cell needs quotes "
                "around the cell; export the file again as CSV.",
            )

        def cell(name: str, cells=cells) -> str:
            position = index.get(name)
            if position is None or position >= len(cells):
                return ""
            return cells[position].strip()

        values = {target.name: cell(target.name) for target in TARGETS}
        values["title"] = " ".join(values["title"].split())  # one line, however the source wrapped it
        for target in TARGETS:
            if (
                target.max_length
                and len(values[target.name]) > target.max_length
                and target.name != "process"
            ):
                bad(
                    target.name,
                    f"{len(values[target.name])} characters; at most {target.max_length}: shorten it in the file.",
                )
        if not values["title"]:
            bad("title", f"The title is empty: fill the {mapping.columns.get('title')!r} cell.")

        category = mapping.default_category
        if values["category"]:
            category = mapping.values.get("category", {}).get(values["category"]) or ""
            if category not in Category.values:
                bad(
                    "category",
                    f"{values['category']!r} is not mapped to a category: map it in the values step.",
                )
        severity: int | None = mapping.default_severity
        if values["severity"]:
            mapped = str(mapping.values.get("severity", {}).get(values["severity"]) or "")
            severity = int(mapped) if mapped.isdigit() and int(mapped) in Severity.values else None
            if severity is None:
                bad(
                    "severity",
                    f"{values['severity']!r} is not mapped to a severity: map it in the values step.",
                )
        elif severity is None:
            bad("severity", "No severity: fill the cell, or choose a default severity in the mapping.")

        dates: dict[str, datetime | None] = {}
        for name in DATE_TARGETS:
            dates[name] = read_date(values[name])
            if values[name] and dates[name] is None:
                bad(name, date_error(values[name], zone=zone, date_order=order))
            elif dates[name] is not None and dates[name] > now:
                bad(name, f"{values[name]!r} is in the future: check the date and the source time zone.")
        reported_at = dates["reported_at"]
        if not values["reported_at"]:
            bad(
                "reported_at",
                f"The reported date is empty: fill the {mapping.columns.get('reported_at')!r} cell.",
            )

        if status_mapped:
            status = Status.NEW
            if values["status"]:
                status = mapping.values.get("status", {}).get(values["status"]) or ""
                if status not in Status.values:
                    bad(
                        "status",
                        f"{values['status']!r} is not mapped to a status: map it in the values step.",
                    )
        else:  # never let a finished ticket of the source arrive open without a word
            status = (
                Status.CLOSED
                if dates["closed_at"]
                else Status.RESOLVED
                if dates["resolved_at"]
                else Status.NEW
            )
        resolved_at = dates["resolved_at"] or dates["resolved_fallback"] or dates["closed_at"]
        closed_at = dates["closed_at"]
        if status in (Status.RESOLVED, Status.CLOSED):
            if resolved_at is None and not values["resolved_at"]:
                bad(
                    "resolved_at",
                    f"A {Status(status).label.lower()} ticket needs its resolved date: fill the resolved cell, or "
                    "map a fallback column (Status Category Changed, sys_updated_on, Updated).",
                )
            if reported_at and resolved_at and resolved_at < reported_at:
                if dates["resolved_at"]:
                    bad("resolved_at", "Resolved before it was reported: check both dates in the file.")
                else:
                    resolved_at = reported_at  # a fallback older than the report: the report is all we know
            if closed_at and (resolved_at or reported_at) and closed_at < (resolved_at or reported_at):
                closed_at = resolved_at or reported_at
        else:
            resolved_at = closed_at = None  # an open ticket's old dates are history of another tracker
        if status == Status.DEFERRED and severity in (Severity.SEV1, Severity.SEV2):
            bad(
                "status",
                "Sev1 and Sev2 tickets cannot be deferred to the backlog: map the status to another one.",
            )

        reporter = people.find(values["reporter"]) if values["reporter"] else None
        assignee = people.find(values["assignee"]) if values["assignee"] else None

        labels = []
        for position in label_index:
            if position < len(cells):
                labels += [label for label in re.split(r"[\s,;]+", cells[position].strip()) if label]
        process = ", ".join(dict.fromkeys([p for p in [values["process"], *labels] if p]))
        if len(process) > 200:
            bad(
                "process",
                f"Process and labels are {len(process)} characters together; at most 200: shorten them.",
            )

        comments: list[ImportComment] = []
        for position, _header, internal in comment_index:
            if position >= len(cells):
                continue
            for when, who, body in parse_comments(cells[position], internal=internal, read_date=read_date):
                if body:
                    moment = read_date(when) if when else None
                    comments.append(ImportComment(at=moment, author=who, body=body, internal=internal))

        reference = values["source_reference"]
        if reference:
            if reference in already:
                bad(
                    "source_reference",
                    f"{reference} was already imported as {already[reference]}: remove the row from the file.",
                )
            elif reference in seen_references:
                bad(
                    "source_reference",
                    f"{reference} is also on line {seen_references[reference]}: keep one of the two rows.",
                )
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
                status_source=values["status"],
                reported_at=reported_at,
                resolved_at=resolved_at,
                closed_at=closed_at,
                resolution=values["resolution"],
                reporter=reporter,
                reporter_source=people.name(values["reporter"]),
                business_unit=values["business_unit"],
                geography=values["geography"],
                process=process,
                source_reference=reference,
                assignee=assignee,
                assignee_source=people.name(values["assignee"]),
                assignment_group=values["assignment_group"],
                team=team_for(values["assignment_group"]) if values["assignment_group"] else "",
                comments=comments,
            )
        )
    return ImportPlan(rows=rows, errors=errors, warnings=mapping_warnings(table, mapping))


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


def _note(access: ProgrammeAccess, ticket: Ticket, *, at: datetime, note: str, **data) -> TicketEvent:
    """A line of the source's history on the timeline (who reported or worked it there)."""
    return TicketEvent(
        ticket=ticket,
        kind=EventKind.EDITED,
        actor=access.user,
        at=at,
        note=note,
        data={"imported": True, **data},
    )


# Rows built in memory (every check of the services, the clocks replayed step by step), then
# stored with one INSERT per table: the commit's statements grow by chunk, not by row.
IMPORT_CHUNK = 500


@dataclass
class _Built:
    """One row as the ticket services would have stored it, not saved yet."""

    ticket: Ticket
    events: list[TicketEvent] = field(default_factory=list)
    comments: list[tuple[Comment, TicketEvent]] = field(default_factory=list)
    watchers: dict[int, tuple[object, datetime]] = field(default_factory=dict)
    alerts: dict[str, datetime] = field(default_factory=dict)
    # Changes dated after the import (only with an `at` ahead of the clock): watchers are told.
    news: list[tuple[str, str, datetime]] = field(default_factory=list)

    def follow(self, user, at: datetime) -> None:
        self.watchers.setdefault(user.pk, (user, at))

    def raise_alerts(self, kinds: list[str], at: datetime) -> None:
        for kind in kinds:
            self.alerts.setdefault(kind, at)  # one alert per (ticket, kind), the first one found


def _build_row(
    access: ProgrammeAccess,
    row: ImportRow,
    *,
    source_name: str,
    now: datetime,
    people: People,
    policies: PolicyBook,
) -> _Built:
    """The row as ticket_create, ticket_assign, ticket_transition and ticket_resolve would leave it,
    with the same checks (services.ticket_build and the *_plan functions) and the same clocks and
    alerts at each step (tickets.clocks), without a query."""
    source = source_name or "the source tracker"
    ticket, events, kinds = services.ticket_build(
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
        memberships=people.memberships,
        policies=policies,
        references_checked=True,  # import_check refused the keys imported before
    )
    ticket.imported_at = timezone.now()
    built = _Built(ticket=ticket, events=events)
    built.raise_alerts(kinds, row.reported_at)
    built.follow(ticket.reporter, row.reported_at)

    def step(status: str, extra: dict, event: TicketEvent, at: datetime, news: str = "") -> None:
        ticket.status = status
        for name, value in extra.items():
            setattr(ticket, name, value)
        events.append(event)
        built.raise_alerts(ticket_clocks_replay(ticket=ticket, events=events, at=at, policies=policies), at)
        if news and not ticket.happened_before_import(at):
            built.news.append((status, news, at))

    if row.reporter is None:
        # Not the importing lead's unit and geography: only what the file says.
        ticket.business_unit, ticket.geography = row.business_unit, row.geography
        if row.reporter_source:
            events.append(
                _note(
                    access,
                    ticket,
                    at=row.reported_at,
                    note=f"Reported by {row.reporter_source} in {source} (not a member of this programme).",
                    reporter=row.reporter_source,
                )
            )
    assigned = False
    if row.assignee is not None:
        services.require_worker(access)
        try:
            team, event = services.assign_plan(
                access, ticket, row.assignee, at=row.reported_at, memberships=people.memberships
            )
        except ValidationError:
            pass
        else:
            ticket.assignee, ticket.team = row.assignee, team
            built.follow(row.assignee, row.reported_at)
            events.append(event)
            assigned = True
    if row.assignee_source and not assigned:
        events.append(
            _note(
                access,
                ticket,
                at=row.reported_at,
                note=f"Assigned to {row.assignee_source} in {source} (not someone who works the queue here).",
                assignee=row.assignee_source,
            )
        )
    if row.assignment_group:
        if row.team and not assigned:
            ticket.team = row.team
        if not row.team or assigned:
            events.append(
                _note(
                    access,
                    ticket,
                    at=row.reported_at,
                    note=f"Assignment group in {source}: {row.assignment_group}.",
                    assignment_group=row.assignment_group,
                )
            )
    # The source's history is unknown: open statuses are dated at the report, endings at their own dates.
    if row.status in (Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING_ON_REPORTER, Status.DEFERRED):
        services.require_worker(access)
        extra, event = services.transition_plan(access, ticket, row.status, at=row.reported_at)
        step(row.status, extra, event, row.reported_at, news=f"status:{row.status}")
    elif row.status in (Status.RESOLVED, Status.CLOSED):
        services.require_worker(access)
        resolution = row.resolution or f"Resolved in {source} (imported)."
        extra, event = services.resolve_plan(access, ticket, resolution, at=row.resolved_at)
        step(Status.RESOLVED, extra, event, row.resolved_at)  # imported: the reporter is not told
        if row.status == Status.CLOSED:
            closed = row.closed_at or row.resolved_at
            extra, event = services.transition_plan(access, ticket, Status.CLOSED, at=closed)
            step(Status.CLOSED, extra, event, closed, news=f"status:{Status.CLOSED}")
    for comment in row.comments:
        author = people.find(comment.author) if comment.author else None
        body = comment.body
        if author is None:
            author = access.user
            name = people.name(comment.author) if comment.author else "Someone"
            body = f"{name} wrote in {source}:\n\n{body}"
        moment = min(comment.at or row.reported_at, now)
        saved = Comment(ticket=ticket, author=author, body=body, internal=comment.internal, created_at=moment)
        event = TicketEvent(
            ticket=ticket,
            kind=EventKind.COMMENT,
            actor=author,
            at=moment,
            note=body,
            internal=comment.internal,
            data={"comment_id": None, "imported": True},
        )
        built.comments.append((saved, event))
        events.append(event)
    if row.status in OPEN_STATUSES:  # the open clocks as they stand today
        built.raise_alerts(ticket_clocks_replay(ticket=ticket, events=events, at=now, policies=policies), now)
    return built


def _store(access: ProgrammeAccess, chunk: list[_Built]) -> None:
    """Save built rows: their numbers in one UPDATE, then one INSERT per table (Django splits an
    INSERT only where the database limits its parameters, as SQLite does)."""
    if not chunk:
        return
    programme = access.programme
    for built, number in zip(chunk, services.next_ticket_numbers(programme, len(chunk)), strict=True):
        built.ticket.number = number
        built.ticket.reference = f"{programme.ticket_prefix}-{number}"
    Ticket.objects.bulk_create([built.ticket for built in chunk])
    comments = [pair for built in chunk for pair in built.comments]
    Comment.objects.bulk_create([saved for saved, _ in comments])
    for saved, event in comments:
        event.data["comment_id"] = saved.pk
    TicketEvent.objects.bulk_create([event for built in chunk for event in built.events])
    TicketWatcher.objects.bulk_create(
        [
            TicketWatcher(ticket=built.ticket, user=user, created_at=at)
            for built in chunk
            for user, at in built.watchers.values()
        ],
        ignore_conflicts=True,
    )
    SlaAlert.objects.bulk_create(
        [
            SlaAlert(ticket=built.ticket, kind=kind, severity=built.ticket.severity, created_at=at)
            for built in chunk
            for kind, at in built.alerts.items()
        ],
        ignore_conflicts=True,
    )
    for built in chunk:  # history is never news; only a change dated after the import tells anyone
        for status, event, at in built.news:
            services.tell_watchers(
                built.ticket,
                access=access,
                subject=services.transition_told(built.ticket, status),
                body="",
                event=event,
                at=at,
            )


@dataclass
class ImportResult:
    accepted: int
    refused: list[RowError]
    references: list[str]
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.refused


def import_run(
    *,
    access: ProgrammeAccess,
    table: CsvTable,
    mapping: ImportMapping,
    dry_run: bool,
    source_name: str = "",
    at: datetime | None = None,
    progress=None,
) -> ImportResult:
    """The dry run and the commit, one code path, in one transaction: every row checked and built
    as the ticket services would store it, then stored by chunks of IMPORT_CHUNK rows.

    The dry run always rolls back; the commit rolls back when any row is refused (all or none).
    A dry run that passes is a commit that passes. `progress(done, total)` is called as rows go.
    Imported history tells nobody: no notification, no paging, no ticket_created signal.
    """
    now = at or timezone.now()
    with transaction.atomic():
        people = People(access.programme, table)
        plan = import_check(access=access, table=table, mapping=mapping, at=now, people=people)
        policies = PolicyBook(access.programme)
        refused = list(plan.errors)
        references: list[str] = []
        total = len(table.rows)
        step = max(1, total // 50)
        done = len(plan.bad_lines)
        chunk: list[_Built] = []
        for number, row in enumerate(plan.rows, start=1):
            try:
                chunk.append(
                    _build_row(
                        access, row, source_name=source_name, now=now, people=people, policies=policies
                    )
                )
            except ValidationError as error:
                messages = error.message_dict if hasattr(error, "error_dict") else {"row": error.messages}
                refused += [RowError(row.line, name, " ".join(texts)) for name, texts in messages.items()]
            except (TicketStateError, PermissionDenied) as error:
                refused.append(RowError(row.line, "row", f"{error} Check the status mapping of this row."))
            if len(chunk) == IMPORT_CHUNK or number == len(plan.rows):
                _store(access, chunk)
                references += [built.ticket.reference for built in chunk]
                chunk = []
            if progress is not None and (number % step == 0):
                progress(done + number, total)
        refused.sort(key=lambda error: error.line)
        if dry_run or refused:
            transaction.set_rollback(True)
            references = []
    accepted = len(plan.rows) - len({error.line for error in refused if error not in plan.errors})
    return ImportResult(accepted=accepted, refused=refused, references=references, dry_run=dry_run)


def tickets_import(
    *,
    access: ProgrammeAccess,
    table: CsvTable,
    mapping: ImportMapping,
    source_name: str = "",
    at: datetime | None = None,
) -> list[Ticket]:
    """Import every row or none: a bad row (found by the dry run or refused by a service) stores nothing."""
    result = import_run(
        access=access, table=table, mapping=mapping, dry_run=False, source_name=source_name, at=at
    )
    if result.refused:
        raise ImportRowsError(result.refused)
    by_reference = {
        t.reference: t
        for t in Ticket.objects.filter(programme=access.programme, reference__in=result.references)
    }
    return [by_reference[reference] for reference in result.references]
