"""Three weeks of a hypercare queue for the demo programme.

The shape follows the seeds: a flood of how-to questions right after go-live that falls as
people learn, a steady trickle of defects, a few problems shared by many tickets (known
issues), and the BAU team taking a growing share of the work as hypercare winds down.

The last days' tickets (the live queue) and a sample of older ones go through the services
with explicit times (`at=`), so their timelines, notifications and SLA clocks are exactly
what real use produces. The bulk of older, finished tickets is written with bulk_create,
with the same timeline events the services write and SLA clocks computed by the same
engine (tickets.clocks.clock_state), so the demo loads in a few seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Value
from django.db.models.functions import Greatest
from django.utils import timezone

from hypercare.access import ProgrammeAccess
from hypercare.models import Programme
from hypercare.vocabulary import Category, EventKind, ImpactScope, Status, Tier, Workaround
from sla.matrix import matrix_for
from sla.policy import BEGINNING, policy_for
from tickets import services
from tickets.clocks import clock_state, ticket_clocks_refresh
from tickets.models import Comment, KnownIssueStatus, Ticket, TicketEvent
from tickets.services import TicketStateError, TriageAnswers

SEED = 20260302
DAYS = 21


@dataclass(frozen=True)
class Template:
    category: str
    title: str
    process: str
    description: str
    resolution: str
    known_issue: str = ""


TEMPLATES = [
    # How-to / training gaps: many in the first week, fewer as people learn.
    Template(
        Category.HOW_TO,
        "How do I convert a lead into an opportunity?",
        "Lead conversion",
        "The Convert button is not where it was in the old CRM. Where do I find it?",
        "Showed the Convert button in the lead's action menu; shared the 2-minute video from the training hub.",
    ),
    Template(
        Category.HOW_TO,
        "Where do I log a call against a case?",
        "Case management",
        "I used to add call notes in a separate screen. Where do they go now?",
        "Use Log a Call in the case's activity panel; quick reference card re-sent to the team.",
    ),
    Template(
        Category.HOW_TO,
        "How to clone a quote with all its line items",
        "Quote",
        "I need a copy of last month's quote for a repeat order.",
        "Clone with Related (Quote Line Items ticked). Added to the FAQ.",
    ),
    Template(
        Category.HOW_TO,
        "Cannot find my team's open cases list view",
        "Case management",
        "My old saved search is gone. How do I see only my team's open cases?",
        "Pinned the 'My Team – Open' list view and showed how to set it as default.",
    ),
    Template(
        Category.HOW_TO,
        "How do I submit a discount for approval?",
        "Quote approval",
        "A quote with 20% discount needs approval. What button do I press?",
        "Submit for Approval appears once the quote is saved; walked through it on the floor.",
    ),
    Template(
        Category.HOW_TO,
        "Where is the month-end forecast report?",
        "Forecasting",
        "Finance asked for the forecast by region; I cannot find the report.",
        "Report is in the 'Sales Ops – Shared' folder; gave access to the folder and bookmarked it.",
    ),
    Template(
        Category.HOW_TO,
        "How do I merge duplicate contacts?",
        "Contact",
        "Two contacts for the same person at a customer; how do I merge them?",
        "Merge from the account's Contacts list (Merge Contacts); shown step by step.",
    ),
    # Access / permissions.
    Template(
        Category.ACCESS,
        "Cannot see accounts of my region after go-live",
        "Account",
        "Since go-live I only see my own accounts, not the region's. Colleagues see them.",
        "Role was missing from the region hierarchy; added and sharing recalculated.",
    ),
    Template(
        Category.ACCESS,
        "Locked out after password reset email never arrived",
        "Login",
        "I requested a reset twice and received nothing. I am locked out.",
        "Email address on the user record had a typo; corrected and reset sent.",
    ),
    Template(
        Category.ACCESS,
        "Insufficient privileges when opening a contract",
        "Contract",
        "Clicking a contract shows 'insufficient privileges'.",
        "Contract object permission missing from the Service Agent permission set; added.",
    ),
    # Defects.
    Template(
        Category.DEFECT,
        "Quote PDF shows the wrong VAT rate",
        "Quote",
        "The generated PDF shows 20% VAT for Irish customers instead of 23%.",
        "Tax lookup used the billing country instead of the shipping country; fixed in the quote template.",
        known_issue="Quote PDF tax rate",
    ),
    Template(
        Category.DEFECT,
        "Error saving an opportunity with more than 50 products",
        "Opportunity",
        "Saving fails with 'Apex CPU time limit exceeded' on large opportunities.",
        "A trigger recalculated every line on each save; bulkified and deployed as hotfix.",
        known_issue="Large opportunities fail to save",
    ),
    Template(
        Category.DEFECT,
        "Case escalation email goes to the wrong queue",
        "Case escalation",
        "Priority cases from Italy are escalated to the UK queue.",
        "Escalation rule ordering was wrong; rule for Italy moved above the default rule.",
    ),
    Template(
        Category.DEFECT,
        "Account page crashes with a blank screen on mobile",
        "Account",
        "Opening an account in the mobile app shows a blank page since go-live.",
        "A custom component was not enabled for mobile; replaced with the standard one.",
    ),
    # Integration.
    Template(
        Category.INTEGRATION,
        "Orders not arriving in SAP since this morning",
        "Order sync",
        "Orders booked today are not in SAP. Yesterday's are there.",
        "The middleware credential expired; renewed and the queue replayed.",
        known_issue="Order sync to SAP stalls",
    ),
    Template(
        Category.INTEGRATION,
        "Invoice status not syncing back from the ERP",
        "Invoice sync",
        "Invoices paid in the ERP still show as open in Salesforce.",
        "Status mapping missing for 'Paid (partial)'; added to the integration mapping.",
    ),
    # Data.
    Template(
        Category.DATA,
        "Migrated accounts have the wrong owner",
        "Account",
        "About 200 accounts in the North region are owned by the migration user.",
        "Owner mapping file fixed and accounts reassigned with a data load.",
        known_issue="Migrated accounts owned by the migration user",
    ),
    Template(
        Category.DATA,
        "Duplicate contacts created by the migration",
        "Contact",
        "Many customers have two identical contacts since go-live.",
        "Duplicate rule run with merge job for the migrated batch.",
    ),
    # Configuration.
    Template(
        Category.CONFIGURATION,
        "Picklist is missing the 'Framework agreement' value",
        "Opportunity",
        "Contract type picklist lacks 'Framework agreement', which we use daily.",
        "Value added to the picklist and the record types.",
    ),
    Template(
        Category.CONFIGURATION,
        "Validation rule blocks closing cases without a product",
        "Case management",
        "General enquiries have no product, but the case cannot be closed without one.",
        "Validation rule now excludes the General Enquiry record type.",
    ),
    # Performance.
    Template(
        Category.PERFORMANCE,
        "Case list takes a minute to load",
        "Case management",
        "The team's case list view is very slow in the mornings.",
        "List view filtered on a non-indexed formula field; replaced with an indexed field.",
        known_issue="Slow case list views",
    ),
    # Enhancements.
    Template(
        Category.ENHANCEMENT,
        "Could we have a field for the customer's PO number on quotes?",
        "Quote",
        "It would help to print the PO number on the quote PDF.",
        "Logged to the backlog for the first post-hypercare release.",
    ),
    Template(
        Category.ENHANCEMENT,
        "New report: cases by product and region",
        "Reporting",
        "Service managers would like a weekly report by product and region.",
        "Report built by BAU and shared with the Service managers.",
    ),
]

KNOWN_ISSUES = {
    "Quote PDF tax rate": (
        "Quote PDFs show the wrong VAT rate for some countries",
        "Irish and Belgian customers' quote PDFs show the UK VAT rate.",
        "Correct the VAT line by hand on the PDF before sending, or send the quote from the ERP.",
        KnownIssueStatus.FIXED,
    ),
    "Large opportunities fail to save": (
        "Opportunities with many products fail to save (CPU time limit)",
        "Saving an opportunity with more than ~50 products fails with 'Apex CPU time limit exceeded'.",
        "Split the products over two opportunities, or add them in batches of 40.",
        KnownIssueStatus.FIX_IN_PROGRESS,
    ),
    "Order sync to SAP stalls": (
        "Order sync to SAP stalls for a few hours",
        "New orders do not reach SAP; the integration queue backs up.",
        "Nothing to do: orders are replayed automatically once the sync resumes. Urgent orders: call the desk.",
        KnownIssueStatus.INVESTIGATING,
    ),
    "Migrated accounts owned by the migration user": (
        "Migrated accounts owned by the migration user",
        "Some migrated accounts show 'Data Migration' as owner, so the region cannot see them.",
        "Ask the desk to reassign the accounts you need today; a bulk fix is planned.",
        KnownIssueStatus.FIX_IN_PROGRESS,
    ),
    "Slow case list views": (
        "Case list views are slow in the morning peak",
        "List views of open cases take 30–60 seconds between 08:30 and 10:00.",
        "Use the 'Recently viewed' list or search by case number during the peak.",
        KnownIssueStatus.INVESTIGATING,
    ),
}

UNITS = ["Sales", "Service", "Finance", "Marketing", "Operations"]
REPLICATION = (
    "1. Log in as a {unit} user.\n2. Open {process} and repeat: {description}\n"
    "3. Expected: the action completes. Actual: it fails every time (reproduced in the full sandbox)."
)
DESK_REPLIES = [
    "Thanks, we are looking into it.",
    "Picked up by the desk; we will update you within the hour.",
    "Reproduced on our side, working on it.",
    "Could you send a screenshot of the error?",
]
TIER3_NOTES = [
    "Root cause in the trigger handler; fix in the hotfix branch.",
    "Debug log attached to the defect; needs a config change in production.",
    "Reproduced in the full sandbox; regression test added.",
]
# Tickets of the last LIVE_DAYS days, and this share of older ones, go through the services.
LIVE_DAYS = 4
SERVICE_SAMPLE = 0.06


@dataclass
class Spec:
    """One ticket to seed: who logged what, when, and the answers they gave."""

    template: Template
    reported: datetime
    day: int
    reporter: str
    unit: str
    scope: str
    workaround: str
    vital: bool
    known_issue: object
    self_resolve: bool


def _access(membership) -> ProgrammeAccess:
    return ProgrammeAccess(membership.programme, membership, frozenset(membership.roles), membership.user)


def _daily_volume(day: int) -> int:
    """Tickets logged on day `day` after go-live: a go-live peak falling to a trickle."""
    return max(11, round(44 * (0.88**day)))


def _training_share(day: int) -> float:
    return max(0.15, 0.55 - day * 0.02)


def _answers(rng, template) -> tuple[str, str, bool]:
    if template.category == Category.HOW_TO:
        return (
            rng.choice([ImpactScope.INDIVIDUAL, ImpactScope.INDIVIDUAL, ImpactScope.SUBSET]),
            rng.choice([Workaround.SIMPLE, Workaround.PAINFUL]),
            False,
        )
    if template.category in (Category.INTEGRATION, Category.PERFORMANCE):
        return (
            rng.choice([ImpactScope.DEPARTMENT, ImpactScope.ORGANISATION, ImpactScope.SUBSET]),
            rng.choice([Workaround.NONE, Workaround.PAINFUL]),
            rng.random() < 0.4,
        )
    if template.category == Category.DEFECT:
        return (
            rng.choice(
                [ImpactScope.SUBSET, ImpactScope.DEPARTMENT, ImpactScope.INDIVIDUAL, ImpactScope.SUBSET]
            ),
            rng.choice([Workaround.NONE, Workaround.PAINFUL, Workaround.SIMPLE]),
            rng.random() < 0.25,
        )
    return (
        rng.choice([ImpactScope.INDIVIDUAL, ImpactScope.SUBSET, ImpactScope.DEPARTMENT]),
        rng.choice([Workaround.PAINFUL, Workaround.SIMPLE]),
        False,
    )


class Seeder:
    def __init__(self, *, programme, people: dict, today: date):
        self.rng = random.Random(SEED)
        self.programme = programme
        self.now = timezone.now()
        self.today = today
        self.go_live = today - timedelta(days=DAYS)
        # One programme instance for every access: its calendar is loaded once for all SLA clocks.
        for membership in people.values():
            membership.programme = programme
        self.people = people
        self.acc = {name: _access(m) for name, m in people.items()}
        self.champions = ["champion", "champion2", "champion3"]
        self.desk_team, self.bau_team = ["desk", "desk2"], ["bau", "bau2"]
        self.engineers = ["engineer", "engineer2", "lead2"]
        self.number = programme.last_ticket_number
        self.bulk: list[tuple[Ticket, list[TicketEvent], list[Comment]]] = []

    def run(self) -> None:
        self.known = {
            key: services.known_issue_create(
                access=self.acc["desk"], title=title, symptoms=symptoms, workaround=fix
            )
            for key, (title, symptoms, fix, _status) in KNOWN_ISSUES.items()
        }
        self.matrix = matrix_for(self.programme)
        for spec in self._specs():
            recent = spec.reported >= self.now - timedelta(days=LIVE_DAYS)
            if recent or self.rng.random() < SERVICE_SAMPLE:
                self._through_services(spec)
            else:
                self._planned(spec)
        self._write_bulk()
        self._fixes_land()
        # Bring every open ticket's SLA clock to the present, so at-risk and breached flags are real.
        for ticket in Ticket.objects.filter(programme=self.programme).open():
            ticket.programme = self.programme
            ticket_clocks_refresh(ticket=ticket, at=self.now)

    def _specs(self):
        rng = self.rng
        tz = ZoneInfo(self.programme.timezone)
        training = [t for t in TEMPLATES if t.category == Category.HOW_TO]
        others = [t for t in TEMPLATES if t.category != Category.HOW_TO]
        for day in range(DAYS + 1):
            current = self.go_live + timedelta(days=day)
            weekend = current.weekday() >= 5
            count = _daily_volume(day) // (4 if weekend else 1)
            times = sorted(rng.uniform(9, 16) if weekend else rng.uniform(7.5, 18.5) for _ in range(count))
            for hour in times:
                reported = datetime.combine(current, time(0), tz) + timedelta(hours=hour)
                if reported >= self.now - timedelta(minutes=20):
                    continue
                template = rng.choice(training if rng.random() < _training_share(day) else others)
                reporter = (
                    rng.choice(self.champions)
                    if rng.random() < 0.8
                    else rng.choice(["desk", "desk2", "change", "owner"])
                )
                unit = (
                    self.people[reporter].business_unit if reporter in self.champions else rng.choice(UNITS)
                )
                scope, workaround, vital = _answers(rng, template)
                link = (
                    self.known.get(template.known_issue)
                    if template.known_issue and rng.random() < 0.8
                    else None
                )
                self_resolve = (
                    reporter in self.champions
                    and template.category == Category.HOW_TO
                    and rng.random() < 0.3 + day * 0.01
                )
                yield Spec(
                    template, reported, day, reporter, unit, scope, workaround, vital, link, self_resolve
                )

    def _worker(self, day: int) -> str:
        """The BAU team takes a growing share of the desk's work as hypercare winds down."""
        bau_share = 0.1 + 0.6 * day / DAYS
        return self.rng.choice(self.bau_team if self.rng.random() < bau_share else self.desk_team)

    def _plan(self, spec: Spec, severity: int) -> dict:
        """The life of one ticket after it is logged, as minutes from the report (None: it does not happen)."""
        rng = self.rng
        urgency = {1: 0.2, 2: 0.5, 3: 1.0, 4: 2.0}[severity]
        category = spec.template.category
        escalate = category in (
            Category.DEFECT,
            Category.INTEGRATION,
            Category.PERFORMANCE,
            Category.DATA,
        ) and (rng.random() < 0.5)
        plan = {"worker": self._worker(spec.day), "escalate": escalate}
        live = spec.reported >= self.now - timedelta(days=LIVE_DAYS)
        if live and rng.random() < 0.15:
            return plan  # nobody has picked it up yet: the unassigned queue
        t = rng.uniform(5, 240) * urgency
        plan["take"] = t
        t += rng.uniform(1, 20)
        plan["in_progress"] = t
        plan["reply"] = rng.choice(DESK_REPLIES)
        if category == Category.ENHANCEMENT and rng.random() < 0.7:
            plan["defer"] = t + rng.uniform(60, 600)
            return plan
        if rng.random() < 0.12:
            t += rng.uniform(20, 180)
            plan["waiting"] = t
            if live and rng.random() < 0.6:
                return plan  # the reporter has not answered yet
            t += rng.uniform(60, 900)
            plan["answer"] = t
            t += rng.uniform(5, 60)
            plan["back"] = t
        if severity >= 3 and rng.random() < 0.06:
            t += rng.uniform(10, 120)
            plan["raise_severity"] = t
        if escalate:
            t += rng.uniform(30, 240) * urgency
            plan["escalated"] = t
            plan["engineer"] = rng.choice(self.engineers)
            t += rng.uniform(10, 120) * urgency
            plan["engineer_takes"] = t
            t += rng.uniform(30, 300) * urgency
            plan["note"] = t
        if rng.random() < (0.35 if live else 0.03):
            return plan  # still being worked on: the long tail of the queue
        t += rng.uniform(120, 4000) * urgency * (2 if escalate else 1)
        plan["resolve"] = t
        if escalate:
            # Tier 3 proposes the fix; the analyst who escalated confirms it with the reporter.
            t += rng.uniform(20, 240) * urgency
            plan["confirm"] = t
        if rng.random() < 0.03:
            plan["reopen"] = t + rng.uniform(120, 1440)
            return plan
        if rng.random() < 0.8:
            plan["close"] = t + rng.uniform(600, 2880)
        return plan

    def _through_services(self, spec: Spec) -> None:
        acc, rng = self.acc, self.rng
        # References follow the order tickets were logged, whichever way they are written.
        Programme.objects.filter(pk=self.programme.pk).update(last_ticket_number=self.number)
        ticket = services.ticket_create(
            access=acc[spec.reporter],
            title=spec.template.title,
            description=spec.template.description,
            business_unit=spec.unit,
            process=spec.template.process,
            category=spec.template.category,
            answers=TriageAnswers(spec.scope, spec.workaround, spec.vital),
            resolved_at_tier1=spec.self_resolve,
            resolution=spec.template.resolution if spec.self_resolve else "",
            known_issue=spec.known_issue,
            at=spec.reported,
        )
        self.number = ticket.number
        if spec.self_resolve:
            return
        plan = self._plan(spec, ticket.severity)
        worker = acc[plan["worker"]]

        def when(key: str) -> datetime | None:
            if key not in plan:
                return None
            at = spec.reported + timedelta(minutes=plan[key])
            return at if at < self.now else None

        steps = [
            ("take", lambda at: services.ticket_take(access=worker, ticket=ticket, at=at)),
            (
                "in_progress",
                lambda at: services.ticket_transition(
                    access=worker, ticket=ticket, status=Status.IN_PROGRESS, comment=plan["reply"], at=at
                ),
            ),
            (
                "defer",
                lambda at: services.ticket_transition(
                    access=worker,
                    ticket=ticket,
                    status=Status.DEFERRED,
                    comment="Deferred to the post-hypercare backlog.",
                    at=at,
                ),
            ),
            (
                "waiting",
                lambda at: services.ticket_transition(
                    access=worker,
                    ticket=ticket,
                    status=Status.WAITING_ON_REPORTER,
                    comment="Could you tell us which record this happened on?",
                    at=at,
                ),
            ),
            (
                "answer",
                lambda at: services.ticket_comment(
                    access=acc[spec.reporter],
                    ticket=ticket,
                    body="It was the Northwind account, this morning.",
                    at=at,
                ),
            ),
            (
                "back",
                # The reporter's answer usually moved it back already.
                lambda at: (
                    services.ticket_transition(access=worker, ticket=ticket, status=Status.IN_PROGRESS, at=at)
                    if ticket.status != Status.IN_PROGRESS
                    else None
                ),
            ),
            (
                "raise_severity",
                lambda at: services.ticket_change_severity(
                    access=worker,
                    ticket=ticket,
                    severity=ticket.severity - 1,
                    reason="More users affected than first reported.",
                    at=at,
                ),
            ),
            (
                "escalated",
                lambda at: services.ticket_escalate(
                    access=worker,
                    ticket=ticket,
                    to_tier=Tier.TIER3,
                    replication_steps=REPLICATION.format(
                        unit=ticket.business_unit, process=ticket.process, description=ticket.description
                    ),
                    at=at,
                ),
            ),
            (
                "engineer_takes",
                lambda at: services.ticket_take(access=acc[plan["engineer"]], ticket=ticket, at=at),
            ),
            (
                "note",
                lambda at: services.ticket_comment(
                    access=acc[plan["engineer"]],
                    ticket=ticket,
                    body=rng.choice(TIER3_NOTES),
                    internal=True,
                    at=at,
                ),
            ),
            (
                "resolve",
                lambda at: services.ticket_resolve(
                    access=acc[plan.get("engineer", plan["worker"])],
                    ticket=ticket,
                    resolution=spec.template.resolution,
                    at=at,
                ),
            ),
            (
                "confirm",
                lambda at: services.ticket_resolve(access=worker, ticket=ticket, resolution="", at=at),
            ),
            (
                "reopen",
                lambda at: services.ticket_reopen(
                    access=acc[spec.reporter], ticket=ticket, reason="It happened again this morning.", at=at
                ),
            ),
            (
                "close",
                lambda at: services.ticket_transition(
                    access=worker, ticket=ticket, status=Status.CLOSED, at=at
                ),
            ),
        ]
        for key, action in steps:
            if key not in plan:
                continue
            at = when(key)
            if at is None:
                return  # the rest of this ticket's life has not happened yet
            try:
                action(at)
            except TicketStateError:
                return

    def _planned(self, spec: Spec) -> None:
        """An older, finished ticket written directly, with the events the services would have written."""
        template = spec.template
        computed = (
            4
            if template.category == Category.ENHANCEMENT
            else self.matrix[(spec.scope, spec.workaround, spec.vital)]
        )
        reporter = self.people[spec.reporter].user
        self.number += 1
        ticket = Ticket(
            programme=self.programme,
            number=self.number,
            reference=f"{self.programme.ticket_prefix}-{self.number}",
            title=template.title,
            description=template.description,
            reporter=reporter,
            business_unit=spec.unit,
            geography=self.people[spec.reporter].geography,
            process=template.process,
            category=template.category,
            impact_scope=spec.scope,
            workaround=spec.workaround,
            blocks_vital_process=spec.vital,
            computed_severity=computed,
            severity=computed,
            tier=Tier.TIER2,
            status=Status.NEW,
            known_issue=spec.known_issue,
            reported_at=spec.reported,
        )
        events: list[TicketEvent] = []
        comments: list[Comment] = []

        def event(kind, at, actor, *, from_value="", to_value="", note="", internal=False, **data):
            events.append(
                TicketEvent(
                    kind=kind,
                    actor=actor,
                    at=at,
                    from_value=str(from_value),
                    to_value=str(to_value),
                    note=note,
                    internal=internal,
                    data=data,
                )
            )

        if spec.self_resolve:
            ticket.tier, ticket.status = Tier.TIER1, Status.RESOLVED
            ticket.resolution, ticket.resolved_at, ticket.resolved_at_tier = (
                template.resolution,
                spec.reported,
                1,
            )
            ticket.resolved_by = reporter
            event(
                EventKind.CREATED,
                spec.reported,
                reporter,
                to_value=Status.RESOLVED,
                tier=1,
                status=Status.RESOLVED,
                severity=computed,
                computed_severity=computed,
                overridden=False,
                reason="",
            )
            event(
                EventKind.RESOLVED,
                spec.reported,
                reporter,
                from_value=Status.NEW,
                to_value=Status.RESOLVED,
                note=template.resolution,
                tier=1,
            )
            self.bulk.append((ticket, events, comments))
            return
        event(
            EventKind.CREATED,
            spec.reported,
            reporter,
            to_value=Status.NEW,
            tier=2,
            status=Status.NEW,
            severity=computed,
            computed_severity=computed,
            overridden=False,
            reason="",
        )
        plan = self._plan(spec, computed)
        at = lambda key: spec.reported + timedelta(minutes=plan[key])  # noqa: E731
        # Tickets written here are days old, so only their resolution can still lie ahead.
        if "resolve" in plan and at("resolve") >= self.now:
            del plan["resolve"]
        worker_m = self.people[plan["worker"]]
        worker = worker_m.user
        event(EventKind.ASSIGNED, at("take"), worker, to_value=worker.username, team=worker_m.team)
        ticket.assignee, ticket.team = worker, worker_m.team
        event(
            EventKind.STATUS,
            at("in_progress"),
            worker,
            from_value=Status.NEW,
            to_value=Status.IN_PROGRESS,
            note=plan["reply"],
            response=True,
        )
        comments.append(
            Comment(author=worker, body=plan["reply"], internal=False, created_at=at("in_progress"))
        )
        ticket.first_responded_at, ticket.status = at("in_progress"), Status.IN_PROGRESS
        if "defer" in plan:
            note = "Deferred to the post-hypercare backlog."
            event(
                EventKind.STATUS,
                at("defer"),
                worker,
                from_value=Status.IN_PROGRESS,
                to_value=Status.DEFERRED,
                note=note,
            )
            comments.append(Comment(author=worker, body=note, internal=False, created_at=at("defer")))
            ticket.status = Status.DEFERRED
            self.bulk.append((ticket, events, comments))
            return
        if "waiting" in plan:
            ask = "Could you tell us which record this happened on?"
            event(
                EventKind.STATUS,
                at("waiting"),
                worker,
                from_value=Status.IN_PROGRESS,
                to_value=Status.WAITING_ON_REPORTER,
                note=ask,
            )
            comments.append(Comment(author=worker, body=ask, internal=False, created_at=at("waiting")))
            answer = "It was the Northwind account, this morning."
            event(EventKind.COMMENT, at("answer"), reporter, note=answer)
            comments.append(Comment(author=reporter, body=answer, internal=False, created_at=at("answer")))
            event(
                EventKind.STATUS,
                at("back"),
                worker,
                from_value=Status.WAITING_ON_REPORTER,
                to_value=Status.IN_PROGRESS,
            )
        if "raise_severity" in plan:
            reason = "More users affected than first reported."
            event(
                EventKind.SEVERITY,
                at("raise_severity"),
                worker,
                from_value=computed,
                to_value=computed - 1,
                note=reason,
                computed_severity=computed,
                overridden=True,
            )
            ticket.severity, ticket.severity_reason = computed - 1, reason
        resolver = worker
        if plan["escalate"]:
            steps = REPLICATION.format(
                unit=spec.unit, process=template.process, description=template.description
            )
            event(
                EventKind.ESCALATED,
                at("escalated"),
                worker,
                from_value=2,
                to_value=3,
                note=steps,
                internal=True,
            )
            engineer_m = self.people[plan["engineer"]]
            resolver = engineer_m.user
            event(
                EventKind.ASSIGNED,
                at("engineer_takes"),
                resolver,
                to_value=resolver.username,
                team=engineer_m.team,
            )
            note = self.rng.choice(TIER3_NOTES)
            event(EventKind.COMMENT, at("note"), resolver, note=note, internal=True)
            comments.append(Comment(author=resolver, body=note, internal=True, created_at=at("note")))
            ticket.replication_steps, ticket.assignee, ticket.team = steps, resolver, engineer_m.team
            ticket.tier = Tier.TIER3
        if "resolve" not in plan:
            self.bulk.append((ticket, events, comments))
            return
        resolved_tier = 3 if plan["escalate"] else 2
        event(
            EventKind.RESOLVED,
            at("resolve"),
            resolver,
            from_value=Status.IN_PROGRESS,
            to_value=Status.RESOLVED,
            note=template.resolution,
            tier=resolved_tier,
        )
        if resolved_tier == 3:
            event(
                EventKind.TIER,
                at("resolve"),
                resolver,
                from_value=3,
                to_value=2,
                note="Resolved by Tier 3: back to the desk to confirm with the reporter.",
            )
        ticket.status, ticket.resolution, ticket.resolved_at = (
            Status.RESOLVED,
            template.resolution,
            at("resolve"),
        )
        ticket.resolved_at_tier, ticket.resolved_by, ticket.tier = resolved_tier, resolver, Tier.TIER2
        if "close" in plan and at("close") < self.now:
            event(EventKind.CLOSED, at("close"), worker, from_value=Status.RESOLVED, to_value=Status.CLOSED)
            ticket.status, ticket.closed_at = Status.CLOSED, at("close")
        # A reopen in the plan of an old ticket is left out: the ones that reopen go through the services.
        self.bulk.append((ticket, events, comments))

    def _write_bulk(self) -> None:
        if not self.bulk:
            return
        Programme.objects.filter(pk=self.programme.pk).update(
            last_ticket_number=Greatest("last_ticket_number", Value(self.number))
        )
        tickets = Ticket.objects.bulk_create([ticket for ticket, _, _ in self.bulk])
        policy = policy_for(self.programme, BEGINNING)
        events, comments = [], []
        for ticket, (_, ticket_events, ticket_comments) in zip(tickets, self.bulk, strict=True):
            ticket_events.sort(key=lambda e: e.at)
            for item in ticket_events:
                item.ticket = ticket
            for item in ticket_comments:
                item.ticket = ticket
            events += ticket_events
            comments += ticket_comments
            # The same engine as every other ticket's clocks, on the events above.
            state = clock_state(ticket, at=self.now, events=ticket_events, policy=policy)
            ticket.sla_policy = policy
            ticket.sla_clock = self.targets(policy, ticket.severity)
            ticket.sla_started_at = state.started_at
            ticket.response_due_at, ticket.resolution_due_at = state.response_due_at, state.resolution_due_at
            ticket.response_at_risk_at = state.response_at_risk_at
            ticket.resolution_at_risk_at = state.resolution_at_risk_at
            ticket.paused_at, ticket.at_risk = state.paused_at, state.at_risk
            ticket.response_breached, ticket.resolution_breached = (
                state.response_breached,
                state.resolution_breached,
            )
        TicketEvent.objects.bulk_create(events)
        Comment.objects.bulk_create(comments)
        Ticket.objects.bulk_update(tickets, CLOCK_FIELDS, batch_size=200)

    def targets(self, policy, severity: int) -> str:
        if not hasattr(self, "_clocks"):
            self._clocks = {row.severity: row.clock for row in policy.targets.all()} if policy else {}
        return self._clocks.get(severity, "")

    def _fixes_land(self) -> None:
        """Known issues move on; a fix that lands tells every linked reporter (the service does it)."""
        for key, (_title, _symptoms, _workaround, status) in KNOWN_ISSUES.items():
            issue = self.known[key]
            changes = {"status": status}
            if status == KnownIssueStatus.FIX_IN_PROGRESS:
                changes["fix_expected_on"] = self.today + timedelta(days=self.rng.randint(2, 9))
            if status != issue.status:
                services.known_issue_update(
                    access=self.acc["engineer"], known_issue=issue, at=self.now - timedelta(days=2), **changes
                )


CLOCK_FIELDS = [
    "sla_policy",
    "sla_clock",
    "sla_started_at",
    "response_due_at",
    "resolution_due_at",
    "response_at_risk_at",
    "resolution_at_risk_at",
    "paused_at",
    "at_risk",
    "response_breached",
    "resolution_breached",
]


def seed(*, programme, people: dict, today: date) -> None:
    """Load about three hundred tickets, their timelines and a few known issues into the demo programme."""
    Seeder(programme=programme, people=people, today=today).run()
