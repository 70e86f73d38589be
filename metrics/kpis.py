"""The balanced scorecard's KPIs, their default thresholds and red/amber/green evaluation.

Boundaries: a value is green when it is on the good side of `green` (strictly, unless the KPI's
green boundary is inclusive, e.g. "green at 0"), red when it reaches `red` or goes beyond it
(inclusive), amber in between. A band KPI (tier shares) is green inside [green, green_high] and
red once it is `red` points or more outside the band.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db import models


class Area(models.TextChoices):
    TECHNICAL = "technical", "Technical health"
    ADOPTION = "adoption", "Adoption"
    VELOCITY = "velocity", "Process velocity"
    QUEUE = "queue", "Service queue health"


class Direction(models.TextChoices):
    LOWER = "lower", "Lower is better"
    HIGHER = "higher", "Higher is better"
    BAND = "band", "Within a band"


class Rag(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    NONE = "none", "No data"


RAG_ORDER = {Rag.NONE: 0, Rag.GREEN: 1, Rag.AMBER: 2, Rag.RED: 3}


def worst(statuses) -> str:
    """The worst of several statuses (red > amber > green > no data)."""
    return max(statuses, key=lambda status: RAG_ORDER[status], default=Rag.NONE)


@dataclass(frozen=True)
class Threshold:
    direction: str
    green: float
    red: float
    green_high: float | None = None
    green_inclusive: bool = False

    def evaluate(self, value: float | None) -> str:
        """Red, amber or green for `value`; "none" when there is no value."""
        if value is None:
            return Rag.NONE
        if self.direction == Direction.BAND:
            if self.green <= value <= self.green_high:
                return Rag.GREEN
            if value <= self.green - self.red or value >= self.green_high + self.red:
                return Rag.RED
            return Rag.AMBER
        if self.direction == Direction.LOWER:
            if value < self.green or (self.green_inclusive and value == self.green):
                return Rag.GREEN
            return Rag.RED if value >= self.red else Rag.AMBER
        if value > self.green or (self.green_inclusive and value == self.green):
            return Rag.GREEN
        return Rag.RED if value <= self.red else Rag.AMBER

    def describe(self, unit: str = "") -> str:
        """The rule in words, e.g. "green below 0.1 %, red at 0.5 % or more"."""
        u = unit if unit.startswith("%") else f" {unit}" if unit else ""

        def n(x: float) -> str:
            return f"{x:g}{u}"

        if self.direction == Direction.BAND:
            return f"green {n(self.green)}–{n(self.green_high)}, red {self.red:g} points or more outside"
        if self.direction == Direction.LOWER:
            green = f"at most {n(self.green)}" if self.green_inclusive else f"below {n(self.green)}"
            return f"green {green}, red at {n(self.red)} or more"
        green = f"at least {n(self.green)}" if self.green_inclusive else f"above {n(self.green)}"
        return f"green {green}, red at {n(self.red)} or less"

    def check(self) -> dict[str, str]:
        """Field errors of an edited threshold (empty when it is consistent)."""
        if self.direction == Direction.BAND:
            errors = {}
            if self.green_high is None:
                errors["green_high"] = "A band needs its upper end."
            elif self.green_high < self.green:
                errors["green_high"] = "The upper end of the green band cannot be below its lower end."
            if self.red < 0:
                errors["red"] = "The distance outside the band that turns red cannot be negative."
            return errors
        if self.direction == Direction.LOWER and self.red < self.green:
            return {
                "red": f"Lower is better here: red ({self.red:g}) cannot be below green ({self.green:g})."
            }
        if self.direction == Direction.HIGHER and self.red > self.green:
            return {
                "red": f"Higher is better here: red ({self.red:g}) cannot be above green ({self.green:g})."
            }
        return {}


@dataclass(frozen=True)
class KpiDefinition:
    slug: str
    name: str
    area: str
    unit: str
    threshold: Threshold
    chart: str
    help: str
    # The exit criterion kind that judges this same figure. Its threshold is this KPI's green
    # boundary (the default here, or the programme's override): one home for both screens.
    gate_criterion: str = ""


def _kpi(
    slug, name, area, unit, direction, green, red, chart, help, *, green_high=None, inclusive=False, gate=""
):
    return KpiDefinition(
        slug, name, area, unit, Threshold(direction, green, red, green_high, inclusive), chart, help, gate
    )


L, H, B = Direction.LOWER, Direction.HIGHER, Direction.BAND
T, A, V, Q = Area.TECHNICAL, Area.ADOPTION, Area.VELOCITY, Area.QUEUE

# The defaults are seed 000's numbers where it gives one; the amber bands are ours, and editable.
KPIS: list[KpiDefinition] = [
    _kpi("exception_rate", "Exception rate", T, "%", L, 0.1, 0.5, "exception_rate",
         "Platform exceptions as a share of transactions, last 7 days.", gate="exception_rate"),
    _kpi("integration_success_rate", "Integration success rate", T, "%", H, 99.5, 99.0, "integration_success_rate",
         "Integration calls that succeeded, last 7 days.", gate="integration_success"),
    _kpi("governor_limit_alerts", "Governor-limit alerts", T, "alerts", L, 0, 5, "governor_limit_alerts",
         "Alerts raised in the last 7 days.", inclusive=True, gate="governor_limit_alerts"),
    _kpi("lock_contentions", "Lock contentions", T, "contentions", L, 0, 5, "lock_contentions",
         "Database lock contentions in the last 7 days.", inclusive=True, gate="lock_contentions"),
    _kpi("dau_wau_ratio", "DAU/WAU ratio", A, "%", H, 50, 20, "dau_wau_ratio",
         "Average daily over weekly active users, last 7 days; per business unit and geography.", inclusive=True),
    _kpi("record_creation_vs_baseline", "Record creation vs legacy baseline", A, "% below baseline", L, 20, 40,
         "record_creation", "Largest shortfall of daily records created against the legacy baseline, last 7 days."),
    _kpi("cycle_time_vs_baseline", "Cycle time vs baseline", V, "% above baseline", L, 20, 50, "cycle_time",
         "Largest excess of a process's cycle time over its legacy baseline; red flags a likely training gap."),
    _kpi("closure_ratio", "Closures vs intake (burn-up)", Q, "%", H, 100, 80, "burn_up",
         "Tickets closed per ticket reported, last 7 days: 100% or more means the backlog burns down.", inclusive=True),
    _kpi("training_gap_trend", "Training-gap share trend", Q, "points", L, 0, 10, "defect_training_mix",
         "Change of the how-to share of intake, last 7 days against the 7 before.", inclusive=True),
    _kpi("resolution_cycle_time", "Resolution cycle time (median)", Q, "h", L, 24, 72, "resolution_cycle_time",
         "Median hours from report to resolution of tickets resolved in the last 7 days."),
    _kpi("tier1_share", "Resolved at Tier 1", Q, "%", B, 45, 10, "tier_shares",
         "Share of resolved tickets resolved by champions (target 45–55%).", green_high=55),
    _kpi("tier2_share", "Resolved at Tier 2", Q, "%", B, 30, 10, "tier_shares",
         "Share of resolved tickets resolved by the hypercare desk (target 30–35%).", green_high=35),
    _kpi("tier3_share", "Resolved at Tier 3", Q, "%", B, 15, 10, "tier_shares",
         "Share of resolved tickets resolved by core engineers (target 15–20%).", green_high=20),
    _kpi("sla_resolution_compliance", "Resolution SLA met", Q, "%", H, 95, 85, "sla_compliance",
         "Tickets resolved by their resolution due instant, of those resolved or overdue in the last 7 days.",
         inclusive=True, gate="sla_compliance"),
    _kpi("bau_share", "BAU share of incoming tickets", Q, "%", H, 80, 50, "bau_share",
         "Tickets reported in the last 7 days that reached the desk and that the BAU team handles.",
         inclusive=True, gate="bau_share"),
]  # fmt: skip
KPI_BY_SLUG = {kpi.slug: kpi for kpi in KPIS}
# The KPI whose green boundary an exit criterion kind reads as its threshold.
KPI_BY_GATE_CRITERION = {kpi.gate_criterion: kpi for kpi in KPIS if kpi.gate_criterion}


def threshold_for(kpi: KpiDefinition, overrides: dict | None = None) -> Threshold:
    """The KPI's threshold with a programme's override (a KpiThreshold row) applied."""
    row = (overrides or {}).get(kpi.slug)
    if row is None:
        return kpi.threshold
    return replace(
        kpi.threshold,
        green=row.green,
        red=row.red,
        green_high=row.green_high if kpi.threshold.direction == Direction.BAND else None,
    )


def moved_green(threshold: Threshold, green: float) -> Threshold:
    """`threshold` with its green boundary at `green`; the red one moves along (keeping the amber band as
    wide as it was) only where it would otherwise be on the wrong side of green."""
    moved = replace(threshold, green=green)
    if moved.check():
        moved = replace(moved, red=threshold.red + (green - threshold.green))
    return moved


def kpi_evaluate(kpi_slug: str, value: float | None, *, programme=None) -> str:
    """Status (green/amber/red/none) of `value` for a KPI, with the programme's thresholds if given."""
    from metrics.models import KpiThreshold

    kpi = KPI_BY_SLUG[kpi_slug]
    overrides = {}
    if programme is not None:
        overrides = {row.kpi: row for row in KpiThreshold.objects.filter(programme=programme, kpi=kpi_slug)}
    return threshold_for(kpi, overrides).evaluate(value)
