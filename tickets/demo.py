"""The first three weeks of the demo programme's six-week hypercare queue.

The shape follows the seeds: intake that peaks in the days after go-live and falls as people
learn, many how-to questions at first, a steady trickle of defects, incidents that several
people report within the hour, a few problems shared by many tickets (known issues), and the
BAU team taking a growing share of the work as hypercare winds down. What people report comes
from `tickets.demo_catalogue`: distinct titles in their own words, with the triage answers a
reporter would honestly give, so severities follow the matrix. Most tickets meet their SLA
targets; a few honestly miss them (RESOLUTION_MISSED_ONE_IN, RESPONSE_MISSED).

The last days' tickets (the live queue) and a sample of older ones go through the services
with explicit times (`at=`), so their timelines, notifications and SLA clocks are exactly
what real use produces. The bulk of older, finished tickets is written with bulk_create,
with the same timeline events the services write and SLA clocks computed by the same
engine (tickets.clocks.clock_state), so the demo loads in a few seconds.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Value
from django.db.models.functions import Greatest
from django.utils import timezone

from hypercare.access import ProgrammeAccess
from hypercare.models import Programme
from hypercare.vocabulary import Category, EventKind, Status, Tier
from sla import engine
from sla.matrix import ALWAYS_SEV4_CATEGORIES, matrix_for
from sla.models import SlaPolicy
from sla.policy import BEGINNING, policy_for
from tickets import services
from tickets.clocks import clock_state, ticket_clocks_refresh
from tickets.demo_catalogue import ISSUES, KNOWN_ISSUES, SLOTS, Issue
from tickets.models import Comment, KnownIssueStatus, Ticket, TicketEvent
from tickets.services import TicketStateError, TriageAnswers

SEED = 20260302

# Known issues move on as fixes land: two fixed by the deployed patch, two with a fix on its way.
KNOWN_ISSUE_STATUS = {
    "vat": KnownIssueStatus.FIXED,
    "sap": KnownIssueStatus.FIXED,
    "cpu": KnownIssueStatus.FIX_IN_PROGRESS,
    "owner": KnownIssueStatus.FIX_IN_PROGRESS,
    "slow-cases": KnownIssueStatus.INVESTIGATING,
}
# When the fixed known issues' fix reached production (the releases demo deploys its patch then).
FIXES_LANDED = timedelta(days=2)

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
    "Thanks for the detail; checking the record now.",
]
TIER3_NOTES = [
    "Root cause in the trigger handler; fix in the hotfix branch.",
    "Debug log attached to the defect; needs a config change in production.",
    "Reproduced in the full sandbox; regression test added.",
    "Same root cause as the linked known issue; tracking it there.",
]
# Tickets of the last LIVE_DAYS days, and this share of older ones, go through the services.
LIVE_DAYS = 4
SERVICE_SAMPLE = 0.06
# One ticket in so many of each severity honestly misses its resolution target (Sev4 has none);
# counted rather than drawn, so the demo's compliance is the same whichever day it is loaded.
# And the share of tickets whose first response is late.
RESOLUTION_MISSED_ONE_IN = {1: 7, 2: 8, 3: 16}
RESPONSE_MISSED = 0.07
# Wall-clock minutes the work before a resolution is scaled to, per severity: a Sev1 moves in
# minutes, a Sev3 over days.
PACE = {1: 240, 2: 1440, 3: 2400, 4: 4000}


@dataclass
class Spec:
    """One ticket to seed: who logged what, when, and the answers they gave."""

    issue: Issue
    title: str
    description: str
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


def _daily_volume(rng, day: int, weekend: bool) -> int:
    """Tickets logged on day `day` after go-live: a peak in the first days that falls towards a
    steady few a day, with day-to-day noise; weekends are quiet."""
    expected = 8 + 46 * math.exp(-day / 5)
    if day == 0:
        expected *= 0.7  # go-live day: the cutover finishes in the morning
    if weekend:
        expected *= 0.2
    return max(0, round(expected * rng.uniform(0.8, 1.2)))


def _training_share(day: int) -> float:
    return max(0.15, 0.55 - day * 0.02)


class Seeder:
    def __init__(self, *, programme, people: dict, today: date):
        self.rng = random.Random(SEED)
        self.programme = programme
        self.now = timezone.now()
        self.today = today
        self.go_live = programme.go_live_date
        self.zone = ZoneInfo(programme.timezone)
        # One programme instance for every access: its calendar is loaded once for all SLA clocks.
        for membership in people.values():
            membership.programme = programme
        self.people = people
        self.acc = {name: _access(m) for name, m in people.items()}
        self.champions = ["champion", "champion2", "champion3"]
        self.desk_team, self.bau_team = ["desk", "desk2"], ["bau", "bau2"]
        self.engineers = ["engineer", "engineer2", "lead2"]
        self.number = programme.last_ticket_number
        self.titles: set[str] = set()
        self.resolutions: dict[int, int] = {}
        self.bulk: list[tuple[Ticket, list[TicketEvent], list[Comment]]] = []

    def run(self) -> None:
        self._policy_from_go_live()
        self.policy = policy_for(self.programme, self.now)
        rows = list(self.policy.targets.all())
        self.response_minutes = {row.severity: row.response_minutes for row in rows}
        self.engine_targets = {
            row.severity: engine.Target(
                row.response_minutes, row.resolution_minutes, row.clock, row.at_risk_percent
            )
            for row in rows
        }
        self.known = {
            key: services.known_issue_create(
                access=self.acc["desk"], title=title, symptoms=symptoms, workaround=fix
            )
            for key, (title, symptoms, fix) in KNOWN_ISSUES.items()
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

    def _policy_from_go_live(self) -> None:
        """The programme's first SLA policy reads as in force from go-live, its real start.

        It still applies to anything reported earlier (policy_for falls back to the first version)."""
        start = datetime.combine(self.go_live, time(0), self.zone)
        SlaPolicy.objects.filter(programme=self.programme, effective_from=BEGINNING).update(
            effective_from=start
        )

    def _specs(self):
        rng = self.rng
        training = [i for i in ISSUES if i.category == Category.HOW_TO and i.weight]
        others = [i for i in ISSUES if i.category != Category.HOW_TO and i.weight]
        weights = [i.weight for i in others]
        days = (self.today - self.go_live).days
        for day in range(days + 1):
            current = self.go_live + timedelta(days=day)
            weekend = current.weekday() >= 5
            count = _daily_volume(rng, day, weekend)
            logged = [(rng.uniform(9, 16) if weekend else rng.uniform(7.5, 18.5), None) for _ in range(count)]
            # Incidents: one problem reported by several people within the hour.
            for issue in ISSUES:
                for burst_day, hour, n in issue.bursts:
                    if burst_day == day:
                        logged += [(hour + rng.uniform(0, 1.2), issue) for _ in range(n)]
            for hour, issue in sorted(logged, key=lambda pair: pair[0]):
                reported = datetime.combine(current, time(0), self.zone) + timedelta(hours=hour)
                if reported >= self.now - timedelta(minutes=20):
                    continue
                if issue is None:
                    issue = (
                        rng.choice(training)
                        if rng.random() < _training_share(day)
                        else rng.choices(others, weights)[0]
                    )
                reporter = (
                    rng.choice(self.champions)
                    if rng.random() < 0.8
                    else rng.choice(["desk", "desk2", "change", "owner"])
                )
                unit = (
                    self.people[reporter].business_unit if reporter in self.champions else rng.choice(UNITS)
                )
                title, description = self._words(issue)
                scope, workaround, vital = rng.choice(issue.answers)
                link = self.known[issue.known_issue] if issue.known_issue and rng.random() < 0.85 else None
                self_resolve = (
                    reporter in self.champions
                    and issue.category == Category.HOW_TO
                    and rng.random() < 0.3 + day * 0.01
                )
                yield Spec(
                    issue,
                    title,
                    description,
                    reported,
                    day,
                    reporter,
                    unit,
                    scope,
                    workaround,
                    vital,
                    link,
                    self_resolve,
                )

    def _words(self, issue: Issue) -> tuple[str, str]:
        """A title and details in one reporter's words, about their own records; titles rarely repeat."""
        for _attempt in range(12):
            values = {slot: self.rng.choice(options) for slot, options in SLOTS.items()}
            title = self.rng.choice(issue.titles).format(**values)
            if title not in self.titles:
                break
        self.titles.add(title)
        return title, self.rng.choice(issue.details).format(**values)

    def _worker(self, day: int) -> str:
        """The BAU team takes a growing share of the desk's work as hypercare winds down."""
        bau_share = 0.1 + 0.6 * day / max(1, (self.today - self.go_live).days)
        return self.rng.choice(self.bau_team if self.rng.random() < bau_share else self.desk_team)

    def _plan(self, spec: Spec, severity: int) -> dict:
        """The life of one ticket after it is logged, as minutes from the report (None: it does not happen).

        The first response comes within the response target, bar a few; the work before the
        resolution is scaled to the severity; when the ticket is resolved is decided against its
        resolution due instant once the clocks are known (`_resolve_at`)."""
        rng = self.rng
        category = spec.issue.category
        escalate = rng.random() < spec.issue.escalate
        plan = {"worker": self._worker(spec.day), "escalate": escalate}
        live = spec.reported >= self.now - timedelta(days=LIVE_DAYS)
        if live and severity >= 3 and rng.random() < 0.12:
            return plan  # nobody has picked it up yet: the unassigned queue
        response = self.response_minutes.get(severity, 240)
        t = response * (rng.uniform(1.2, 2.5) if rng.random() < RESPONSE_MISSED else rng.uniform(0.1, 0.8))
        plan["take"] = t * rng.uniform(0.3, 0.9)
        plan["in_progress"] = t
        plan["reply"] = rng.choice(DESK_REPLIES)
        pace = PACE[severity]
        if category == Category.ENHANCEMENT and rng.random() < 0.7:
            plan["defer"] = t + rng.uniform(60, 600)
            return plan
        if severity >= 3 and rng.random() < 0.12:
            t += pace * rng.uniform(0.01, 0.05)
            plan["waiting"] = t
            if live and rng.random() < 0.6:
                return plan  # the reporter has not answered yet
            t += rng.uniform(60, 900)
            plan["answer"] = t
            t += rng.uniform(5, 60)
            plan["back"] = t
        if severity == 3 and rng.random() < 0.04:
            t += pace * rng.uniform(0.005, 0.02)
            plan["raise_severity"] = t
        if escalate:
            t += pace * rng.uniform(0.04, 0.15)
            plan["escalated"] = t
            plan["engineer"] = rng.choice(self.engineers)
            t += pace * rng.uniform(0.02, 0.06)
            plan["engineer_takes"] = t
            t += pace * rng.uniform(0.03, 0.1)
            plan["note"] = t
        plan["ready"] = t
        if severity == 4 and rng.random() < 0.1:
            return plan  # still being worked on: the long tail of the queue
        plan["resolve"] = None  # decided against the due instant
        plan["miss"] = self._misses(severity)
        plan["share"], plan["late"] = rng.uniform(0.15, 0.9), rng.uniform(0.05, 0.5)
        if escalate:
            # Tier 3 proposes the fix; the analyst who escalated confirms it with the reporter.
            plan["confirm"] = rng.uniform(5, 30)
        if severity >= 3 and rng.random() < 0.02:
            plan["reopen"] = rng.uniform(120, 1440)
            return plan
        if rng.random() < 0.8:
            plan["close"] = rng.uniform(600, 2880)
        return plan

    def _misses(self, severity: int) -> bool:
        """Whether this ticket is the one in RESOLUTION_MISSED_ONE_IN[severity] that is resolved late."""
        one_in = RESOLUTION_MISSED_ONE_IN.get(severity)
        if one_in is None:
            return False
        self.resolutions[severity] = count = self.resolutions.get(severity, 0) + 1
        return count % one_in == one_in // 2

    def _resolve_at(self, plan: dict, ready: datetime, due: datetime | None, severity: int) -> datetime:
        """When the resolution lands: within the target for most tickets, honestly late for a few."""
        pace = timedelta(minutes=PACE[severity])
        if due is None:  # no resolution target
            return ready + pace * plan["share"]
        if plan["miss"] or due <= ready:
            return max(due, ready) + pace * plan["late"]
        return ready + (due - ready) * plan["share"]

    def _through_services(self, spec: Spec) -> None:
        acc, rng = self.acc, self.rng
        # References follow the order tickets were logged, whichever way they are written.
        Programme.objects.filter(pk=self.programme.pk).update(last_ticket_number=self.number)
        ticket = services.ticket_create(
            access=acc[spec.reporter],
            title=spec.title,
            description=spec.description,
            business_unit=spec.unit,
            process=spec.issue.process,
            category=spec.issue.category,
            answers=TriageAnswers(spec.scope, spec.workaround, spec.vital),
            resolved_at_tier1=spec.self_resolve,
            resolution=spec.issue.resolution if spec.self_resolve else "",
            known_issue=spec.known_issue,
            at=spec.reported,
        )
        self.number = ticket.number
        if spec.self_resolve:
            return
        plan = self._plan(spec, ticket.severity)
        worker = acc[plan["worker"]]

        resolved: list[datetime] = []

        def when(key: str) -> datetime | None:
            if key == "resolve":
                ticket.refresh_from_db()
                ticket.programme = self.programme
                ready = spec.reported + timedelta(minutes=plan["ready"])
                due = clock_state(ticket, at=ready).resolution_due_at
                at = self._resolve_at(plan, ready, due, ticket.severity)
                resolved.append(at)
            elif key in ("confirm", "reopen", "close"):
                at = resolved[0] + timedelta(minutes=plan[key])
            else:
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
                    resolution=spec.issue.resolution,
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
        issue = spec.issue
        computed = (
            4
            if issue.category in ALWAYS_SEV4_CATEGORIES
            else self.matrix[(spec.scope, spec.workaround, spec.vital)]
        )
        reporter = self.people[spec.reporter].user
        self.number += 1
        ticket = Ticket(
            programme=self.programme,
            number=self.number,
            reference=f"{self.programme.ticket_prefix}-{self.number}",
            title=spec.title,
            description=spec.description,
            reporter=reporter,
            business_unit=spec.unit,
            geography=self.people[spec.reporter].geography,
            process=issue.process,
            category=issue.category,
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
                issue.resolution,
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
                note=issue.resolution,
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
            steps = REPLICATION.format(unit=spec.unit, process=issue.process, description=spec.description)
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
        if "resolve" in plan:
            # Tickets written here are days old, so only their resolution can still lie ahead.
            ready = at("ready")
            events.sort(key=lambda e: e.at)
            due = self._clock_state(ticket, events, at=ready).resolution_due_at
            resolved_at = self._resolve_at(plan, ready, due, ticket.severity)
            if resolved_at >= self.now:
                del plan["resolve"]
        if "resolve" not in plan:
            self.bulk.append((ticket, events, comments))
            return
        resolved_tier = 3 if plan["escalate"] else 2
        event(
            EventKind.RESOLVED,
            resolved_at,
            resolver,
            from_value=Status.IN_PROGRESS,
            to_value=Status.RESOLVED,
            note=issue.resolution,
            tier=resolved_tier,
        )
        if resolved_tier == 3:
            event(
                EventKind.TIER,
                resolved_at,
                resolver,
                from_value=3,
                to_value=2,
                note="Resolved by Tier 3: back to the desk to confirm with the reporter.",
            )
        ticket.status, ticket.resolution, ticket.resolved_at = (
            Status.RESOLVED,
            issue.resolution,
            resolved_at,
        )
        ticket.resolved_at_tier, ticket.resolved_by, ticket.tier = resolved_tier, resolver, Tier.TIER2
        closed_at = resolved_at + timedelta(minutes=plan.get("close", 0))
        if "close" in plan and closed_at < self.now:
            event(EventKind.CLOSED, closed_at, worker, from_value=Status.RESOLVED, to_value=Status.CLOSED)
            ticket.status, ticket.closed_at = Status.CLOSED, closed_at
        # A reopen in the plan of an old ticket is left out: the ones that reopen go through the services.
        self.bulk.append((ticket, events, comments))

    def _write_bulk(self) -> None:
        if not self.bulk:
            return
        Programme.objects.filter(pk=self.programme.pk).update(
            last_ticket_number=Greatest("last_ticket_number", Value(self.number))
        )
        tickets = Ticket.objects.bulk_create([ticket for ticket, _, _ in self.bulk])
        policy = self.policy
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
            state = self._clock_state(ticket, ticket_events, at=self.now)
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

    def _clock_state(self, ticket: Ticket, events: list[TicketEvent], *, at: datetime) -> engine.ClockState:
        """What tickets.clocks.clock_state computes, with the policy's targets read once for all tickets."""
        return engine.compute(
            engine.timeline_from_events(events),
            self.engine_targets.get(ticket.severity),
            self.programme.calendar.working_calendar,
            at,
        )

    def targets(self, policy, severity: int) -> str:
        if not hasattr(self, "_clocks"):
            self._clocks = {row.severity: row.clock for row in policy.targets.all()} if policy else {}
        return self._clocks.get(severity, "")

    def _fixes_land(self) -> None:
        """Known issues move on; a fix that lands tells every linked reporter (the service does it)."""
        for key, status in KNOWN_ISSUE_STATUS.items():
            issue = self.known[key]
            changes = {"status": status}
            if status == KnownIssueStatus.FIX_IN_PROGRESS:
                changes["fix_expected_on"] = self.today + timedelta(days=self.rng.randint(2, 9))
            if status != issue.status:
                services.known_issue_update(
                    access=self.acc["engineer"], known_issue=issue, at=self.now - FIXES_LANDED, **changes
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
