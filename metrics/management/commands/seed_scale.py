"""`manage.py seed_scale --tickets N --programmes P`: a large, realistic data set, fast.

Tickets, their timeline events and comments are streamed with COPY on PostgreSQL (batched
INSERTs on SQLite), with SLA due instants computed from each programme's real calendar and
policy, then six weeks of telemetry (`metrics.scale.seed_telemetry`).
"""

from __future__ import annotations

import json
import random
import time
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hypercare import services
from hypercare.bulk import load_rows, reset_sequence
from hypercare.models import Membership, Programme
from hypercare.roles import Role, Team
from metrics.scale import seed_telemetry

User = get_user_model()

UNITS = ["Sales", "Service", "Finance", "Operations", "Marketing", "Field Service"]
GEOGRAPHIES = ["UK", "Germany", "France", "US", "India", "Brazil"]
PROCESSES = ["Opportunity", "Case", "Lead conversion", "Quote", "Account", "Invoice", "Contract", "Order"]
CATEGORIES = (
    ["defect"] * 30
    + ["how_to"] * 35
    + ["access"] * 10
    + ["data"] * 8
    + ["configuration"] * 7
    + ["performance"] * 3
    + ["integration"] * 4
    + ["enhancement"] * 3
)
SEVERITIES = [1] * 3 + [2] * 12 + [3] * 55 + [4] * 30
TITLES = [
    "Cannot save {p} record",
    "How do I find the {p} list view?",
    "{p} page layout is missing a field",
    "Error when converting {p}",
    "Permission denied on {p}",
    "Duplicate {p} after migration",
    "{p} sync to billing failed",
    "Slow {p} search",
]
PEOPLE_PER_PROGRAMME = {
    Role.CHAMPION: 60,
    Role.DESK: 12,
    Role.ENGINEER: 6,
    Role.LEAD: 2,
    Role.SPONSOR: 1,
    Role.OPERATIONAL_OWNER: 1,
    Role.BAU: 8,
    Role.VIEWER: 4,
}


class Command(BaseCommand):
    help = "Create a large realistic data set (programmes, people, tickets with timelines and comments) fast."

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets", type=int, default=10_000, help="tickets in all (spread over the programmes)"
        )
        parser.add_argument("--programmes", type=int, default=1)
        parser.add_argument("--prefix", default="scale", help="slug prefix of the generated programmes")
        parser.add_argument("--open-share", type=float, default=0.2, help="share of tickets still open")
        parser.add_argument("--seed", type=int, default=42)

    def handle(
        self, *args, tickets: int, programmes: int, prefix: str, open_share: float, seed: int, **options
    ):
        random.seed(seed)
        started = time.monotonic()
        today = timezone.localdate()
        per_programme = [
            tickets // programmes + (1 if i < tickets % programmes else 0) for i in range(programmes)
        ]
        for index, count in enumerate(per_programme):
            slug = f"{prefix}-{index + 1}"
            programme = Programme.objects.filter(slug=slug).first() or self._programme(slug, today)
            people = self._people(programme)
            written = self._tickets(programme, people, count, today, open_share)
            self.stdout.write(f"{slug}: {written:,} tickets ({time.monotonic() - started:.1f} s so far)")
            points = seed_telemetry(programme=programme, days=42, today=today)
            self.stdout.write(f"{slug}: {points:,} telemetry points")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))

    def _programme(self, slug: str, today: date) -> Programme:
        go_live = today - timedelta(days=42)
        return services.programme_create(
            name=f"Scale test {slug}",
            slug=slug,
            ticket_prefix=slug.replace("-", "").upper()[:12],
            system="Salesforce Sales + Service Cloud",
            go_live_date=go_live,
            planned_exit_date=today + timedelta(days=14),
            first_month_end_close=go_live + timedelta(days=30),
            timezone="Europe/London",
            status="active",
        )

    @transaction.atomic
    def _people(self, programme: Programme) -> dict[str, list[int]]:
        password = make_password("scale-password")
        people: dict[str, list[int]] = {}
        for role, count in PEOPLE_PER_PROGRAMME.items():
            usernames = [f"{programme.slug}-{role}-{n}" for n in range(1, count + 1)]
            existing = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
            User.objects.bulk_create(
                [
                    User(username=u, email=f"{u}@scale.example", password=password)
                    for u in usernames
                    if u not in existing
                ]
            )
            users = dict(User.objects.filter(username__in=usernames).values_list("username", "id"))
            Membership.objects.bulk_create(
                [
                    Membership(
                        programme=programme,
                        user_id=users[u],
                        roles=[role],
                        team=Team.BAU if role in (Role.BAU, Role.OPERATIONAL_OWNER) else Team.PROJECT,
                        business_unit=UNITS[n % len(UNITS)],
                        geography=GEOGRAPHIES[n % len(GEOGRAPHIES)],
                    )
                    for n, u in enumerate(usernames)
                ],
                ignore_conflicts=True,
            )
            people[role] = [users[u] for u in usernames]
        return people

    def _tickets(
        self, programme: Programme, people: dict[str, list[int]], count: int, today: date, open_share: float
    ) -> int:
        from sla.policy import policy_for
        from tickets.models import Comment, Ticket, TicketEvent

        policy = policy_for(programme, timezone.now())
        targets = {t.severity: t for t in policy.targets.all()}
        business = programme.calendar.working_calendar
        from sla.engine import calendar_for

        tz = ZoneInfo(programme.timezone)
        window_start = datetime.combine(programme.go_live_date, datetime.min.time(), tzinfo=tz)
        window_minutes = int((timezone.now() - window_start).total_seconds() // 60) - 60

        @lru_cache(maxsize=500_000)
        def due(reported_minute: int, severity: int) -> tuple:
            start = window_start + timedelta(minutes=reported_minute)
            target = targets[severity]
            calendar = calendar_for(target.clock, business)
            response = calendar.add_working_minutes(start, target.response_minutes)
            response_risk = calendar.add_working_minutes(
                start, target.response_minutes * target.at_risk_percent / 100
            )
            if target.resolution_minutes is None:
                return start, response, response_risk, None, None, target.clock
            resolution = calendar.add_working_minutes(start, target.resolution_minutes)
            resolution_risk = calendar.add_working_minutes(
                start, target.resolution_minutes * target.at_risk_percent / 100
            )
            return start, response, response_risk, resolution, resolution_risk, target.clock

        first_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        first_number = programme.last_ticket_number + 1
        now = timezone.now()
        workers = people[Role.DESK] + people[Role.ENGINEER] + people[Role.BAU]
        bau = set(people[Role.BAU])
        tickets, events, comments = [], [], []
        for offset in range(count):
            ticket_id, number = first_id + offset, first_number + offset
            # Intake spikes at go-live and burns down: square the uniform draw towards the start.
            minute = int(window_minutes * random.random() ** 2)
            severity = random.choice(SEVERITIES)
            category = random.choice(CATEGORIES)
            process = random.choice(PROCESSES)
            start, response_due, response_risk, resolution_due, resolution_risk, clock = due(minute, severity)
            is_open = random.random() < open_share
            assignee = random.choice(workers) if (not is_open or random.random() < 0.6) else None
            responded = (
                start + timedelta(minutes=random.randint(3, 300)) if (not is_open or assignee) else None
            )
            resolved = None if is_open else start + timedelta(minutes=random.randint(30, 60 * 24 * 4))
            if resolved and resolved > now:
                resolved = now - timedelta(minutes=1)
            if responded and responded > now:
                responded = now - timedelta(minutes=1)
            status = (
                random.choice(["new", "triaged", "in_progress", "waiting_on_reporter"])
                if is_open
                else random.choice(["resolved", "closed"])
            )
            tier = random.choice([2, 2, 2, 3]) if is_open else random.choice([1, 2, 2, 3])
            team = ("bau" if assignee in bau else "project") if assignee else ""
            reporter = random.choice(people[Role.CHAMPION])
            tickets.append(
                (
                    ticket_id,
                    programme.pk,
                    number,
                    f"{programme.ticket_prefix}-{number}",
                    random.choice(TITLES).format(p=process),
                    f"Seeded ticket {number}: {process} issue reported from the floor.",
                    reporter,
                    UNITS[reporter % len(UNITS)],
                    GEOGRAPHIES[reporter % len(GEOGRAPHIES)],
                    process,
                    category,
                    "",
                    "",
                    None,
                    severity,
                    severity,
                    "",
                    tier,
                    status,
                    assignee,
                    team,
                    "",
                    "" if is_open else "Fixed.",
                    None if is_open else tier,
                    None if is_open else assignee,
                    start,
                    start,
                    responded,
                    resolved,
                    resolved if status == "closed" else None,
                    now,
                    policy.pk,
                    clock,
                    start,
                    response_due,
                    resolution_due,
                    response_risk,
                    resolution_risk,
                    None,
                    False,
                    bool(responded and responded > response_due or (not responded and now > response_due)),
                    bool(resolution_due and ((resolved or now) > resolution_due)),
                )
            )
            events.append(
                (
                    ticket_id,
                    "created",
                    reporter,
                    start,
                    "",
                    status,
                    "",
                    False,
                    json.dumps({"tier": 2, "status": "new", "severity": severity}),
                )
            )
            if responded:
                events.append(
                    (
                        ticket_id,
                        "status",
                        assignee,
                        responded,
                        "new",
                        "in_progress",
                        "",
                        False,
                        json.dumps({"response": True}),
                    )
                )
                comments.append((ticket_id, assignee, "Thanks, we are looking into this.", False, responded))
            if resolved:
                events.append(
                    (
                        ticket_id,
                        "resolved",
                        assignee,
                        resolved,
                        "in_progress",
                        "resolved",
                        "Fixed.",
                        False,
                        json.dumps({"tier": tier}),
                    )
                )
        ticket_fields = [
            "id",
            "programme",
            "number",
            "reference",
            "title",
            "description",
            "reporter",
            "business_unit",
            "geography",
            "process",
            "category",
            "impact_scope",
            "workaround",
            "blocks_vital_process",
            "computed_severity",
            "severity",
            "severity_reason",
            "tier",
            "status",
            "assignee",
            "team",
            "replication_steps",
            "resolution",
            "resolved_at_tier",
            "resolved_by",
            "reported_at",
            "triaged_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "updated_at",
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
        with transaction.atomic():
            written = load_rows(Ticket, ticket_fields, tickets)
            load_rows(
                TicketEvent,
                ["ticket", "kind", "actor", "at", "from_value", "to_value", "note", "internal", "data"],
                events,
            )
            load_rows(Comment, ["ticket", "author", "body", "internal", "created_at"], comments)
            Programme.objects.filter(pk=programme.pk).update(last_ticket_number=first_number + count - 1)
            reset_sequence(Ticket)
        return written
