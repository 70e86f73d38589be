"""The scorecard of one programme: KPIs with values, sparklines, thresholds, status and breakdowns,
and the training-gap detector.

`ProgrammeMetrics` loads what a page needs lazily and once: the stored snapshots of the range
plus a live one for today ("today so far"), the telemetry roll-ups (one GROUP BY query per
dimension), baselines and thresholds. The number of queries does not grow with the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from django.db.models import Count, Q
from django.utils import timezone

from hypercare.aggregates import cached_aggregate
from hypercare.models import Programme
from hypercare.vocabulary import TRAINING_GAP_CATEGORIES, Severity
from metrics import selectors
from metrics.kpis import KPI_BY_SLUG, KPIS, Area, KpiDefinition, Rag, Threshold, threshold_for, worst
from metrics.models import Baseline, KpiThreshold, MetricSeries, Snapshot
from metrics.selectors import DEFAULT_DAYS, TELEMETRY_SLUGS, Window
from metrics.snapshots import (
    TIERS,
    day_bounds,
    done_between,
    local_today,
    percent,
    sla_compliance,
    snapshot_figures,
    tier_shares,
)
from metrics.telemetry import rollup
from tickets.models import Ticket

RANGE_DAYS = 42  # six weeks: the usual length of a hypercare window
WINDOW_DAYS = DEFAULT_DAYS
DETECTOR_DAYS = 2 * WINDOW_DAYS  # the KPI week and the one before: one query serves both
# KPIs read as of today, cumulative since go-live, rather than over the KPI window.
CUMULATIVE_KPIS = frozenset({"tier1_share", "tier2_share", "tier3_share"})
# A unit or process "stands out" when at least this many of its tickets are how-to questions and
# its how-to share is this many points above the programme's.
DETECTOR_MIN_HOW_TO = 3
DETECTOR_MARGIN_POINTS = 15


@dataclass
class Row:
    label: str
    value: float | None
    status: str = Rag.NONE
    detail: str = ""
    unit: str | None = None  # None: the KPI's unit


@dataclass
class KpiResult:
    kpi: KpiDefinition
    threshold: Threshold
    value: float | None
    status: str
    sparkline: list[float | None]
    rows: list[Row] = field(default_factory=list)
    note: str = ""
    window: Window | None = None  # the days the value covers (None: cumulative to today)

    @property
    def threshold_text(self) -> str:
        return self.threshold.describe(self.kpi.unit)

    @property
    def window_label(self) -> str:
        return self.window.label if self.window else "since go-live, cumulative"


@dataclass
class AreaResult:
    slug: str
    name: str
    kpis: list[KpiResult]

    @property
    def status(self) -> str:
        return worst(kpi.status for kpi in self.kpis)


@dataclass
class Finding:
    """A business unit or process where coaching would help, with the evidence."""

    kind: str  # "business_unit" or "process"
    name: str
    evidence: list[str] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return "Business unit" if self.kind == "business_unit" else "Process"


def _mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def _deviation(actual: float | None, baseline: float, sign: int) -> float | None:
    """How far `actual` is from `baseline` in % of it: above it for sign=+1, below it for sign=-1."""
    if actual is None:
        return None
    return sign * (actual - baseline) * 100 / baseline


def _baseline_dimension(baseline: Baseline) -> tuple[str | None, str]:
    for name in ("business_unit", "geography", "object"):
        if getattr(baseline, name):
            return name, getattr(baseline, name)
    return None, ""


class ProgrammeMetrics:
    """Everything the scorecard, its charts, CSV files and the API read for one programme."""

    def __init__(
        self,
        programme: Programme,
        *,
        at: datetime | None = None,
        start: date | None = None,
        end: date | None = None,
    ):
        self.programme = programme
        self.at = at or timezone.now()
        self.today = local_today(programme, self.at)
        self.end = min(end or self.today, self.today)
        self.start = min(start or self.end - timedelta(days=RANGE_DAYS - 1), self.end)
        self.dates = [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]
        self.window = [self.end - timedelta(days=n) for n in range(WINDOW_DAYS - 1, -1, -1)]
        # The KPIs' window, the same as the exit gate's default for the figures both judge.
        self.kpi_window = Window.ending(programme, days=WINDOW_DAYS, at=self.at, last=self.end)
        # Snapshots and telemetry are read from here, so the 7-day KPIs and the trend have their data.
        self.load_start = min(self.start, self.end - timedelta(days=2 * WINDOW_DAYS - 1))
        self._results: dict[str, KpiResult] = {}
        self._rollups: dict[str | None, dict] = {}

    # Loading -------------------------------------------------------------------------------

    @cached_property
    def snapshots(self) -> dict[date, Snapshot]:
        """Stored snapshots by date, with today (and yesterday until beat has taken it) computed live."""
        stored = {
            s.date: s
            for s in Snapshot.objects.filter(
                programme=self.programme, date__gte=self.load_start, date__lte=self.end
            )
        }
        live_days = [self.today, self.today - timedelta(days=1)]
        for day in live_days:
            if self.load_start <= day <= self.end and day not in stored:
                figures = cached_aggregate(
                    "live-snapshot",
                    self.programme.pk,
                    day,
                    at=self.at,
                    compute=lambda day=day: snapshot_figures(programme=self.programme, day=day, at=self.at),
                )
                stored[day] = Snapshot(programme=self.programme, date=day, computed_at=self.at, **figures)
        return stored

    @cached_property
    def series(self) -> dict[str, MetricSeries]:
        return {s.slug: s for s in MetricSeries.objects.filter(programme=self.programme)}

    def _rollup(self, by: str | None) -> dict:
        if by not in self._rollups:
            self._rollups[by] = rollup(list(self.series.values()), self.load_start, self.end, by=by)
        return self._rollups[by]

    @cached_property
    def telemetry(self) -> dict[str, dict[date, float]]:
        """Daily totals of the series the technical KPIs read, over the whole loaded range."""
        return {slug: self.line(slug) for slug in TELEMETRY_SLUGS}

    def day_window(self, day: date) -> Window:
        return Window.day(self.programme, day, at=self.at)

    def line(self, slug: str, key: str = "", by: str | None = None) -> dict[date, float]:
        """Daily values of a series: the total, or one value (`key`) of dimension `by`."""
        series = self.series.get(slug)
        if series is None:
            return {}
        return self._rollup(by).get((series.pk, key), {})

    def keys(self, slug: str, by: str) -> list[str]:
        """Values of dimension `by` that series `slug` has data for."""
        series = self.series.get(slug)
        if series is None:
            return []
        return sorted(key for sid, key in self._rollup(by) if sid == series.pk)

    @cached_property
    def baselines(self) -> list[Baseline]:
        return list(Baseline.objects.filter(series__programme=self.programme).select_related("series"))

    @cached_property
    def overrides(self) -> dict[str, KpiThreshold]:
        return {row.kpi: row for row in KpiThreshold.objects.filter(programme=self.programme)}

    def threshold(self, kpi: KpiDefinition) -> Threshold:
        return threshold_for(kpi, self.overrides)

    # Snapshot helpers ---------------------------------------------------------------------

    def snapshot_line(self, getter: Callable[[Snapshot], float | None]) -> list[float | None]:
        return [getter(self.snapshots[d]) if d in self.snapshots else None for d in self.dates]

    def _sum(self, attr: str, days) -> int | None:
        present = [self.snapshots[d] for d in days if d in self.snapshots]
        return sum(getattr(s, attr) for s in present) if present else None

    @staticmethod
    def trailing(day: date) -> list[date]:
        """The 7 days ending on `day`: what every rolling line of the charts averages over."""
        return [day - timedelta(days=n) for n in range(WINDOW_DAYS - 1, -1, -1)]

    def rolling_share(self, part: str, whole: str, day: date) -> float | None:
        days = self.trailing(day)
        return percent(self._sum(part, days), self._sum(whole, days))

    @property
    def latest(self) -> Snapshot | None:
        return self.snapshots.get(self.end)

    @cached_property
    def ticket_groups(self) -> list[dict]:
        """Recent tickets counted per business unit and process, in one aggregate over the tickets.

        Serves the 7-day queue KPIs (intake, closures, training gaps, this week and the one
        before) and the training-gap detector's fortnight. Read from the tickets rather than
        summed from snapshots, so the figures hold even on days beat has not snapshotted yet.
        """
        last_start, _ = day_bounds(self.programme, self.window[0])
        previous_start, _ = day_bounds(self.programme, self.window[0] - timedelta(days=WINDOW_DAYS))
        _, end = day_bounds(self.programme, self.end)
        end = min(end, self.at)
        recent = (
            Q(reported_at__gte=previous_start) | Q(resolved_at__gte=last_start) | Q(closed_at__gte=last_start)
        )
        last = Q(reported_at__gte=last_start, reported_at__lt=end)
        previous = Q(reported_at__gte=previous_start, reported_at__lt=last_start)
        fortnight = Q(reported_at__gte=previous_start, reported_at__lt=end)
        gaps = Q(category__in=TRAINING_GAP_CATEGORIES)
        return cached_aggregate(
            "ticket-groups",
            self.programme.pk,
            self.window[0],
            self.end,
            at=self.at,
            compute=lambda: self._ticket_groups(recent, end, last, previous, fortnight, gaps, last_start),
        )

    def _ticket_groups(self, recent, end, last, previous, fortnight, gaps, last_start) -> list[dict]:
        return list(
            Ticket.objects.filter(recent, programme=self.programme, reported_at__lt=end)
            .order_by()
            .values("business_unit", "process")
            .annotate(
                intake=Count("pk", filter=last),
                training_gaps=Count("pk", filter=last & gaps),
                closures=Count("pk", filter=done_between(last_start, end)),
                previous_intake=Count("pk", filter=previous),
                previous_training_gaps=Count("pk", filter=previous & gaps),
                fortnight=Count("pk", filter=fortnight),
                fortnight_how_to=Count("pk", filter=fortnight & gaps),
            )
        )

    @property
    def ticket_windows(self) -> dict[str, int]:
        keys = ("intake", "training_gaps", "closures", "previous_intake", "previous_training_gaps")
        return {key: sum(group[key] for group in self.ticket_groups) for key in keys}

    # KPIs ----------------------------------------------------------------------------------

    def result(self, slug: str) -> KpiResult:
        """One KPI, evaluated on first use."""
        if slug not in self._results:
            self._results[slug] = self._evaluate(KPI_BY_SLUG[slug])
        return self._results[slug]

    @property
    def results(self) -> dict[str, KpiResult]:
        return {kpi.slug: self.result(kpi.slug) for kpi in KPIS}

    def areas(self) -> list[AreaResult]:
        return [
            AreaResult(area.value, area.label, [self.result(k.slug) for k in KPIS if k.area == area])
            for area in Area
        ]

    def _evaluate(self, kpi: KpiDefinition) -> KpiResult:
        threshold = self.threshold(kpi)
        compute = getattr(self, f"_kpi_{kpi.slug}")
        value, sparkline, rows, note = compute(kpi, threshold)
        status = worst([threshold.evaluate(value), *(row.status for row in rows)])
        window = None if kpi.slug in CUMULATIVE_KPIS else self.kpi_window
        return KpiResult(kpi, threshold, value, status, sparkline, rows, note, window)

    def ratio_line(self, selector) -> list[float | None]:
        """A telemetry share (`selectors.exception_rate`, …) of each day of the range."""
        return [
            selector(self.programme, self.day_window(d), lines=self.telemetry).percent for d in self.dates
        ]

    def _kpi_exception_rate(self, kpi, threshold):
        value = selectors.exception_rate(self.programme, self.kpi_window, lines=self.telemetry).percent
        note = "" if value is not None else "No day with both exceptions and transactions in the window."
        return value, self.ratio_line(selectors.exception_rate), [], note

    def _kpi_integration_success_rate(self, kpi, threshold):
        value = selectors.integration_success(self.programme, self.kpi_window, lines=self.telemetry).percent
        note = "" if value is not None else "No integration data in the window."
        return value, self.ratio_line(selectors.integration_success), [], note

    def _count_kpi(self, slug: str, selector):
        value = selector(self.programme, self.kpi_window, lines=self.telemetry).value
        note = "" if value is not None else "No data in the window."
        line = self.line(slug)
        return value, [line.get(d) for d in self.dates], [], note

    def _kpi_governor_limit_alerts(self, kpi, threshold):
        return self._count_kpi("governor_limit_alerts", selectors.governor_limit_alerts)

    def _kpi_lock_contentions(self, kpi, threshold):
        return self._count_kpi("lock_contentions", selectors.lock_contentions)

    def dau_wau(self, key: str = "", by: str | None = None, days=None) -> float | None:
        dau, wau = self.line("daily_active_users", key, by), self.line("weekly_active_users", key, by)
        days = [d for d in (days or self.window) if d in dau and d in wau]
        return percent(sum(dau[d] for d in days), sum(wau[d] for d in days)) if days else None

    def _kpi_dau_wau_ratio(self, kpi, threshold):
        rows = []
        for by, label in (("business_unit", "business unit"), ("geography", "geography")):
            for key in self.keys("daily_active_users", by):
                value = self.dau_wau(key, by)
                rows.append(Row(key, value, threshold.evaluate(value), label))
        value = self.dau_wau()
        note = "" if value is not None else "No active-user data in the last 7 days."
        return value, [self.dau_wau(days=self.trailing(d)) for d in self.dates], rows, note

    def baseline_rows(self, slug: str, sign: int, threshold: Threshold):
        """One row per baseline of series `slug`: the window's mean against the baseline, and daily lines."""
        series = self.series.get(slug)
        rows, daily = [], {}
        for baseline in (b for b in self.baselines if series and b.series_id == series.pk):
            by, key = _baseline_dimension(baseline)
            line = self.line(slug, key, by)
            actual = _mean(line[d] for d in self.window if d in line)
            deviation = _deviation(actual, baseline.value, sign)
            unit = series.unit or "per day"
            detail = (
                f"{actual:,.1f} against a baseline of {baseline.value:,.1f} {unit}"
                if actual is not None
                else f"no data in the last 7 days (baseline {baseline.value:,.1f} {unit})"
            )
            rows.append(Row(baseline.dimension_label, deviation, threshold.evaluate(deviation), detail))
            daily[baseline.dimension_label] = (baseline, line)
        return rows, daily

    def _baseline_kpi(self, slug: str, sign: int, threshold: Threshold, name: str):
        rows, daily = self.baseline_rows(slug, sign, threshold)
        values = [row.value for row in rows if row.value is not None]
        sparkline = []
        for d in self.dates:
            day_values = [_deviation(line[d], b.value, sign) for b, line in daily.values() if d in line]
            sparkline.append(max(day_values) if day_values else None)
        note = "" if rows else f"No {name} baseline yet: a lead enters the legacy figures under Baselines."
        return (max(values) if values else None), sparkline, rows, note

    def _kpi_record_creation_vs_baseline(self, kpi, threshold):
        return self._baseline_kpi("records_created", -1, threshold, "records-created")

    def _kpi_cycle_time_vs_baseline(self, kpi, threshold):
        value, sparkline, rows, note = self._baseline_kpi("cycle_time_minutes", +1, threshold, "cycle-time")
        for row in rows:
            if row.status == Rag.RED:
                row.detail += " — likely training gap"
        return value, sparkline, rows, note

    def _kpi_closure_ratio(self, kpi, threshold):
        intake, closures = self.ticket_windows["intake"], self.ticket_windows["closures"]
        rows = [
            Row("Reported, last 7 days", intake, unit="tickets"),
            Row("Closed, last 7 days", closures, unit="tickets"),
            Row("Open now", self.latest.open_total if self.latest else None, unit="tickets"),
        ]
        sparkline = [self.rolling_share("closures", "intake", d) for d in self.dates]
        note = "" if intake else "No tickets reported in the last 7 days."
        return percent(closures, intake), sparkline, rows, note

    def training_gap_shares(self) -> tuple[float | None, float | None]:
        counts = self.ticket_windows
        return (
            percent(counts["training_gaps"], counts["intake"]),
            percent(counts["previous_training_gaps"], counts["previous_intake"]),
        )

    def _kpi_training_gap_trend(self, kpi, threshold):
        last, before = self.training_gap_shares()
        value = None if last is None or before is None else last - before
        rows = [
            Row("How-to share, last 7 days", last, unit="%"),
            Row("How-to share, the 7 days before", before, unit="%"),
        ]
        sparkline = [self.rolling_share("intake_training_gaps", "intake", d) for d in self.dates]
        note = "" if value is not None else "Needs tickets in both of the last two weeks."
        return value, sparkline, rows, note

    def _kpi_resolution_cycle_time(self, kpi, threshold):
        latest = self.latest
        rows = []
        if latest:
            rows = [
                Row("90th percentile", latest.cycle_time_p90_hours),
                Row("Tickets resolved, last 7 days", latest.cycle_time_sample, unit="tickets"),
            ]
        value = latest.cycle_time_median_hours if latest else None
        note = "" if value is not None else "No ticket resolved in the last 7 days."
        return value, self.snapshot_line(lambda s: s.cycle_time_median_hours), rows, note

    def _tier_kpi(self, tier: str, threshold: Threshold):
        latest = self.latest
        shares = tier_shares(latest) if latest else {}
        rows = []
        if latest:
            resolved = sum(latest.resolved_by_tier.get(t, 0) for t in TIERS)
            rows = [
                Row(
                    f"Resolved at Tier {tier}",
                    latest.resolved_by_tier.get(tier, 0),
                    detail=f"of {resolved} resolved",
                    unit="tickets",
                )
            ]
        note = "" if shares.get(tier) is not None else "No ticket resolved yet."
        return shares.get(tier), self.snapshot_line(lambda s: tier_shares(s)[tier]), rows, note

    def _kpi_tier1_share(self, kpi, threshold):
        return self._tier_kpi("1", threshold)

    def _kpi_tier2_share(self, kpi, threshold):
        return self._tier_kpi("2", threshold)

    def _kpi_tier3_share(self, kpi, threshold):
        return self._tier_kpi("3", threshold)

    def _kpi_sla_resolution_compliance(self, kpi, threshold):
        window = self.kpi_window
        compliance = selectors.resolution_sla_compliance(self.programme, window)
        by_severity = selectors.resolution_sla_compliance_by(self.programme, window, by="severity")
        rows = []
        for severity in Severity:
            figure = by_severity.get(severity.value)
            if figure is None:
                continue
            rows.append(
                Row(
                    f"Sev{severity.value} resolution",
                    figure.percent,
                    threshold.evaluate(figure.percent),
                    f"{figure.met} met, {figure.breached} breached",
                )
            )
        latest = self.latest
        if latest is not None:
            response = sla_compliance(latest, "response")
            rows.append(Row("Response, since go-live", response, detail="first answer within its target"))
        note = (
            "" if compliance.percent is not None else "No resolution target was met or missed in the window."
        )
        sparkline = [self.rolling_share("sla_resolution_met", "sla_resolution_judged", d) for d in self.dates]
        return compliance.percent, sparkline, rows, note

    def _kpi_bau_share(self, kpi, threshold):
        share = selectors.bau_share(self.programme, self.kpi_window)
        sparkline = [self.rolling_share("intake_bau", "intake_desk", d) for d in self.dates]
        rows = [
            Row("Reported and reached the desk", share.whole, unit="tickets"),
            Row("Handled by BAU", share.part, unit="tickets"),
        ]
        note = "" if share.whole else "No ticket reported in the window reached the desk."
        return share.percent, sparkline, rows, note

    # Training-gap detector ---------------------------------------------------------------

    def findings(self) -> list[Finding]:
        """Business units and processes where how-to tickets, cycle times or adoption stand out."""
        found: dict[tuple[str, str], Finding] = {}

        def add(kind: str, name: str, evidence: str) -> None:
            found.setdefault((kind, name.lower()), Finding(kind, name)).evidence.append(evidence)

        for column in ("business_unit", "process"):
            totals: dict[str, list[int]] = {}
            for group in self.ticket_groups:
                if group[column] and group["fortnight"]:
                    counts = totals.setdefault(group[column], [0, 0])
                    counts[0] += group["fortnight"]
                    counts[1] += group["fortnight_how_to"]
            overall = percent(sum(c[1] for c in totals.values()), sum(c[0] for c in totals.values())) or 0
            for name, (total, how_to) in sorted(totals.items(), key=lambda item: -item[1][1]):
                share = percent(how_to, total)
                if how_to >= DETECTOR_MIN_HOW_TO and share >= overall + DETECTOR_MARGIN_POINTS:
                    add(
                        column,
                        name,
                        f"{how_to} of {total} tickets in the last {DETECTOR_DAYS} days are "
                        f"how-to questions ({share:.0f}% against {overall:.0f}% programme-wide).",
                    )
        for row in self.result("cycle_time_vs_baseline").rows:
            if row.status == Rag.RED:
                add(
                    "process",
                    row.label,
                    f"Cycle time {row.value:.0f}% above the legacy baseline ({row.detail}).",
                )
        for row in self.result("dau_wau_ratio").rows:
            if row.status == Rag.RED and row.detail == "business unit":
                add(
                    "business_unit",
                    row.label,
                    f"DAU/WAU ratio {row.value:.0f}%: people log in only when they must.",
                )
        return sorted(found.values(), key=lambda f: (f.kind, -len(f.evidence), f.name.lower()))


def scorecard_evaluate(*, programme: Programme, at: datetime | None = None) -> ProgrammeMetrics:
    """The programme's scorecard as of `at`: `.areas()` lists every KPI with value, status and threshold."""
    return ProgrammeMetrics(programme, at=at)


def kpi_result(*, programme: Programme, kpi: str, at: datetime | None = None) -> KpiResult:
    """One KPI of the scorecard (value, status, threshold) as of `at`."""
    return ProgrammeMetrics(programme, at=at).result(kpi)
