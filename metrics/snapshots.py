"""The figures of one programme-day, computed by aggregate SQL over the programme's tickets.

Everything is derived from the tickets' timestamps (reported, first responded, resolved, closed,
due instants) and their current attributes (severity, tier, category, team, breach flags), so the
snapshot taken just after midnight and a backfill run weeks later give the same figures for a day
as long as the tickets have not changed. Deferred tickets are out of the open counts: they left
hypercare for the backlog.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Q
from django.utils import timezone

from hypercare.models import Programme
from hypercare.vocabulary import DEFECT_CATEGORIES, TRAINING_GAP_CATEGORIES, Category, Severity, Status, Tier
from metrics.selectors import (
    Compliance,
    Share,
    Window,
    bau_share_counts,
    local_date,
    sla_compliance_counts,
)
from sla.outcomes import resolution_judged_q, resolution_met_q
from tickets.models import Ticket

CYCLE_TIME_WINDOW_DAYS = 7
SEVERITIES = [str(value) for value in Severity.values]
TIERS = [str(value) for value in Tier.values]
SLA_KINDS = ("response", "resolution")


# Resolution targets decided before a snapshot's cut-off, since the beginning.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def local_today(programme: Programme, at: datetime) -> date:
    """The programme's calendar date at the instant `at`."""
    return local_date(programme, at)


def day_bounds(programme: Programme, day: date) -> tuple[datetime, datetime]:
    """Local midnight at the start of `day` and of the next day, as aware instants (DST-correct)."""
    window = Window.day(programme, day)
    return window.start, window.end


def done_before(instant: datetime) -> Q:
    """Resolved (or, for tickets closed without a resolution, closed) before `instant`."""
    return Q(resolved_at__lt=instant) | Q(resolved_at__isnull=True, closed_at__lt=instant)


def done_between(start: datetime, end: datetime) -> Q:
    return Q(resolved_at__gte=start, resolved_at__lt=end) | Q(
        resolved_at__isnull=True, closed_at__gte=start, closed_at__lt=end
    )


def open_at(instant: datetime) -> Q:
    """Still open at `instant`: not done yet, and not deferred to the backlog."""
    not_done = Q(resolved_at__gte=instant) | (
        Q(resolved_at__isnull=True) & (Q(closed_at__isnull=True) | Q(closed_at__gte=instant))
    )
    return not_done & ~Q(status=Status.DEFERRED)


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(ARRAY[…]) WITHIN GROUP (ORDER BY expr): several percentiles, one sort."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fractions: tuple[float, ...], **extra):
        super().__init__(
            expression,
            fractions=", ".join(repr(float(f)) for f in fractions),
            output_field=ArrayField(FloatField()),
            **extra,
        )


def _cycle_seconds_pg():
    return Func(
        F("resolved_at") - F("reported_at"),
        template="EXTRACT(EPOCH FROM %(expressions)s)::float8",
        output_field=FloatField(),
    )


def _interpolate(values: list[float], position: float) -> float:
    low = math.floor(position)
    lower = values[0]
    upper = values[1] if len(values) > 1 else lower
    return lower + (upper - lower) * (position - low)


def _cycle_percentiles(resolved, sample: int) -> tuple[float | None, float | None]:
    """Median and 90th percentile of resolved_at − reported_at in hours (percentile_cont semantics)."""
    if sample == 0:
        return None, None
    if connection.vendor == "postgresql":
        seconds = resolved.aggregate(percentiles=PercentileCont(_cycle_seconds_pg(), (0.5, 0.9)))[
            "percentiles"
        ]
    else:
        # No percentile aggregate on SQLite: two ordered LIMIT/OFFSET probes around each position.
        ordered = resolved.annotate(cycle=F("resolved_at") - F("reported_at")).order_by("cycle")
        seconds = []
        for fraction in (0.5, 0.9):
            position = fraction * (sample - 1)
            low = math.floor(position)
            pair = [d.total_seconds() for d in ordered.values_list("cycle", flat=True)[low : low + 2]]
            seconds.append(_interpolate(pair, position))
    return tuple(round(value / 3600, 2) for value in seconds)


def snapshot_figures(*, programme: Programme, day: date, at: datetime | None = None) -> dict:
    """Every figure of the snapshot of `day`, as of the end of that day or `at`, whichever is earlier.

    The day's BAU share and resolution SLA compliance are the selectors' (`metrics.selectors`)
    over the one-day window. Two queries on PostgreSQL (three on SQLite), whatever the number of
    tickets: one pass over the programme's tickets grouped by severity, tier and category, then
    the cycle-time percentiles.
    """
    at = at or timezone.now()
    window = Window.day(programme, day, at=at)
    start, cutoff = window.start, window.until
    if cutoff <= start:
        raise ValueError(f"{day} has not started yet in {programme.timezone}.")
    window_start, _ = day_bounds(programme, day - timedelta(days=CYCLE_TIME_WINDOW_DAYS - 1))
    tickets = Ticket.objects.filter(programme=programme, reported_at__lt=cutoff).order_by()
    reported_today = Q(reported_at__gte=start)

    counts = {
        "total": Count("pk"),
        "intake": Count("pk", filter=reported_today),
        **bau_share_counts(window, prefix="day_"),
        **sla_compliance_counts(window, prefix="day_sla_"),
        "closed": Count("pk", filter=done_before(cutoff)),
        "closures": Count("pk", filter=done_between(start, cutoff)),
        "open": Count("pk", filter=open_at(cutoff)),
        "cycle_sample": Count("pk", filter=Q(resolved_at__gte=window_start, resolved_at__lt=cutoff)),
    }
    for tier in TIERS:
        counts[f"tier{tier}"] = Count("pk", filter=Q(resolved_at__lt=cutoff, resolved_at_tier=int(tier)))
    # Response: answered by the due instant, or the target missed. Resolution: the SLA layer's
    # judgement, every target decided before the cut-off.
    judged = resolution_judged_q(EPOCH, cutoff, cutoff)
    sla_counts = {
        "response": (
            Q(
                response_breached=False,
                first_responded_at__lt=cutoff,
                first_responded_at__lte=F("response_due_at"),
            ),
            Q(response_breached=True, response_due_at__lt=cutoff),
        ),
        "resolution": (judged & resolution_met_q(), judged & ~resolution_met_q()),
    }
    for kind, (met, breached) in sla_counts.items():
        # Aliases carry an sla_ prefix: "response_breached" is a ticket column.
        counts[f"sla_{kind}_due"] = Count("pk", filter=Q(**{f"{kind}_due_at__isnull": False}))
        counts[f"sla_{kind}_breached"] = Count("pk", filter=breached)
        counts[f"sla_{kind}_met"] = Count("pk", filter=met)
    # One pass over the programme's tickets. At most 4 × 3 × 8 groups come back; the breakdowns
    # (per severity for the SLA, per tier and category for the open tickets) are sums of them.
    groups = list(tickets.values("severity", "tier", "category").annotate(**counts))

    def total(key: str, keep=lambda row: True) -> int:
        return sum(row[key] for row in groups if keep(row))

    def per(column: str, key: str, values) -> dict[str, int]:
        found = dict.fromkeys(values, 0)
        for row in groups:
            found[str(row[column])] = found.get(str(row[column]), 0) + row[key]
        return found

    def defects(row) -> bool:
        return row["category"] in DEFECT_CATEGORIES

    def training_gaps(row) -> bool:
        return row["category"] in TRAINING_GAP_CATEGORIES

    sample = total("cycle_sample")
    median, p90 = _cycle_percentiles(
        tickets.filter(resolved_at__gte=window_start, resolved_at__lt=cutoff), sample
    )
    sla = {}
    for severity in SEVERITIES:
        sla[severity] = {}
        for kind in SLA_KINDS:

            def of_severity(row, severity=severity) -> bool:
                return str(row["severity"]) == severity

            met = total(f"sla_{kind}_met", of_severity)
            breached = total(f"sla_{kind}_breached", of_severity)
            due = total(f"sla_{kind}_due", of_severity)
            sla[severity][kind] = {"met": met, "breached": breached, "open": max(due - met - breached, 0)}

    return {
        "intake": total("intake"),
        "closures": total("closures"),
        "cumulative_intake": total("total"),
        "cumulative_closures": total("closed"),
        "intake_defects": total("intake", defects),
        "intake_training_gaps": total("intake", training_gaps),
        "intake_bau": total("day_bau"),
        "intake_desk": total("day_desk"),
        "sla_resolution_met": total("day_sla_met"),
        "sla_resolution_judged": total("day_sla_judged"),
        "open_total": total("open"),
        "open_defects": total("open", defects),
        "open_training_gaps": total("open", training_gaps),
        "open_by_severity": per("severity", "open", SEVERITIES),
        "open_by_tier": per("tier", "open", TIERS),
        "open_by_category": per("category", "open", Category.values),
        "resolved_by_tier": {tier: total(f"tier{tier}") for tier in TIERS},
        "cycle_time_median_hours": median,
        "cycle_time_p90_hours": p90,
        "cycle_time_sample": sample,
        "sla": sla,
    }


FIGURE_FIELDS = (
    "intake",
    "closures",
    "cumulative_intake",
    "cumulative_closures",
    "intake_defects",
    "intake_training_gaps",
    "intake_bau",
    "intake_desk",
    "open_total",
    "open_defects",
    "open_training_gaps",
    "open_by_severity",
    "open_by_tier",
    "open_by_category",
    "resolved_by_tier",
    "cycle_time_median_hours",
    "cycle_time_p90_hours",
    "cycle_time_sample",
    "sla",
    "sla_resolution_met",
    "sla_resolution_judged",
)


def percent(part: float | None, whole: float | None) -> float | None:
    """part / whole as a percentage (unrounded: thresholds compare exact values), None for 0 / 0."""
    if part is None or not whole:
        return None
    return 100 * part / whole


def tier_shares(snapshot) -> dict[str, float | None]:
    """Share (%) of resolved tickets resolved at each tier, cumulative to the snapshot's day."""
    resolved = sum(snapshot.resolved_by_tier.get(tier, 0) for tier in TIERS)
    return {tier: percent(snapshot.resolved_by_tier.get(tier, 0), resolved) for tier in TIERS}


def sla_compliance(snapshot, kind: str = "resolution", severity: str | None = None) -> float | None:
    """Met / (met + breached) in %, cumulative to the snapshot's day, for one severity or all of them;
    None before any ticket is decided."""
    severities = [severity] if severity else SEVERITIES
    met = sum(snapshot.sla.get(s, {}).get(kind, {}).get("met", 0) for s in severities)
    breached = sum(snapshot.sla.get(s, {}).get(kind, {}).get("breached", 0) for s in severities)
    return percent(met, met + breached)


def day_window(snapshot, programme: Programme) -> Window:
    """The one-day window of a snapshot of `programme`."""
    return Window.day(programme, snapshot.date, at=snapshot.computed_at)


def day_bau_share(snapshot, programme: Programme) -> Share:
    """The snapshot day's BAU share (`metrics.selectors.bau_share` over that day)."""
    return Share(part=snapshot.intake_bau, whole=snapshot.intake_desk, window=day_window(snapshot, programme))


def day_resolution_compliance(snapshot, programme: Programme) -> Compliance:
    """The snapshot day's resolution SLA compliance (`resolution_sla_compliance` over that day)."""
    return Compliance(
        part=snapshot.sla_resolution_met,
        whole=snapshot.sla_resolution_judged,
        window=day_window(snapshot, programme),
    )
