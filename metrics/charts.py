"""Chart data for the scorecard, rendered as server-side SVG and as CSV from the same numbers.

The SVG carries no style attributes (the Content-Security-Policy forbids them): colours and line
widths come from classes in static/css/metrics.css, so charts also print and suit a projector.
Every text that can come from a user (business units, processes, series names) is escaped.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from metrics import selectors
from metrics.kpis import KPI_BY_SLUG, Direction
from metrics.scorecard import ProgrammeMetrics, _baseline_dimension
from metrics.snapshots import TIERS, tier_shares

PALETTE_SIZE = 8


@dataclass
class Line:
    name: str
    values: list[float | None]
    bar: bool = False


@dataclass
class Reference:
    label: str
    value: float
    css: str = "ref"


@dataclass
class Chart:
    slug: str
    title: str
    unit: str
    dates: list[date]
    lines: list[Line]
    references: list[Reference] = field(default_factory=list)
    zero_based: bool = True
    note: str = ""

    @property
    def has_data(self) -> bool:
        return any(v is not None for line in self.lines for v in line.values)


def _threshold_references(metrics: ProgrammeMetrics, kpi_slug: str) -> list[Reference]:
    kpi = KPI_BY_SLUG[kpi_slug]
    threshold = metrics.threshold(kpi)
    if threshold.direction == Direction.BAND:
        return []
    return [Reference("green", threshold.green, "ref-green"), Reference("red", threshold.red, "ref-red")]


def _telemetry_chart(slug, title, unit, kpi, values, *, bar=False, zero_based=True):
    def build(metrics: ProgrammeMetrics) -> Chart:
        return Chart(
            slug,
            title,
            unit,
            metrics.dates,
            [Line(title, values(metrics), bar=bar)],
            _threshold_references(metrics, kpi),
            zero_based=zero_based,
        )

    return build


def _dau_wau(metrics: ProgrammeMetrics) -> Chart:
    lines = [Line("All users", [metrics.dau_wau(days=metrics.trailing(d)) for d in metrics.dates])]
    for key in metrics.keys("daily_active_users", "business_unit"):
        lines.append(
            Line(key, [metrics.dau_wau(key, "business_unit", metrics.trailing(d)) for d in metrics.dates])
        )
    return Chart(
        "dau_wau_ratio", "DAU/WAU ratio by business unit, rolling 7 days", "%", metrics.dates, lines,
        _threshold_references(metrics, "dau_wau_ratio"),
    )  # fmt: skip


def _against_baseline(slug: str, series_slug: str, title: str, kpi: str, sign: int):
    def build(metrics: ProgrammeMetrics) -> Chart:
        series = metrics.series.get(series_slug)
        lines = []
        for baseline in metrics.baselines:
            if series is None or baseline.series_id != series.pk:
                continue
            by, key = _baseline_dimension(baseline)
            line = metrics.line(series_slug, key, by)
            lines.append(
                Line(
                    baseline.dimension_label,
                    [100 * line[d] / baseline.value if d in line else None for d in metrics.dates],
                )
            )
        red = metrics.threshold(KPI_BY_SLUG[kpi]).red
        references = [Reference("baseline", 100, "ref-target"), Reference("red", 100 + sign * red, "ref-red")]
        note = "" if lines else "No baseline yet."
        return Chart(slug, title, "% of baseline", metrics.dates, lines, references, note=note)

    return build


def _burn_up(metrics: ProgrammeMetrics) -> Chart:
    return Chart(
        "burn_up",
        "Burn-up: tickets reported and closed, cumulative",
        "tickets",
        metrics.dates,
        [
            Line("Reported (cumulative)", metrics.snapshot_line(lambda s: s.cumulative_intake)),
            Line("Closed (cumulative)", metrics.snapshot_line(lambda s: s.cumulative_closures)),
        ],
    )


def _intake_closures(metrics: ProgrammeMetrics) -> Chart:
    return Chart(
        "intake_closures",
        "Tickets reported and closed per day",
        "tickets",
        metrics.dates,
        [
            Line("Reported", metrics.snapshot_line(lambda s: s.intake), bar=True),
            Line("Closed", metrics.snapshot_line(lambda s: s.closures), bar=True),
        ],
    )


def _defect_training_mix(metrics: ProgrammeMetrics) -> Chart:
    return Chart(
        "defect_training_mix",
        "Defects and training gaps reported per day",
        "tickets",
        metrics.dates,
        [
            Line("Defects", metrics.snapshot_line(lambda s: s.intake_defects), bar=True),
            Line("Training gaps (how-to)", metrics.snapshot_line(lambda s: s.intake_training_gaps), bar=True),
            Line(
                "How-to share, 7 days (%)",
                [metrics.rolling_share("intake_training_gaps", "intake", d) for d in metrics.dates],
            ),
        ],
    )


def _resolution_cycle_time(metrics: ProgrammeMetrics) -> Chart:
    return Chart(
        "resolution_cycle_time",
        "Resolution cycle time, tickets resolved in the last 7 days",
        "hours",
        metrics.dates,
        [
            Line("Median", metrics.snapshot_line(lambda s: s.cycle_time_median_hours)),
            Line("90th percentile", metrics.snapshot_line(lambda s: s.cycle_time_p90_hours)),
        ],
        _threshold_references(metrics, "resolution_cycle_time"),
    )


def _tier_shares(metrics: ProgrammeMetrics) -> Chart:
    lines = [
        Line(f"Tier {tier}", metrics.snapshot_line(lambda s, t=tier: tier_shares(s)[t])) for tier in TIERS
    ]
    references = []
    for tier in TIERS:
        threshold = metrics.threshold(KPI_BY_SLUG[f"tier{tier}_share"])
        references.append(Reference(f"Tier {tier} target from", threshold.green, f"ref-s{int(tier) - 1}"))
    return Chart(
        "tier_shares", "Share of resolved tickets by resolving tier (cumulative)", "%", metrics.dates, lines,
        references, note="Targets: Tier 1 45–55%, Tier 2 30–35%, Tier 3 15–20% (editable under Thresholds).",
    )  # fmt: skip


def _sla_compliance(metrics: ProgrammeMetrics) -> Chart:
    lines = [
        Line(
            "Resolution SLA met, 7 days",
            [metrics.rolling_share("sla_resolution_met", "sla_resolution_judged", d) for d in metrics.dates],
        ),
        Line("Judged that day", metrics.snapshot_line(lambda s: s.sla_resolution_judged), bar=True),
    ]
    return Chart(
        "sla_compliance", "Resolution SLA met, rolling 7 days", "%", metrics.dates, lines,
        _threshold_references(metrics, "sla_resolution_compliance"),
        note="Of the tickets resolved, or still open past their resolution due instant, in the 7 days "
        "ending each day: the share resolved by their due instant. The bars count the tickets judged each day.",
    )  # fmt: skip


def _bau_share(metrics: ProgrammeMetrics) -> Chart:
    return Chart(
        "bau_share",
        "BAU share of tickets reported, rolling 7 days",
        "%",
        metrics.dates,
        [Line("BAU share", [metrics.rolling_share("intake_bau", "intake_desk", d) for d in metrics.dates])],
        _threshold_references(metrics, "bau_share"),
        note="Of the tickets reported in the 7 days ending each day that reached the desk (all but those "
        "resolved at Tier 1), the share whose handling team is BAU; unassigned tickets count in the whole.",
    )


CHARTS: dict[str, Callable[[ProgrammeMetrics], Chart]] = {
    "exception_rate": _telemetry_chart(
        "exception_rate", "Exception rate", "%", "exception_rate",
        lambda m: m.ratio_line(selectors.exception_rate),
    ),
    "integration_success_rate": _telemetry_chart(
        "integration_success_rate", "Integration success rate", "%", "integration_success_rate",
        lambda m: m.ratio_line(selectors.integration_success), zero_based=False,
    ),
    "governor_limit_alerts": _telemetry_chart(
        "governor_limit_alerts", "Governor-limit alerts per day", "alerts", "governor_limit_alerts",
        lambda m: [m.line("governor_limit_alerts").get(d) for d in m.dates], bar=True,
    ),
    "lock_contentions": _telemetry_chart(
        "lock_contentions", "Lock contentions per day", "contentions", "lock_contentions",
        lambda m: [m.line("lock_contentions").get(d) for d in m.dates], bar=True,
    ),
    "dau_wau_ratio": _dau_wau,
    "record_creation": _against_baseline(
        "record_creation", "records_created", "Records created, % of legacy baseline", "record_creation_vs_baseline", -1
    ),
    "cycle_time": _against_baseline(
        "cycle_time", "cycle_time_minutes", "Process cycle time, % of legacy baseline", "cycle_time_vs_baseline", +1
    ),
    "burn_up": _burn_up,
    "intake_closures": _intake_closures,
    "defect_training_mix": _defect_training_mix,
    "resolution_cycle_time": _resolution_cycle_time,
    "tier_shares": _tier_shares,
    "sla_compliance": _sla_compliance,
    "bau_share": _bau_share,
}  # fmt: skip

# The charts of the service-queue area, shown in full on the scorecard page.
QUEUE_CHARTS = ["burn_up", "intake_closures", "defect_training_mix", "resolution_cycle_time", "tier_shares"]


def charts_for_kpi(kpi_slug: str) -> list[str]:
    chart = KPI_BY_SLUG[kpi_slug].chart
    return ["burn_up", "intake_closures"] if kpi_slug == "closure_ratio" else [chart]


def build_chart(metrics: ProgrammeMetrics, slug: str) -> Chart:
    return CHARTS[slug](metrics)


# CSV -----------------------------------------------------------------------------------------


def _csv_text(value: str) -> str:
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{round(value, 4):g}" if abs(value) < 1e15 else str(value)


def _with_unit(name: str, unit: str) -> str:
    """A column header with the chart's unit, unless the line names its own: "How-to share (%)",
    not "How-to share (%) (tickets)"."""
    return name if not unit or name.rstrip().endswith(("(%)", f"({unit})")) else f"{name} ({unit})"


def chart_csv(chart: Chart) -> str:
    """The chart's data: one row per date, one column per line, then the reference values."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["date"] + [_with_unit(line.name, chart.unit) for line in chart.lines]
    header += [_with_unit(ref.label, chart.unit) for ref in chart.references]
    writer.writerow([_csv_text(cell) for cell in header])
    for index, day in enumerate(chart.dates):
        row = [day.isoformat()] + [_csv_number(line.values[index]) for line in chart.lines]
        row += [_csv_number(ref.value) for ref in chart.references]
        writer.writerow(row)
    return out.getvalue()


# SVG -----------------------------------------------------------------------------------------

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 28, 36


def _nice_step(span: float, ticks: int = 4) -> float:
    if span <= 0:
        return 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _scale(values: list[float], zero_based: bool) -> tuple[float, float, float]:
    low, high = min(values), max(values)
    if zero_based:
        low = min(low, 0)
    if high == low:
        high = low + (1 if low == 0 else abs(low) * 0.1)
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    return low, high, step


def _number(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}" if value == int(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def _coordinate(value: float) -> str:
    return f"{value:.1f}"


def render_svg(chart: Chart, *, chart_id: str) -> SafeString:
    """The chart as an inline <svg> with a title, axes, gridlines, reference lines and a legend list."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    values = [v for line in chart.lines for v in line.values if v is not None]
    title = format_html('<title id="{}-title">{}</title>', chart_id, chart.title)
    if not values:
        body = format_html(
            '<rect class="frame" x="{}" y="{}" width="{}" height="{}"></rect>'
            '<text class="empty-text" x="{}" y="{}" text-anchor="middle">No data yet</text>',
            LEFT, TOP, plot_w, plot_h, LEFT + plot_w // 2, TOP + plot_h // 2,
        )  # fmt: skip
        return _svg(chart, chart_id, title + body)
    low, high, step = _scale(values + [ref.value for ref in chart.references], chart.zero_based)
    count = len(chart.dates)
    band = plot_w / max(count, 1)

    def x(index: int) -> float:
        return LEFT + band * (index + 0.5)

    def y(value: float) -> float:
        return TOP + plot_h - (value - low) / (high - low) * plot_h

    parts = []
    tick = low
    while tick <= high + step / 1000:
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
                '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                LEFT + plot_w,
                _coordinate(y(tick)),
                _coordinate(y(tick)),
                LEFT - 6,
                _coordinate(y(tick) + 4),
                _number(tick),
            )  # fmt: skip
        )
        tick += step
    every = max(1, math.ceil(count / 7))
    for index, day in enumerate(chart.dates):
        if (count - 1 - index) % every == 0:
            parts.append(
                format_html(
                    '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                    _coordinate(x(index)),
                    HEIGHT - BOTTOM + 18,
                    day.strftime("%-d %b"),
                )  # fmt: skip
            )
    bars = [(n, line) for n, line in enumerate(chart.lines) if line.bar]
    for slot, (n, line) in enumerate(bars):
        width = band * 0.8 / len(bars)
        for index, value in enumerate(line.values):
            if value is None:
                continue
            top, base = y(max(value, low)), y(max(low, 0) if low <= 0 <= high else low)
            parts.append(
                format_html(
                    '<rect class="bar s{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {} {}</title></rect>',
                    n % PALETTE_SIZE,
                    _coordinate(x(index) - band * 0.4 + slot * width),
                    _coordinate(min(top, base)),
                    _coordinate(max(width - 1, 1)),
                    _coordinate(abs(base - top)),
                    day_label(chart.dates[index]),
                    _number(value),
                    chart.unit,
                )  # fmt: skip
            )
    for n, line in enumerate(chart.lines):
        if line.bar:
            continue
        path, pen_down = [], False
        for index, value in enumerate(line.values):
            if value is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{_coordinate(x(index))} {_coordinate(y(value))}")
            pen_down = True
        if path:
            parts.append(
                format_html('<path class="line s{}" d="{}"></path>', n % PALETTE_SIZE, " ".join(path))
            )
        for index, value in enumerate(line.values):
            if value is not None:
                parts.append(
                    format_html(
                        '<circle class="dot s{}" cx="{}" cy="{}" r="3"><title>{} {}: {} {}</title></circle>',
                        n % PALETTE_SIZE,
                        _coordinate(x(index)),
                        _coordinate(y(value)),
                        line.name,
                        day_label(chart.dates[index]),
                        _number(value),
                        chart.unit,
                    )  # fmt: skip
                )
    for ref in chart.references:
        if low <= ref.value <= high:
            parts.append(
                format_html(
                    '<line class="{}" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
                    '<text class="ref-label" x="{}" y="{}" text-anchor="end">{} {}</text>',
                    ref.css,
                    LEFT,
                    LEFT + plot_w,
                    _coordinate(y(ref.value)),
                    _coordinate(y(ref.value)),
                    LEFT + plot_w - 2,
                    _coordinate(y(ref.value) - 4),
                    ref.label,
                    _number(ref.value),
                )  # fmt: skip
            )
    axes = format_html(
        '<line class="axis-line" x1="{}" x2="{}" y1="{}" y2="{}"></line>'
        '<text class="axis unit" x="{}" y="{}">{}</text>',
        LEFT, LEFT + plot_w, TOP + plot_h, TOP + plot_h, 4, 14, chart.unit,
    )  # fmt: skip
    return _svg(chart, chart_id, title + axes + mark_safe("".join(parts)))


def day_label(day: date) -> str:
    return day.strftime("%a %-d %b")


def _svg(chart: Chart, chart_id: str, inner: SafeString) -> SafeString:
    legend = format_html_join(
        "",
        '<li><span class="swatch s{}{}"></span>{}</li>',
        ((n % PALETTE_SIZE, " bar" if line.bar else "", line.name) for n, line in enumerate(chart.lines)),
    )
    return format_html(
        '<figure class="chart" id="{}"><svg class="chart-svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-title" preserveAspectRatio="xMidYMid meet">{}</svg>'
        '<figcaption><ul class="legend">{}</ul>{}</figcaption></figure>',
        chart_id, WIDTH, HEIGHT, chart_id, inner, legend,
        format_html('<p class="help">{}</p>', chart.note) if chart.note else "",
    )  # fmt: skip


SPARK_W, SPARK_H = 120, 32


def render_sparkline(values: list[float | None], *, status: str, label: str) -> SafeString:
    """A small trend line of the KPI over the range, the last point marked; aria-label says what it is."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return format_html(
            '<svg class="spark spark-{}" viewBox="0 0 {} {}" role="img" aria-label="{}: no data">'
            '<line class="spark-none" x1="2" x2="{}" y1="{}" y2="{}"></line></svg>',
            status, SPARK_W, SPARK_H, label, SPARK_W - 2, SPARK_H // 2, SPARK_H // 2,
        )  # fmt: skip
    low = min(v for _, v in points)
    high = max(v for _, v in points)
    span = (high - low) or 1
    count = max(len(values) - 1, 1)

    def xy(i, v):
        return (2 + (SPARK_W - 4) * i / count, SPARK_H - 3 - (SPARK_H - 6) * (v - low) / span)

    path, previous = [], None
    for i, v in points:
        px, py = xy(i, v)
        path.append(f"{'L' if previous == i - 1 else 'M'}{px:.1f} {py:.1f}")
        previous = i
    last_x, last_y = xy(*points[-1])
    return format_html(
        '<svg class="spark spark-{}" viewBox="0 0 {} {}" role="img" aria-label="{}: trend over {} days">'
        '<path class="spark-line" d="{}"></path><circle class="spark-dot" cx="{}" cy="{}" r="2.5"></circle></svg>',
        status, SPARK_W, SPARK_H, label, len(values), " ".join(path), f"{last_x:.1f}", f"{last_y:.1f}",
    )  # fmt: skip
