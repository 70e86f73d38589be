"""Read models of triage: the standup board, SLA compliance and severity overrides (aggregate SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from hypercare.access import ProgrammeAccess
from hypercare.aggregates import cached_aggregate
from hypercare.vocabulary import OPEN_STATUSES, EventKind, Severity, Tier
from sla import outcomes
from sla.outcomes import resolution_judged_q, resolution_met_q, response_breached_q
from tickets.models import HIGH_SEVERITY, OPEN, UNASSIGNED, Ticket, TicketEvent
from triage import rows as board_rows
from triage.models import Standup

# A standup is "in progress" this long after it starts: meanwhile the board keeps showing what
# arrived since the previous one (what the meeting discusses), then counts from its start.
STANDUP_MINUTES = 60
# Without any standup yet, "new" means the last day.
FIRST_STANDUP_WINDOW = timedelta(hours=24)
# Rows per board section; the section's count is always exact.
BOARD_LIMIT = 50


# A compliance report without a start counts every target decided since the beginning.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _compliance_counts(start: datetime, end: datetime, at: datetime) -> dict[str, Count]:
    """Resolution compliance as the scorecard and the exit gate define it (`metrics.selectors`), on the
    SLA layer's judgement: of the targets judged in [start, end) (resolved then, or still open past their
    due instant), those resolved by their due instant."""
    judged = resolution_judged_q(start, end, at)
    not_due = Q(status__in=OPEN_STATUSES, resolved_at__isnull=True, resolution_due_at__gte=min(end, at))
    return {
        "met": Count("pk", filter=judged & resolution_met_q()),
        "breached": Count("pk", filter=judged & ~resolution_met_q()),
        "open": Count("pk", filter=not_due & ~judged),
        "response_breached": Count("pk", filter=(judged | not_due) & response_breached_q(at)),
    }


_COUNTS = ("met", "breached", "open", "response_breached")


def _row(values: dict) -> dict:
    row = {name: values.get(name, 0) or 0 for name in _COUNTS}
    row["resolution_breached"] = row["breached"]
    row["total"] = row["met"] + row["breached"] + row["open"]
    decided = row["met"] + row["breached"]
    row["met_percent"] = round(100 * row["met"] / decided, 1) if decided else None
    return row


def sla_compliance(programme, start: datetime | None = None, end: datetime | None = None, *, at=None) -> dict:
    """Resolution SLA compliance of a programme per severity and per tier, in one aggregate query.

    The definition is the scorecard's and the exit gate's: of the tickets with a resolution target
    that were resolved in [`start`, `end`) or are still open with their due instant passed inside
    it (judged at `at`, default now; either bound optional), the share resolved by their due instant.

    - "met": resolved by the resolution due instant;
    - "breached": resolved late, or still open past it (also `resolution_breached`);
    - "open": still open with a resolution target not due yet (not judged, not in the percentage);
    - `response_breached`: of those, the tickets whose response target was missed.

    Also `total` and `met_percent` = met / (met + breached) × 100, or None before any is judged.

    Returns {"start", "end", "at", "overall": row, "by_severity": [row + {"severity"}] for
    Sev1–4, "by_tier": [row + {"tier"}] for Tier 2 and 3 (the tier a ticket was resolved at,
    else the tier it is at now; Tier 1 appears only if it has tickets)}.
    """
    at = at or timezone.now()
    until = min(end, at) if end is not None else at
    counts = _compliance_counts(start or EPOCH, until, at)
    tickets = Ticket.objects.filter(
        programme=programme, resolution_due_at__isnull=False, reported_at__lt=until
    )
    # One grouped pass over (severity, tier); both breakdowns are sums of its few rows.
    by_severity: dict = {}
    by_tier: dict = {}
    for row in (
        tickets.annotate(tier_key=Coalesce("resolved_at_tier", "tier"))
        .order_by()
        .values("severity", "tier_key")
        .annotate(**counts)
        .values("severity", "tier_key", *_COUNTS)
    ):
        for totals, key in ((by_severity, row["severity"]), (by_tier, row["tier_key"])):
            into = totals.setdefault(key, dict.fromkeys(_COUNTS, 0))
            for name in _COUNTS:
                into[name] += row[name] or 0
    severities = [{"severity": sev, **_row(by_severity.get(sev, {}))} for sev in Severity.values]
    tiers = [{"tier": tier, **_row(by_tier.get(tier, {}))} for tier in sorted({2, 3} | set(by_tier))]
    overall = _row({name: sum(row[name] for row in severities) for name in _COUNTS})
    return {
        "start": start,
        "end": end,
        "at": at,
        "overall": overall,
        "by_severity": severities,
        "by_tier": tiers,
    }


@dataclass
class BoardSection:
    key: str
    title: str
    tickets: list[dict]  # rows of triage.rows.FIELDS
    count: int


@dataclass
class Board:
    at: datetime
    standup: Standup | None
    previous_standup: Standup | None
    new_since: datetime
    standup_in_progress: bool
    sections: list[BoardSection] = field(default_factory=list)
    compliance: dict = field(default_factory=dict)


def _section_ids(firsts: dict) -> list[tuple[str, int]]:
    """(section, ticket id) of each section's first rows in order, in one UNION ALL query."""
    parts, params = [], []
    for number, (key, ids) in enumerate(firsts.items()):
        sql, part_params = ids.query.sql_with_params()
        parts.append(f"SELECT * FROM (SELECT %s AS section, s.* FROM ({sql}) s) p{number}")
        params += [key, *part_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return [(section, pk) for section, pk in cursor.fetchall()]


def triage_board(access: ProgrammeAccess, *, at: datetime | None = None) -> Board:
    """The daily standup's board: a fixed number of queries whatever the number of tickets.

    Sections (oldest first, BOARD_LIMIT rows each with exact counts): new since the last
    standup, open Sev1/Sev2 with their clocks, at risk or breached, waiting on Tier 3, and
    unassigned; plus SLA compliance per severity and tier.
    """
    at = at or timezone.now()
    programme = access.programme
    latest = list(Standup.objects.filter(programme=programme).order_by("-started_at")[:2])
    standup = latest[0] if latest else None
    previous = latest[1] if len(latest) > 1 else None
    in_progress = standup is not None and at < standup.started_at + timedelta(minutes=STANDUP_MINUTES)
    if standup is None:
        new_since = at - FIRST_STANDUP_WINDOW
    elif in_progress:
        new_since = previous.started_at if previous else standup.started_at - FIRST_STANDUP_WINDOW
    else:
        new_since = standup.started_at

    visible = Ticket.objects.visible_to(access)
    filters = {
        "new": Q(reported_at__gte=new_since),
        "severe": OPEN & HIGH_SEVERITY,
        # A flag the sweep set, or an instant already past that the next sweep will flag.
        "risk": OPEN & outcomes.at_risk_or_breached_q(at),
        "tier3": OPEN & Q(tier=Tier.TIER3),
        "unassigned": OPEN & UNASSIGNED,
    }
    titles = {
        "new": "New since the last standup",
        "severe": "Open Sev1 and Sev2",
        "risk": "At risk or breached",
        "tier3": "Waiting on Tier 3",
        "unassigned": "Unassigned",
    }
    counts = cached_aggregate(
        "board-counts",
        programme.pk,
        "all" if access.sees_all_tickets else f"member-{access.user.pk}",
        # Without a standup "new" is the last day, which moves with the clock: one key per bucket.
        new_since.isoformat() if standup else "last-day",
        at=at,
        compute=lambda: visible.filter(filters["new"] | OPEN).aggregate(
            **{key: Count("pk", filter=condition) for key, condition in filters.items()}
        ),
    )
    # Two queries for the five sections: the ids of each section's first rows (one UNION ALL of
    # per-section LIMIT queries, each served by its own index), then those tickets, joined.
    firsts = {
        key: visible.filter(condition)
        .order_by("reported_at", "pk")
        .values_list("pk", flat=True)[:BOARD_LIMIT]
        for key, condition in filters.items()
    }
    placed = _section_ids(firsts)
    loaded = {row["id"]: row for row in board_rows.load_rows(visible.filter(pk__in={pk for _, pk in placed}))}
    sections = []
    for key in filters:
        rows = []
        for section, pk in placed:
            if section == key and pk in loaded:
                rows.append(loaded[pk])  # a ticket may sit in several sections
        rows.sort(key=lambda row: (row["reported_at"], row["id"]))
        sections.append(BoardSection(key, titles[key], rows, counts[key]))
    return Board(
        at=at,
        standup=standup,
        previous_standup=previous,
        new_since=new_since,
        standup_in_progress=in_progress,
        sections=sections,
        compliance=cached_aggregate(
            "sla-compliance", programme.pk, at=at, compute=lambda: sla_compliance(programme, at=at)
        ),
    )


def _decisions(programme, start, end):
    """Triage decisions: every ticket logged with the matrix's answers or an overriding severity, and
    every severity change."""
    events = TicketEvent.objects.filter(ticket__programme=programme).filter(
        (Q(kind=EventKind.CREATED) & Q(data__has_key="computed_severity") & ~Q(data__computed_severity=None))
        | (Q(kind=EventKind.CREATED) & Q(data__overridden=True))
        | Q(kind=EventKind.SEVERITY)
    )
    if start is not None:
        events = events.filter(at__gte=start)
    if end is not None:
        events = events.filter(at__lt=end)
    return events


def severity_override_report(
    programme, start: datetime | None = None, end: datetime | None = None, *, recent: int = 20
) -> dict:
    """How often the matrix's severity was overridden, in which direction, and by whom (aggregate SQL).

    Returns {"decisions", "overridden", "override_percent", "raised" (made more severe than
    the matrix), "lowered", "by_person": [{"username", "name", "decisions", "overridden"}],
    "recent": the latest overrides with ticket, who, when, computed and chosen severity and reason}.
    """
    events = _decisions(programme, start, end)
    overridden = Q(data__overridden=True)
    computed = Cast(KT("data__computed_severity"), IntegerField())
    chosen = Case(
        When(kind=EventKind.CREATED, then=Cast(KT("data__severity"), IntegerField())),
        default=Cast("to_value", IntegerField()),
        output_field=IntegerField(),
    )
    overrides = events.filter(overridden).annotate(computed_value=computed, chosen_value=chosen)
    totals = events.aggregate(decisions=Count("pk"), overridden=Count("pk", filter=overridden))
    directions = overrides.aggregate(
        raised=Count("pk", filter=Q(chosen_value__lt=F("computed_value"))),
        lowered=Count("pk", filter=Q(chosen_value__gt=F("computed_value"))),
    )
    by_person = [
        {
            "username": row["actor__username"] or "(system)",
            "name": " ".join(filter(None, [row["actor__first_name"], row["actor__last_name"]])),
            "decisions": row["decisions"],
            "overridden": row["overridden"],
        }
        for row in events.order_by()
        .values("actor__username", "actor__first_name", "actor__last_name")
        .annotate(decisions=Count("pk"), overridden=Count("pk", filter=overridden))
        .order_by("-overridden", "-decisions", "actor__username")
    ]
    latest = [
        {
            "reference": event.ticket.reference,
            "title": event.ticket.title,
            "at": event.at,
            "username": event.actor.username if event.actor else "(system)",
            "computed_severity": event.computed_value or None,  # none without triage answers
            "severity": event.chosen_value,
            "reason": event.note or (event.data or {}).get("reason", ""),
        }
        for event in overrides.select_related("ticket", "actor").order_by("-at", "-pk")[:recent]
    ]
    decisions = totals["decisions"]
    return {
        "decisions": decisions,
        "overridden": totals["overridden"],
        "override_percent": round(100 * totals["overridden"] / decisions, 1) if decisions else None,
        "raised": directions["raised"],
        "lowered": directions["lowered"],
        "by_person": by_person,
        "recent": latest,
    }
