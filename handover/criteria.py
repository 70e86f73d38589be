"""Evaluating the exit gate: every criterion measured from live data or from its attestation.

`gate_evaluate(programme=…, at=…)` returns a `Gate` with one `Result` per criterion. The
shared figures (ticket aggregates, daily intake, telemetry, pack progress) are computed once
per evaluation in a few set-based queries, so the dashboard costs the same number of queries
whatever the volume of tickets or data points.

Comparisons are exact: measured values are `Fraction`s and thresholds `Decimal`s, so
"exactly 80.0% BAU share" or "a slope exactly at the tolerance" land on the right side.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import Case, CharField, Count, Max, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from handover.models import (
    CriterionKind,
    CriterionStatus,
    ExitCriterion,
    HandoverItem,
    ItemStatus,
)
from hypercare.aggregates import cached_aggregate
from hypercare.calendar import DEFAULT_WORKING_HOURS, WorkingCalendar
from hypercare.compiled import CompiledQuery
from hypercare.models import BusinessCalendar, Programme
from hypercare.roles import Team
from hypercare.vocabulary import OPEN_STATUSES, Severity
from metrics.handling import Handling, HandlingDay, handling_by_day, rescues
from metrics.kpis import KPI_BY_GATE_CRITERION, threshold_for
from metrics.models import KpiThreshold
from metrics.selectors import (
    DEFAULT_DAYS,
    Compliance,
    TelemetryDays,
    Window,
    bau_share,
    bau_share_counts,
    count_text,
    exception_rate,
    governor_limit_alerts,
    integration_success,
    lock_contentions,
    resolution_sla_compliance,
    satisfaction,
    sla_compliance_counts,
    telemetry_days,
)
from metrics.snapshots import open_at
from tickets.models import Ticket

PASS, FAIL, NOT_MEASURABLE = CriterionStatus.PASS, CriterionStatus.FAIL, CriterionStatus.NOT_MEASURABLE

# (kind, title, threshold, window_days, why): the defaults every new programme starts with. The
# criteria that judge a scorecard figure have no threshold of their own: they read the KPI's green
# boundary (`KPI_BY_GATE_CRITERION`), and their window is the scorecard's.
DEFAULT_CRITERIA: list[tuple[str, str, str | None, int | None, str]] = [
    (CriterionKind.OPEN_SEV12, "Zero open Sev1 and Sev2 tickets", "0", None,
     "No critical or high-impact defect may still be open at exit. Leads may agree a stricter or looser variant: zero Sev1 and a cap on open Sev2."),
    (CriterionKind.NEW_SEV12, "No new Sev1/Sev2 tickets for 3 days", None, 3,
     "The flow of serious defects has stopped: three days without a new Sev1 or Sev2."),
    (CriterionKind.VOLUME_TREND, "Ticket volume stable or falling over 10 working days", "0", 10,
     "Demand on the desk has settled: ticket volume flat or falling over ten consecutive working days."),
    (CriterionKind.EXCEPTION_RATE, "Exception rate below 0.1% of transactions", None, DEFAULT_DAYS,
     "The platform runs cleanly: exceptions stay under 0.1% of transaction volume."),
    (CriterionKind.INTEGRATION_SUCCESS, "Integration success above 99.5%", None, DEFAULT_DAYS,
     "Integrations are dependable: more than 99.5% of integration calls succeed."),
    (CriterionKind.GOVERNOR_LIMIT_ALERTS, "Zero governor-limit alerts", None, DEFAULT_DAYS,
     "No platform limit is being hit: zero governor-limit alerts."),
    (CriterionKind.LOCK_CONTENTIONS, "Zero lock contentions", None, DEFAULT_DAYS,
     "Data volumes and jobs do not collide: zero database lock contentions."),
    (CriterionKind.BAU_COMANAGED, "BAU has co-managed the queue for 14 days", "14", None,
     "The support organisation that stays has worked the live queue alongside the project team for at least two weeks: "
     "on every working day, BAU staff handled at least a quarter of the tickets handled."),
    (CriterionKind.BAU_SHARE, "BAU handles at least 80% of incoming volume", None, DEFAULT_DAYS,
     "The BAU support team already carries the load: at least 80% of incoming tickets."),
    (CriterionKind.MONTH_END_CLOSE, "First month-end close happened in hypercare and was clean", None, None,
     "Month-end close is the first full-load test of the platform: hypercare must cover it, and it must go cleanly."),
    (CriterionKind.HANDOVER_PACK, "Handover pack complete", None, None,
     "Every document of the operational handover pack has been accepted by the BAU owner."),
    (CriterionKind.SLA_COMPLIANCE, "SLA compliance at or above 95%", None, DEFAULT_DAYS,
     "Tickets were resolved within their SLA targets; the threshold is the leads' choice."),
    (CriterionKind.BAU_RAN_QUEUE, "BAU ran the queue for 14 days, meeting the SLA targets", "80", 14,
     "The last phase of knowledge transfer, measured: BAU handled at least 80% of the tickets handled for two weeks, "
     "and BAU's own tickets met the SLA compliance threshold."),
    (CriterionKind.NO_RESCUE, "No project-team rescue for 14 days", "0", 14,
     "BAU handles new issues without the project team stepping in: no ticket moved from a BAU person to a project-team person."),
]  # fmt: skip
# Kinds a lead may add, not given to every programme: (kind, title, threshold, window days, why).
OPTIONAL_CRITERIA: list[tuple[str, str, str | None, int | None, str]] = [
    (CriterionKind.SATISFACTION, "Reporters rate resolutions at least 4 out of 5", "4", 14,
     "The people who raised issues are content with how they were resolved: their average rating of the "
     "resolutions they received, over enough ratings to mean something."),
]  # fmt: skip
# Fewer ratings than this in the window and the satisfaction criterion is not measurable: an
# average of three ratings says little about a programme.
MIN_RATINGS = 10
# The second boundary (`share_threshold`, percent) of the kinds that have one.
DEFAULT_SHARES: dict[str, str] = {CriterionKind.BAU_COMANAGED: "25"}

# Kinds that use a threshold and/or a window, and the units their values are in.
USES_THRESHOLD = frozenset(
    {
        CriterionKind.OPEN_SEV12,
        CriterionKind.VOLUME_TREND,
        CriterionKind.EXCEPTION_RATE,
        CriterionKind.INTEGRATION_SUCCESS,
        CriterionKind.GOVERNOR_LIMIT_ALERTS,
        CriterionKind.LOCK_CONTENTIONS,
        CriterionKind.BAU_COMANAGED,
        CriterionKind.BAU_SHARE,
        CriterionKind.SLA_COMPLIANCE,
        CriterionKind.BAU_RAN_QUEUE,
        CriterionKind.NO_RESCUE,
        CriterionKind.SATISFACTION,
    }
)
USES_SHARE = frozenset(DEFAULT_SHARES)
USES_WINDOW = frozenset(
    {
        CriterionKind.NEW_SEV12,
        CriterionKind.VOLUME_TREND,
        CriterionKind.EXCEPTION_RATE,
        CriterionKind.INTEGRATION_SUCCESS,
        CriterionKind.GOVERNOR_LIMIT_ALERTS,
        CriterionKind.LOCK_CONTENTIONS,
        CriterionKind.BAU_SHARE,
        CriterionKind.SLA_COMPLIANCE,
        CriterionKind.BAU_RAN_QUEUE,
        CriterionKind.NO_RESCUE,
        CriterionKind.SATISFACTION,
    }
)
DEFAULT_WINDOWS = {kind: window for kind, _, _, window, _ in DEFAULT_CRITERIA + OPTIONAL_CRITERIA}
DEFAULT_THRESHOLDS = {kind: threshold for kind, _, threshold, _, _ in DEFAULT_CRITERIA + OPTIONAL_CRITERIA}
# Working days of history the trend forecasts are fitted to (least squares).
BURN_DOWN_WORKING_DAYS = 10


@dataclass
class Result:
    """One criterion as measured at one instant."""

    criterion: ExitCriterion
    status: str
    value: float | None
    value_display: str
    threshold_display: str
    test: str
    detail: str = ""
    evidence_url: str = ""
    evidence_label: str = ""
    attestation: object = None
    forecast: date | None = None
    forecast_note: str = ""
    # What the measurement found, item by item (a failing day, a rescue): {"text": …, and its facts}.
    evidence_items: list[dict] = field(default_factory=list)
    # Parts of the measurement other reads reuse (the knowledge-transfer phase), not shown as such.
    facts: dict = field(default_factory=dict)
    # The days a figure criterion measured (the scorecard's window for the same figure).
    window: Window | None = None
    # The threshold in force (a figure criterion's is the scorecard KPI's green boundary).
    threshold: Decimal | None = None

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def status_label(self) -> str:
        return CriterionStatus(self.status).label

    def as_dict(self) -> dict:
        """The frozen form of this result (sign-off snapshots, the API)."""
        attestation = self.attestation
        return {
            "id": self.criterion.pk,
            "kind": self.criterion.kind,
            "title": self.criterion.title,
            "status": self.status,
            "value": self.value,
            "value_display": self.value_display,
            "threshold": None if self.threshold is None else f"{self.threshold:.4f}",
            "threshold_display": self.threshold_display,
            "window_days": self.criterion.window_days,
            "window": None if self.window is None else self.window.as_dict(),
            "share_threshold": None
            if self.criterion.share_threshold is None
            else str(self.criterion.share_threshold),
            "test": self.test,
            "detail": self.detail,
            "evidence_url": self.evidence_url,
            "evidence_items": self.evidence_items,
            "forecast": self.forecast.isoformat() if self.forecast else None,
            "forecast_note": self.forecast_note,
            "attestation": None
            if attestation is None
            else {
                "outcome": attestation.outcome,
                "by": attestation.by.get_username(),
                "by_name": attestation.by.get_full_name() or attestation.by.get_username(),
                "at": attestation.at.isoformat(),
                "note": attestation.note,
                "evidence_url": attestation.evidence_url,
                "evidence_file": attestation.evidence_name,
            },
        }


@dataclass
class Gate:
    """The whole exit gate at one instant."""

    programme: Programme
    at: datetime
    results: list[Result]
    context: EvaluationContext = field(repr=False)

    @property
    def green(self) -> bool:
        return bool(self.results) and all(result.passed for result in self.results)

    @property
    def failing(self) -> list[Result]:
        return [result for result in self.results if not result.passed]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(CriterionStatus.values, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    @cached_property
    def forecast(self) -> tuple[date | None, str]:
        """The date the gate turns green at the current rates, or None and why not."""
        if self.green:
            return self.context.today, "The gate is green now."
        if not self.results:
            return None, "There are no exit criteria."
        blockers = [r for r in self.failing if r.forecast is None]
        if blockers:
            names = "; ".join(f"{r.criterion.title} ({r.forecast_note})" for r in blockers)
            return None, f"No forecast: {names}."
        latest = max(r.forecast for r in self.failing)
        return latest, "The latest date any failing criterion is expected to pass at current rates."

    @property
    def forecast_after_planned_exit(self) -> bool:
        """The gate is forecast to turn green only after the programme's planned exit date."""
        forecast, _ = self.forecast
        return forecast is not None and forecast > self.programme.planned_exit_date

    @property
    def late_criteria(self) -> list[Result]:
        """Failing criteria forecast to pass only after the planned exit date."""
        planned = self.programme.planned_exit_date
        return [r for r in self.failing if r.forecast is not None and r.forecast > planned]

    def as_dict(self) -> dict:
        forecast, note = self.forecast
        return {
            "programme": self.programme.slug,
            "evaluated_at": self.at.isoformat(),
            "green": self.green,
            "forecast_green_on": forecast.isoformat() if forecast else None,
            "forecast_note": note,
            "planned_exit_date": self.programme.planned_exit_date.isoformat(),
            "forecast_after_planned_exit": self.forecast_after_planned_exit,
            "criteria": [result.as_dict() for result in self.results],
        }


def _url(name: str, args, query: dict | None = None, fallback: str = "") -> str:
    try:
        url = reverse(name, args=args)
    except NoReverseMatch:
        return fallback
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def _number(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    rounded = round(float(value), digits)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.{digits}f}".rstrip("0").rstrip(".")


def least_squares_slope(values: list[int]) -> Fraction:
    """Slope of the least-squares line through (0, v0), (1, v1), …, exact."""
    n = len(values)
    if n < 2:
        return Fraction(0)
    mean_x = Fraction(n - 1, 2)
    mean_y = Fraction(sum(values), n)
    numerator = sum((Fraction(x) - mean_x) * (Fraction(y) - mean_y) for x, y in enumerate(values))
    denominator = sum((Fraction(x) - mean_x) ** 2 for x in range(n))
    return numerator / denominator


def least_squares_line(points: list[tuple[int, Fraction]]) -> tuple[Fraction, Fraction]:
    """Slope and intercept of the least-squares line through the (x, y) points, exact."""
    n = len(points)
    mean_x = Fraction(sum(x for x, _ in points), n)
    mean_y = sum((Fraction(y) for _, y in points), Fraction(0)) / n
    denominator = sum((Fraction(x) - mean_x) ** 2 for x, _ in points)
    if not denominator:
        return Fraction(0), mean_y
    slope = sum((Fraction(x) - mean_x) * (Fraction(y) - mean_y) for x, y in points) / denominator
    return slope, mean_y - slope * mean_x


# A forecast further away than this says so instead of giving a date.
FORECAST_HORIZON_WORKING_DAYS = 260
FORECAST_HORIZON_DAYS = 366
# Days of history (at least) whose daily figures the trend forecasts are fitted to.
TREND_SPAN_DAYS = 14


def _forecast_ahead(result: Result, ctx: EvaluationContext, last: date, ahead: int) -> bool:
    """Set the forecast to the `ahead`-th working day after `last`; False (and no date) beyond the horizon."""
    if ahead > FORECAST_HORIZON_WORKING_DAYS:
        return False
    result.forecast = ctx.calendar.working_days_from(last + timedelta(days=1), max(1, ahead))[-1]
    return True


# How a forecast figure compares with its limit (a name, so a forecast can be cached by it).
PASSES: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "<": lambda value, limit: value < limit,
    ">": lambda value, limit: value > limit,
    ">=": lambda value, limit: value >= limit,
}


def _trend_forecast(
    result: Result,
    ctx: EvaluationContext,
    series: str,
    daily: Callable[[], dict[date, tuple[Fraction, Fraction]]],
    passes: tuple[str, Fraction],
    *,
    window_days: int,
    complete: bool,
    what: str,
) -> None:
    """Set the result's forecast from the trend of `series` (see `_extrapolate`), kept with the
    minute's aggregates: the daily figures and the calendar it reads are themselves a minute old
    at most, so the same minute gives the same date."""
    op, limit = passes
    result.forecast, result.forecast_note = cached_aggregate(
        "gate-forecast", ctx.programme.pk, series, op, limit, window_days, complete, at=ctx.at,
        compute=lambda: _extrapolate(
            ctx, daily(), lambda value: PASSES[op](value, limit),
            window_days=window_days, complete=complete, what=what,
        ),
    )  # fmt: skip


def _extrapolate(
    ctx: EvaluationContext,
    daily: dict[date, tuple[Fraction, Fraction]],
    passes: Callable[[Fraction], bool],
    *,
    window_days: int,
    complete: bool,
    what: str,
) -> tuple[date | None, str]:
    """Forecast a failing window figure (a share: Σ part ÷ Σ whole over the window's days) from the
    trend of its daily values.

    The least-squares line through the working days' daily percentages (`daily`: day -> (part, whole),
    days without a whole left out of the fit) is extended over the coming working days, each with the
    average daily whole; the forecast is the first day on which the figure over its window (the
    `window_days` days before it, or ending on it when not `complete`, as the criterion reads it)
    passes. Otherwise the note says why there is no date.
    """
    working = [day for day in sorted(daily) if ctx.calendar.is_working_day(day)]
    points = [
        (index, Fraction(daily[day][0]) * 100 / Fraction(daily[day][1]))
        for index, day in enumerate(working)
        if daily[day][1]
    ]
    if len(points) < 2:
        return None, f"fewer than two working days of {what} to fit a trend"
    slope, intercept = least_squares_line(points)
    wholes = [Fraction(daily[day][1]) for day in working if daily[day][1]]
    whole = sum(wholes) / len(wholes)
    trend = f"{what} {float(slope):+.3g} points a working day, least squares over {len(points)} working days"
    # The extrapolation runs in floats: the exact fractions of the fit grow huge denominators over a
    # year of days, and a forecast date does not need them (the measured figures stay exact).
    future: dict[date, tuple[float, float]] = {}
    index = len(working) - 1
    first_day = ctx.today
    slope_f, intercept_f, whole_f = float(slope), float(intercept), float(whole)
    for offset in range(FORECAST_HORIZON_DAYS + 1):
        day = first_day + timedelta(days=offset)
        if ctx.calendar.is_working_day(day):
            index += 1
            percent = min(100.0, max(0.0, intercept_f + slope_f * index))
            future[day] = (percent * whole_f / 100, whole_f)
    # Running sums over every day a window below can cover, so each window is one subtraction.
    span = window_days if complete else window_days - 1
    span_first = ctx.today + timedelta(days=1 - span)
    parts, wholes = [0.0], [0.0]
    for n in range(FORECAST_HORIZON_DAYS + span):
        day = span_first + timedelta(days=n)
        day_part, day_whole = future.get(day, (0, 0)) if day >= ctx.today else daily.get(day, (0, 0))
        parts.append(parts[-1] + float(day_part))
        wholes.append(wholes[-1] + float(day_whole))
    for offset in range(1, FORECAST_HORIZON_DAYS + 1):
        evaluated = ctx.today + timedelta(days=offset)
        # The window the criterion would read that day, of the days that are over by then:
        # from `evaluated - span` up to the day before `evaluated`.
        start, end = offset - 1, offset - 1 + span
        part, whole_sum = parts[end] - parts[start], wholes[end] - wholes[start]
        if whole_sum > 0 and passes(Fraction(part * 100 / whole_sum)):
            return evaluated, f"at the current trend ({trend})"
    return None, f"at the current trend ({trend}) it does not pass within a year"


class EvaluationContext:
    """Figures several criteria share, each computed once per evaluation."""

    def __init__(self, programme: Programme, at: datetime, criteria: list[ExitCriterion] | None = None):
        self.programme = programme
        self.at = at
        self.tz = ZoneInfo(programme.timezone)
        self.today = at.astimezone(self.tz).date()
        self.yesterday = self.today - timedelta(days=1)
        # The criteria being evaluated: a criterion reads another's threshold from here.
        self.criteria = criteria or []

    @cached_property
    def calendar(self) -> WorkingCalendar:
        """The programme's working days (hours and holidays): two queries, kept with the minute's
        aggregates (a calendar edit shows on the gate within the minute, as new tickets do)."""
        return cached_aggregate("gate-calendar", self.programme.pk, at=self.at, compute=self._calendar)

    def _calendar(self) -> WorkingCalendar:
        row = BusinessCalendar.objects.filter(programme=self.programme).prefetch_related("holidays").first()
        if row is None:
            return WorkingCalendar.build(
                timezone=self.programme.timezone, working_hours=DEFAULT_WORKING_HOURS
            )
        row.programme = self.programme
        return row.working_calendar

    @cached_property
    def backlog_days(self) -> list[date]:
        """The working days whose closing Sev1/Sev2 backlog the burn-down trend is fitted to."""
        return [
            day
            for day in self.calendar.working_days_until(self.yesterday, BURN_DOWN_WORKING_DAYS)
            if day >= self.programme.go_live_date
        ]

    def handling(self, first: date, last: date) -> Handling:
        """Tickets handled per day and team from `first` to `last`; criteria with the same window share it."""
        key = (first, last)
        if key not in self._handling:
            self._handling[key] = handling_by_day(self.programme, first, last, at=self.at)
        return self._handling[key]

    @cached_property
    def _handling(self) -> dict[tuple[date, date], Handling]:
        return {}

    @cached_property
    def trend_days(self) -> list[date]:
        """The complete days whose figures the trend forecasts read: at least two weeks, and the widest
        window of a criterion with a trend."""
        widest = max([TREND_SPAN_DAYS, *(_window(c) for c in self.criteria if c.kind in TRENDS)])
        first = max(self.programme.go_live_date, self.today - timedelta(days=widest))
        return [first + timedelta(days=n) for n in range((self.yesterday - first).days + 1)]

    @cached_property
    def trend_day_figures(self) -> dict[str, dict[date, tuple[float, float]]]:
        """Per figure with a trend, each trend day's (part, whole) as the metric selectors define the
        figure over that one day: telemetry read with the telemetry criteria, and one ticket query."""
        days = self.trend_days
        if not days:
            return {}
        windows = {day: Window.day(self.programme, day, at=self.at) for day in days}
        start = self.day_start(days[0])
        lines = self.telemetry(Window.between(self.programme, days[0], days[-1], at=self.at))

        def compute() -> dict:
            # Built only on a cache miss: a few conditional counts per day, in one query.
            counts = {}
            for index, window in enumerate(windows.values()):
                counts |= bau_share_counts(window, prefix=f"d{index}_")
                counts |= sla_compliance_counts(window, prefix=f"d{index}_sla_")
            # Only tickets reported, resolved or due in the span can count on one of its days.
            return (
                Ticket.objects.filter(programme=self.programme)
                .filter(
                    Q(reported_at__gte=start) | Q(resolved_at__gte=start) | Q(resolution_due_at__gte=start)
                )
                .aggregate(**counts)
            )

        figures = cached_aggregate(
            "gate-trend-days", self.programme.pk, days[0], days[-1], at=self.at, compute=compute
        )
        out: dict[str, dict[date, tuple[float, float]]] = {
            "exception_rate": {},
            "integration_success": {},
            "bau_share": {},
            "sla_compliance": {},
        }
        for index, (day, window) in enumerate(windows.items()):
            rate = exception_rate(self.programme, window, lines=lines)
            calls = integration_success(self.programme, window, lines=lines)
            out["exception_rate"][day] = (rate.part, rate.whole)
            out["integration_success"][day] = (calls.part, calls.whole)
            out["bau_share"][day] = (figures[f"d{index}_bau"], figures[f"d{index}_desk"])
            out["sla_compliance"][day] = (figures[f"d{index}_sla_met"], figures[f"d{index}_sla_judged"])
        return out

    def bau_sla(self, first: date, last: date) -> Compliance:
        """Resolution SLA compliance of the tickets whose handling team is BAU, over the local days."""
        window = Window.between(self.programme, first, last, at=self.at)
        return resolution_sla_compliance(self.programme, window, team=Team.BAU)

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.tz)

    @property
    def go_live_start(self) -> datetime:
        return self.day_start(self.programme.go_live_date)

    @cached_property
    def tickets(self):
        return Ticket.objects.filter(programme=self.programme, reported_at__lte=self.at)

    @cached_property
    def ticket_figures(self) -> dict:
        """Open Sev1/Sev2, the newest Sev1/Sev2, the BAU team's first ticket, and 7-day rates: one query."""
        open_q = Q(status__in=OPEN_STATUSES)
        week_ago = self.at - timedelta(days=7)
        high = Q(severity__lte=Severity.SEV2)
        return cached_aggregate(
            "gate-tickets",
            self.programme.pk,
            at=self.at,
            compute=lambda: self._ticket_figures(open_q, week_ago, high),
        )

    def _ticket_figures(self, open_q, week_ago, high) -> dict:
        return self.tickets.aggregate(
            open_sev1=Count("pk", filter=open_q & Q(severity=Severity.SEV1)),
            open_sev2=Count("pk", filter=open_q & Q(severity=Severity.SEV2)),
            open_total=Count("pk", filter=open_q),
            last_high=Max("reported_at", filter=high),
            first_bau=Min("reported_at", filter=Q(team=Team.BAU)),
            high_in_week=Count("pk", filter=high & Q(reported_at__gt=week_ago)),
            high_done_in_week=Count(
                "pk", filter=high & Q(resolved_at__gt=week_ago, resolved_at__lte=self.at)
            ),
            in_week=Count("pk", filter=Q(reported_at__gt=week_ago)),
            done_in_week=Count("pk", filter=Q(resolved_at__gt=week_ago, resolved_at__lte=self.at)),
        )

    @cached_property
    def backlog_figures(self) -> dict:
        """Open Sev1 and open Sev2 at the close of each burn-down day: one query, over the Sev1/Sev2
        tickets not yet done when the first of those days began."""
        days = self.backlog_days
        if not days:
            return {}
        since = self.day_start(days[0])
        return cached_aggregate(
            "gate-backlog",
            self.programme.pk,
            days[0],
            days[-1],
            at=self.at,
            compute=lambda: (
                self.tickets.filter(severity__lte=Severity.SEV2)
                .filter(open_at(since))
                .aggregate(**self._backlog_columns())
            ),
        )

    def _backlog_columns(self) -> dict:
        """Open Sev1 and open Sev2 at the close of each burn-down day (`sev1_d<i>`, `sev2_d<i>`)."""
        columns = {}
        for index, day in enumerate(self.backlog_days):
            close = self.day_start(day + timedelta(days=1))
            still_open = Q(reported_at__lt=close) & open_at(close)
            for severity in (Severity.SEV1, Severity.SEV2):
                columns[f"sev{severity}_d{index}"] = Count("pk", filter=still_open & Q(severity=severity))
        return columns

    def backlog(self, cap: int) -> list[int]:
        """Per burn-down day, the Sev1/Sev2 tickets over the limit at its close: every open Sev1 and the
        open Sev2 beyond `cap`."""
        figures = self.backlog_figures
        return [
            figures[f"sev1_d{i}"] + max(0, figures[f"sev2_d{i}"] - cap) for i in range(len(self.backlog_days))
        ]

    def daily_intake(self, first: date, last: date) -> list[int]:
        """New tickets per local day from `first` to `last` inclusive, zero-filled."""
        return cached_aggregate(
            "gate-intake",
            self.programme.pk,
            first,
            last,
            at=self.at,
            compute=lambda: self._daily_intake(first, last),
        )

    @staticmethod
    def daily_days(first: date, last: date) -> list[date]:
        """The local days `daily_intake` counts, in its order."""
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def _daily_intake(self, first: date, last: date) -> list[int]:
        rows = (
            Ticket.objects.filter(
                programme=self.programme,
                reported_at__gte=self.day_start(first),
                reported_at__lt=self.day_start(last + timedelta(days=1)),
            )
            .annotate(day=TruncDate("reported_at", tzinfo=self.tz))
            .order_by()
            .values("day")
            .annotate(n=Count("pk"))
        )
        counts = {row["day"]: row["n"] for row in rows}
        return [counts.get(first + timedelta(days=i), 0) for i in range((last - first).days + 1)]

    def window(self, days: int) -> Window:
        """The `days` local days ending today: a figure criterion's window, the scorecard's too."""
        return Window.ending(self.programme, days=days, at=self.at)

    def telemetry(self, window: Window) -> TelemetryDays:
        """Daily telemetry totals covering `window`: one read serves every window within the span."""
        if window.first >= self.today - timedelta(days=self.telemetry_span - 1) and window.last <= self.today:
            return self._telemetry_lines
        return telemetry_days(self.programme, window)

    # Days of telemetry read at once, ending today; gate_evaluate widens it to the widest criterion window.
    telemetry_span = 31

    @cached_property
    def _telemetry_lines(self) -> TelemetryDays:
        return telemetry_days(self.programme, self.window(self.telemetry_span))

    @cached_property
    def kpi_overrides(self) -> dict:
        """The programme's own scorecard thresholds: the figure criteria read their green boundary."""
        return kpi_overrides(self.programme)

    @cached_property
    def pack(self) -> dict:
        """The handover pack's progress: one query."""
        rows = _pack_figures(programme_id=self.programme.pk)
        figures = dict(rows[0]) if rows else dict.fromkeys(("total", *ItemStatus.values, "undated"), 0)
        figures.pop("programme_id", None)
        figures.setdefault("last_due", None)
        figures["percent"] = round(100 * figures["accepted"] / figures["total"]) if figures["total"] else 0
        return figures


# ---------------------------------------------------------------------------------------------
# One evaluator per kind


# The gate's two queries of its own, compiled once per process (building them costs more than running them).
_pack_figures = CompiledQuery(
    lambda programme_id: (
        HandoverItem.objects.filter(programme_id=programme_id)
        .order_by()
        .values("programme_id")
        .annotate(
            total=Count("pk"),
            **{status: Count("pk", filter=Q(status=status)) for status in ItemStatus.values},
            last_due=Max("due_date", filter=~Q(status=ItemStatus.ACCEPTED)),
            undated=Count("pk", filter=~Q(status=ItemStatus.ACCEPTED) & Q(due_date__isnull=True)),
        )
    ),
    programme_id=int,
)
_gate_criteria = CompiledQuery(
    lambda programme_id: with_kpi_green(
        ExitCriterion.objects.filter(programme_id=programme_id).with_latest_attestation()
    ),
    programme_id=int,
)


def kpi_overrides(programme) -> dict:
    return {row.kpi: row for row in KpiThreshold.objects.filter(programme=programme)}


def with_kpi_green(criteria):
    """Criteria annotated with the programme's own green boundary (`kpi_green`, None for the default)
    of the scorecard KPI whose figure they judge: the gate reads its thresholds in its criteria query."""
    kpi = Case(
        *(When(kind=kind, then=Value(definition.slug)) for kind, definition in KPI_BY_GATE_CRITERION.items()),
        default=Value(""),
        output_field=CharField(),
    )
    green = KpiThreshold.objects.filter(programme=OuterRef("programme"), kpi=OuterRef("gate_kpi"))
    return criteria.annotate(gate_kpi=kpi, kpi_green=Subquery(green.values("green")[:1]))


def _threshold(criterion: ExitCriterion, ctx: EvaluationContext | None = None) -> Decimal:
    """The criterion's threshold. A criterion judging a scorecard figure reads the KPI's green boundary
    (metrics.kpis, or the programme's override): one home, so both screens judge alike."""
    kpi = KPI_BY_GATE_CRITERION.get(criterion.kind)
    if kpi is not None:
        if hasattr(criterion, "kpi_green"):
            green = kpi.threshold.green if criterion.kpi_green is None else criterion.kpi_green
            return Decimal(str(green))
        overrides = ctx.kpi_overrides if ctx is not None else kpi_overrides(criterion.programme_id)
        return Decimal(str(threshold_for(kpi, overrides).green))
    if criterion.threshold is not None:
        return Decimal(criterion.threshold)
    default = DEFAULT_THRESHOLDS.get(criterion.kind)
    return Decimal(default or "0")


def criterion_threshold(criterion: ExitCriterion) -> Decimal:
    """The threshold in force for a criterion: its own, or the scorecard KPI's green boundary."""
    return _threshold(criterion)


def criterion_thresholds(programme: Programme, criteria: list[ExitCriterion]) -> dict[int, Decimal]:
    """The threshold in force of each criterion that uses one (one query, for the scorecard's)."""
    context = EvaluationContext(programme, timezone.now(), criteria)
    return {c.pk: _threshold(c, context) for c in criteria if c.kind in USES_THRESHOLD}


def _window(criterion: ExitCriterion) -> int:
    return criterion.window_days or DEFAULT_WINDOWS.get(criterion.kind) or 7


def _tickets_url(programme, **query) -> str:
    """The ticket queue, filtered (every ticket of the programme, not one person's queue)."""
    fallback = _url("hypercare:programme", [programme.slug])
    return _url("tickets:queue", [programme.slug], {"view": "all", **query}, fallback=fallback)


def _chart_url(programme, kpi: str) -> str:
    """The metrics app's chart of one scorecard KPI (its evidence page)."""
    fallback = _url(
        "metrics:scorecard", [programme.slug], fallback=_url("handover:exit_gate", [programme.slug])
    )
    return _url("metrics:kpi", [programme.slug, kpi], fallback=fallback)


def _open_sev12(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    cap = int(_threshold(c))
    figures = ctx.ticket_figures
    sev1, sev2 = figures["open_sev1"], figures["open_sev2"]
    variant = "zero open Sev2" if cap == 0 else f"open Sev2 under an agreed cap of {cap}"
    threshold = "0 open Sev1 and 0 open Sev2" if cap == 0 else f"0 open Sev1 and at most {cap} open Sev2"
    status = PASS if sev1 == 0 and sev2 <= cap else FAIL
    result = Result(
        c,
        status,
        float(sev1 + sev2),
        f"{sev1} open Sev1, {sev2} open Sev2",
        threshold,
        f"Tickets of severity 1 or 2 in an open status (new, triaged, in progress, waiting on reporter) "
        f"are counted now: passes with no Sev1 and at most {cap} Sev2 ({variant}).",
        evidence_url=_tickets_url(ctx.programme, status="open", sort="severity"),
        evidence_label="Open Sev1/Sev2 tickets",
    )
    # Read whether or not it fails, so the gate costs the same queries whatever the data.
    days, backlog = ctx.backlog_days, ctx.backlog(cap)
    if status == FAIL:
        excess = sev1 + max(0, sev2 - cap)
        result.evidence_items = [
            {
                "date": day.isoformat(),
                "over_limit": n,
                "text": f"{_day_label(day)}: {n} over the limit at close",
            }
            for day, n in zip(days, backlog, strict=True)
        ]
        if len(backlog) < 2:
            result.forecast_note = "fewer than two working days of backlog to fit a trend"
            return result
        rate = -least_squares_slope(backlog)
        if rate > 0:
            pace = (
                f"burning down {float(rate):.1f} Sev1/Sev2 a working day (least squares over the last "
                f"{len(backlog)} working days)"
            )
            if _forecast_ahead(result, ctx, days[-1], math.ceil(Fraction(excess) / rate)):
                result.forecast_note = pace
            else:
                result.forecast_note = f"{pace}: more than a year to clear the backlog"
        else:
            result.forecast_note = (
                f"the Sev1/Sev2 backlog is not burning down over the last {len(backlog)} working days"
            )
    return result


def _new_sev12(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    days = _window(c)
    span = timedelta(days=days)
    since = ctx.at - span
    last = ctx.ticket_figures["last_high"]
    test = (
        f"No ticket of severity 1 or 2 reported in the {days * 24} hours before the evaluation "
        f"(reported after {timezone.localtime(since, ctx.tz):%d %b %Y %H:%M} {ctx.programme.timezone})."
    )
    threshold = f"0 new in the last {days} days"
    evidence = _tickets_url(ctx.programme, status="any", sort="severity")
    if ctx.at - ctx.go_live_start < span:
        return Result(
            c,
            NOT_MEASURABLE,
            None,
            "hypercare is younger than the window",
            threshold,
            test,
            evidence_url=evidence,
            evidence_label="Tickets by severity",
            forecast=(ctx.go_live_start + span).astimezone(ctx.tz).date(),
            forecast_note="the window has not elapsed since go-live",
        )
    recent = last is not None and last >= since
    value = ctx.at - last if last else None
    if last is None:
        shown = "none since go-live"
    else:
        hours = int(value.total_seconds() // 3600)
        shown = f"last one {hours} hours ago"
    result = Result(
        c,
        FAIL if recent else PASS,
        round(value.total_seconds() / 3600, 1) if value else None,
        shown,
        threshold,
        test,
        evidence_url=evidence,
        evidence_label="Tickets by severity",
    )
    if recent:
        result.forecast = (last + span).astimezone(ctx.tz).date()
        result.forecast_note = "if no new Sev1/Sev2 is reported"
    return result


def _volume_trend(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    days = _window(c)
    tolerance = _threshold(c)
    # Working days only: a weekend's or a holiday's empty days would otherwise pull the slope down.
    working = ctx.calendar.working_days_until(ctx.yesterday, days)
    first, last = working[0], working[-1]
    test = (
        f"Least-squares slope of the daily count of new tickets over the last {days} complete working days "
        f"of the programme's calendar ({first:%a %d %b} to {last:%a %d %b}, {ctx.programme.timezone}; weekends "
        f"and holidays are left out, a working day without tickets counts as 0) must be at most "
        f"{_number(tolerance, 3)} tickets per working day, per working day."
    )
    threshold = f"slope ≤ {_number(tolerance, 3)} tickets/day per working day"
    evidence = _tickets_url(ctx.programme, status="any", sort="-reported")
    if first < ctx.programme.go_live_date:
        ready = ctx.calendar.working_days_from(ctx.programme.go_live_date, days)[-1] + timedelta(days=1)
        return Result(
            c,
            NOT_MEASURABLE,
            None,
            f"fewer than {days} complete working days since go-live",
            threshold,
            test,
            evidence_url=evidence,
            evidence_label="Tickets, newest first",
            forecast=ready,
            forecast_note=f"{days} complete working days after go-live",
        )
    by_day = dict(zip(ctx.daily_days(first, last), ctx.daily_intake(first, last), strict=True))
    intake = [by_day[day] for day in working]
    slope = least_squares_slope(intake)
    result = Result(
        c,
        PASS if slope <= Fraction(tolerance) else FAIL,
        float(slope),
        f"slope {float(slope):+.3f} (working-day intake {', '.join(map(str, intake))})",
        threshold,
        test,
        evidence_url=evidence,
        evidence_label="Tickets, newest first",
        evidence_items=[
            {"date": day.isoformat(), "tickets": n, "text": f"{day:%a %d %b}: {n}"}
            for day, n in zip(working, intake, strict=True)
        ],
    )
    if result.status == FAIL:
        result.forecast_note = "intake is still rising: the trend of a slope is not extrapolated"
    return result


# The figure criteria below judge the scorecard's figures: each calls its selector in
# metrics.selectors over the N days ending today (the scorecard's window for N = 7) and compares it,
# exactly, with the KPI's green boundary.


def _figure_window(c: ExitCriterion, ctx: EvaluationContext) -> Window:
    return ctx.window(_window(c))


def _satisfaction(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    window = _figure_window(c, ctx)
    needed = _threshold(c, ctx)
    rated = satisfaction(ctx.programme, window)
    test = (
        f"Over the {window.label}, the average of the ratings (1 to 5) reporters gave the resolutions of their "
        f"tickets must be at least {_number(needed)}, over at least {MIN_RATINGS} ratings (the scorecard's "
        "satisfaction, by the day the rating was given)."
    )
    common = {
        "evidence_url": _url("metrics:scorecard", [ctx.programme.slug]),
        "evidence_label": "Scorecard: satisfaction",
        "window": window,
    }
    threshold = f"≥ {_number(needed)} / 5 over {MIN_RATINGS}+ ratings"
    average = rated.average
    if rated.ratings < MIN_RATINGS:
        return Result(
            c, NOT_MEASURABLE, float(average) if average is not None else None,
            f"{rated.text}: too few to judge", threshold, test,
            forecast_note=f"needs at least {MIN_RATINGS} ratings in the window", **common,
        )  # fmt: skip
    return Result(
        c, PASS if average >= Fraction(needed) else FAIL, float(average), rated.text, threshold, test, **common
    )  # fmt: skip


def _exception_rate(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    window = _figure_window(c, ctx)
    limit = _threshold(c, ctx)
    rate = exception_rate(ctx.programme, window, lines=ctx.telemetry(window))
    test = (
        f"Over the {window.label} (programme-local days, today so far included), the sum of the daily "
        f"'exceptions' totals divided by the sum of the daily 'transactions' totals, counting only the days "
        f"that have both, as a percentage, must be below {_number(limit, 3)}% (the scorecard's green boundary)."
    )
    threshold = f"< {_number(limit, 3)}% of transactions"
    evidence = _chart_url(ctx.programme, "exception_rate")
    if rate.exact is None:
        return Result(
            c, NOT_MEASURABLE, None, "no day with both exceptions and transactions in the window", threshold,
            test, evidence_url=evidence, evidence_label="Exceptions chart", forecast_note="no telemetry yet",
            window=window,
        )  # fmt: skip
    return Result(
        c,
        PASS if rate.exact < Fraction(limit) else FAIL,
        rate.percent,
        f"{rate.text} ({count_text(rate.part)} of {count_text(rate.whole)} transactions)",
        threshold,
        test,
        evidence_url=evidence,
        evidence_label="Exceptions chart",
        forecast_note="telemetry has no trend to extrapolate",
        window=window,
    )


def _integration_success(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    window = _figure_window(c, ctx)
    limit = _threshold(c, ctx)
    rate = integration_success(ctx.programme, window, lines=ctx.telemetry(window))
    test = (
        f"Over the {window.label} (programme-local days, today so far included), succeeded integration calls "
        f"divided by succeeded plus failed calls, as a percentage, must be above {_number(limit, 3)}% (the "
        "scorecard's green boundary)."
    )
    threshold = f"> {_number(limit, 3)}%"
    evidence = _chart_url(ctx.programme, "integration_success_rate")
    if rate.exact is None:
        return Result(
            c, NOT_MEASURABLE, None, "no integration data in the window", threshold, test,
            evidence_url=evidence, evidence_label="Integration chart", forecast_note="no telemetry yet",
            window=window,
        )  # fmt: skip
    return Result(
        c,
        PASS if rate.exact > Fraction(limit) else FAIL,
        rate.percent,
        f"{rate.text} ({count_text(rate.part)} ok, {count_text(rate.whole - rate.part)} failed)",
        threshold,
        test,
        evidence_url=evidence,
        evidence_label="Integration chart",
        forecast_note="telemetry has no trend to extrapolate",
        window=window,
    )


def _zero_count(slug: str, label: str) -> Callable[[ExitCriterion, EvaluationContext], Result]:
    selector = {"governor_limit_alerts": governor_limit_alerts, "lock_contentions": lock_contentions}[slug]

    def evaluate(c: ExitCriterion, ctx: EvaluationContext) -> Result:
        window = _figure_window(c, ctx)
        allowed = _threshold(c, ctx)
        lines = ctx.telemetry(window)
        total = selector(ctx.programme, window, lines=lines)
        test = (
            f"The sum of the daily '{slug}' totals over the {window.label} (programme-local days, today so far "
            f"included) must be at most {_number(allowed, 0)} (the scorecard's green boundary)."
        )
        threshold = f"≤ {_number(allowed, 0)} in {window.days} days"
        evidence = _chart_url(ctx.programme, slug)
        if total.exact is None:
            return Result(
                c, NOT_MEASURABLE, None, f"no {label} data in the window", threshold, test,
                evidence_url=evidence, evidence_label=f"{label.capitalize()} chart", forecast_note="no telemetry yet",
                window=window,
            )  # fmt: skip
        passed = total.exact <= Fraction(allowed)
        result = Result(
            c,
            PASS if passed else FAIL,
            float(total.value),
            f"{total.text} {label}",
            threshold,
            test,
            evidence_url=evidence,
            evidence_label=f"{label.capitalize()} chart",
            window=window,
        )
        if not passed:
            # If none come any more, the window slides past the last day that had some.
            latest = max(day for day, value in lines[slug].items() if value and day in window)
            result.forecast = latest + timedelta(days=window.days)
            result.forecast_note = f"if no new {label} are raised"
        return result

    return evaluate


def _share_threshold(criterion: ExitCriterion) -> Decimal:
    if criterion.share_threshold is not None:
        return Decimal(criterion.share_threshold)
    return Decimal(DEFAULT_SHARES.get(criterion.kind) or "0")


def _threshold_of(kind: str, ctx: EvaluationContext) -> Decimal:
    """The threshold of the programme's criterion of `kind`, read where that criterion reads it (its
    kind's default when the programme has no such criterion)."""
    criterion = next((c for c in ctx.criteria if c.kind == kind), None)
    if criterion is None:
        criterion = (
            ExitCriterion.objects.of(ctx.programme).filter(kind=kind).order_by("position", "pk").first()
        )
    if criterion is None:
        criterion = ExitCriterion(programme=ctx.programme, kind=kind)  # the kind's default threshold
    return _threshold(criterion, ctx)


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _comanaged_days(c: ExitCriterion, ctx: EvaluationContext) -> tuple[int, Decimal, date, list[HandlingDay]]:
    """The co-management window (the N complete days ending yesterday), the share a working day needs,
    and the window's working days as handled."""
    needed = int(_threshold(c))
    share = _share_threshold(c)
    first = ctx.today - timedelta(days=needed)
    handling = ctx.handling(first, ctx.yesterday)
    working = [
        day
        for day in handling.days
        if day.day >= ctx.programme.go_live_date and ctx.calendar.is_working_day(day.day)
    ]
    return needed, share, first, working


def _bau_comanaged(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    needed, share, first, working = _comanaged_days(c, ctx)
    go_live = ctx.programme.go_live_date
    test = (
        f"Every working day of the programme's calendar in the last {needed} complete days must be co-managed: "
        f"of the tickets the staff handled that day (took, answered publicly or resolved), BAU staff handled at "
        f"least {_number(share)}%. A working day on which nobody handled a ticket is not co-managed. The value is "
        f"the number of days, up to yesterday, since the last working day that was not."
    )
    threshold = f"≥ {_number(needed, 0)} days, each working day ≥ {_number(share)}% BAU"
    evidence = _url("handover:kt", [ctx.programme.slug])
    failing = [day for day in working if not day.comanaged(share)]
    items = [
        {
            "date": day.day.isoformat(),
            "handled": day.handled,
            "bau": day.bau,
            "text": f"{_day_label(day.day)}: no ticket handled"
            if not day.handled
            else f"{_day_label(day.day)}: BAU handled {day.bau} of {day.handled} tickets "
            f"({float(day.bau_share):.0f}%)",
        }
        for day in failing
    ]
    # The co-managed run: from the day after the last failing working day (or go-live) to yesterday.
    run_start = max(first, go_live, failing[-1].day + timedelta(days=1) if failing else date.min)
    run = max(0, (ctx.today - run_start).days)
    # At the earliest, the window has slid past go-live and past the last failing day.
    ready = max(go_live + timedelta(days=needed), run_start + timedelta(days=needed))
    common = {
        "evidence_url": evidence,
        "evidence_label": "Knowledge transfer",
        "evidence_items": items,
        "facts": {"working_days": len(working), "failing_days": len(failing)},
    }
    if first < go_live or not working:
        return Result(
            c,
            NOT_MEASURABLE,
            None,
            f"fewer than {needed} days since go-live" if first < go_live else "no working day in the window",
            threshold,
            test,
            forecast=ready,
            forecast_note="if every working day from now on is co-managed",
            **common,
        )
    if failing:
        shown = (
            f"co-managed for the last {run} days (of {needed} needed); {len(failing)} of the window's "
            f"{len(working)} working days were not"
        )
    else:
        shown = f"co-managed for {needed} days ({len(working)} of {len(working)} working days)"
    result = Result(c, FAIL if failing else PASS, float(run), shown, threshold, test, **common)
    if failing:
        result.forecast = ready
        result.forecast_note = "if every working day from now on is co-managed"
    return result


def _bau_ran_queue(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    days = _window(c)
    needed = _threshold(c)
    sla_needed = _threshold_of(CriterionKind.SLA_COMPLIANCE, ctx)
    first, last = ctx.today - timedelta(days=days), ctx.yesterday
    handling = ctx.handling(first, last)
    sla = ctx.bau_sla(first, last)
    test = (
        f"Over the last {days} complete days ({first:%d %b} to {last:%d %b}): of the tickets the staff handled "
        f"(took, answered publicly or resolved), BAU staff handled at least {_number(needed)}%; and the resolution "
        f"SLA compliance of the tickets whose handling team is BAU is at least {_number(sla_needed)}% (the SLA "
        f"compliance criterion's threshold)."
    )
    threshold = f"≥ {_number(needed)}% handled by BAU, BAU's SLA ≥ {_number(sla_needed)}%"
    common = {
        "evidence_url": _url("handover:kt", [ctx.programme.slug]),
        "evidence_label": "Knowledge transfer",
    }
    go_live = ctx.programme.go_live_date
    if first < go_live:
        return Result(
            c, NOT_MEASURABLE, None, f"fewer than {days} days since go-live", threshold, test,
            forecast=go_live + timedelta(days=days), forecast_note=f"{days} complete days after go-live", **common,
        )  # fmt: skip
    if not handling.handled:
        return Result(
            c, NOT_MEASURABLE, None, f"no ticket handled in the last {days} days", threshold, test,
            forecast_note="nobody handled a ticket in the window", **common,
        )  # fmt: skip
    share = handling.bau_share
    share_met = share >= Fraction(needed)
    sla_share = None if sla.percent is None else Fraction(sla.percent)
    sla_met = None if sla_share is None else sla_share >= Fraction(sla_needed)
    sla_shown = (
        "no BAU ticket's resolution SLA judged"
        if sla_share is None
        else f"BAU's SLA {float(sla_share):.1f}% ({sla.met} of {sla.judged})"
    )
    shown = f"BAU handled {float(share):.1f}% ({handling.bau} of {handling.handled}); {sla_shown}"
    if not share_met or sla_met is False:
        status = FAIL
    elif sla_met is None:
        status = NOT_MEASURABLE
    else:
        status = PASS
    result = Result(c, status, float(share), shown, threshold, test, **common)
    result.facts = {"share_met": share_met, "sla_met": sla_met}
    if status == NOT_MEASURABLE:
        result.forecast_note = "no BAU ticket's resolution SLA was decided in the window"
    elif status == FAIL and sla_met is False:
        result.forecast_note = "BAU's SLA compliance is below the threshold: its trend is not extrapolated"
    elif status == FAIL:
        # Summed over the days: a ticket handled on two days counts twice, close to the distinct count.
        _trend_forecast(
            result, ctx, "bau-handled", lambda: {day.day: (day.bau, day.handled) for day in handling.days},
            (">=", Fraction(needed)), window_days=days, complete=True,
            what="BAU's daily share of the tickets handled",
        )  # fmt: skip
    return result


def _no_rescue(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    days = _window(c)
    allowed = int(_threshold(c))
    first = ctx.today - timedelta(days=days - 1)
    moves = rescues(ctx.programme, first, ctx.today, at=ctx.at)
    moves = [move for move in moves if move.at <= ctx.at]
    test = (
        f"Tickets whose handling moved from a BAU person to a project-team person (an assignment to a project-team "
        f"member while the ticket's previous assignee was a BAU member) in the last {days} days ({first:%d %b} to "
        f"today) must be at most {allowed}."
    )
    threshold = f"≤ {allowed} in {days} days"
    items = []
    for move in moves:
        when = timezone.localtime(move.at, ctx.tz)
        items.append(
            {
                "reference": move.reference,
                "at": move.at.isoformat(),
                "from": move.from_username,
                "to": move.to_username,
                "url": _url("tickets:detail", [ctx.programme.slug, move.reference]),
                "text": f"{move.reference}, {when:%d %b %H:%M}: from {move.from_name} (BAU) to {move.to_name} "
                f"(project team)",
            }
        )
    tickets = len({move.ticket_id for move in moves})
    result = Result(
        c,
        PASS if tickets <= allowed else FAIL,
        float(tickets),
        f"{tickets} ticket{'s' if tickets != 1 else ''} rescued by the project team",
        threshold,
        test,
        evidence_url=_tickets_url(ctx.programme, status="any", sort="-reported"),
        evidence_label="Tickets",
        evidence_items=items,
    )
    if result.status == FAIL:
        # If no rescue happens any more, the window slides past the rescue that keeps it over the limit.
        keeps = sorted({timezone.localtime(m.at, ctx.tz).date() for m in moves})[-(allowed + 1)]
        result.forecast = keeps + timedelta(days=days)
        result.forecast_note = "if the project team rescues no more tickets"
    return result


def _bau_share(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    window = _figure_window(c, ctx)
    needed = _threshold(c, ctx)
    share = bau_share(ctx.programme, window)
    test = (
        f"Of the tickets reported over the {window.label} (programme-local days, today so far included) that "
        f"reached the desk (all but those a champion resolved at Tier 1; unassigned ones count), the share whose "
        f"handling team is BAU must be at least {_number(needed)}% (the scorecard's green boundary)."
    )
    threshold = f"≥ {_number(needed)}% of incoming"
    evidence = _chart_url(ctx.programme, "bau_share")
    if share.exact is None:
        return Result(
            c, NOT_MEASURABLE, None, "no ticket reported in the window reached the desk", threshold, test,
            evidence_url=evidence, evidence_label="BAU share chart", forecast_note="no recent tickets",
            window=window,
        )  # fmt: skip
    return Result(
        c,
        PASS if share.exact >= Fraction(needed) else FAIL,
        share.percent,
        f"{share.text} ({share.part} of {share.whole})",
        threshold,
        test,
        evidence_url=evidence,
        evidence_label="BAU share chart",
        forecast_note="the BAU share has no trend to extrapolate",
        window=window,
    )


def _attested(c: ExitCriterion, ctx: EvaluationContext, *, threshold: str, test: str) -> Result:
    attestation = c.latest_attestation
    attest_page = _url("handover:criterion_attest", [ctx.programme.slug, c.pk])
    if attestation is None:
        return Result(
            c, NOT_MEASURABLE, None, "not attested yet", threshold, test,
            evidence_url=attest_page, evidence_label="Attestations", forecast_note="awaiting an attestation",
        )  # fmt: skip
    evidence = attestation.evidence_url
    if not evidence and attestation.evidence_file:
        evidence = _url("handover:attestation_evidence", [ctx.programme.slug, attestation.pk])
    by = attestation.by.get_full_name() or attestation.by.get_username()
    return Result(
        c,
        PASS if attestation.outcome == "pass" else FAIL,
        None,
        f"{attestation.get_outcome_display()} by {by} on {timezone.localtime(attestation.at, ctx.tz):%d %b %Y}",
        threshold,
        test,
        detail=attestation.note,
        evidence_url=evidence or attest_page,
        evidence_label="Attestation evidence",
        attestation=attestation,
        forecast_note="attested as not met",
    )


def _month_end_close(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    close = ctx.programme.first_month_end_close
    go_live = ctx.programme.go_live_date
    threshold = "happened in hypercare and attested clean"
    test = (
        f"The first month-end close ({close:%d %b %Y}) must fall on or after go-live ({go_live:%d %b %Y}) and be "
        "in the past, and a lead or the operational owner must attest that it ran clean."
    )
    if close < go_live:
        return Result(
            c, FAIL, None, "the first month-end close date is before go-live", threshold, test,
            forecast_note="correct the programme's first month-end close",
        )  # fmt: skip
    if ctx.today <= close:
        return Result(
            c, NOT_MEASURABLE, None, f"not yet: due on {close:%d %b %Y}", threshold, test,
            forecast=close + timedelta(days=1), forecast_note="once it has happened and is attested",
        )  # fmt: skip
    return _attested(c, ctx, threshold=threshold, test=test)


def _handover_pack(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    pack = ctx.pack
    total, accepted = pack["total"], pack["accepted"]
    result = Result(
        c,
        PASS if total and accepted == total else (NOT_MEASURABLE if not total else FAIL),
        float(pack["percent"]),
        f"{accepted} of {total} items accepted",
        "every item accepted",
        "Every item of the handover pack checklist must be accepted by the operational owner or a BAU lead.",
        evidence_url=_url("handover:pack", [ctx.programme.slug]),
        evidence_label="Handover pack",
    )
    if result.status != PASS:
        if total and not pack["undated"] and pack["last_due"]:
            result.forecast = max(pack["last_due"], ctx.today)
            result.forecast_note = "by the latest due date of the outstanding items"
        else:
            result.forecast_note = "an outstanding item has no due date"
    return result


def _sla_compliance(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    window = _figure_window(c, ctx)
    needed = _threshold(c, ctx)
    compliance = resolution_sla_compliance(ctx.programme, window)
    test = (
        f"Of the tickets with a resolution target that were resolved over the {window.label} (programme-local "
        "days, today so far included), or are still open with their resolution due instant passed in it, the "
        f"share resolved by their due instant must be at least {_number(needed)}% (the scorecard's green boundary)."
    )
    threshold = f"≥ {_number(needed)}% met"
    evidence = _chart_url(ctx.programme, "sla_resolution_compliance")
    if compliance.exact is None:
        return Result(
            c, NOT_MEASURABLE, None, "no resolution target met or missed in the window", threshold, test,
            evidence_url=evidence, evidence_label="SLA compliance chart", forecast_note="no decided SLA yet",
            window=window,
        )  # fmt: skip
    return Result(
        c,
        PASS if compliance.exact >= Fraction(needed) else FAIL,
        compliance.percent,
        f"{compliance.text} ({compliance.met} met, {compliance.breached} breached)",
        threshold,
        test,
        evidence_url=evidence,
        evidence_label="SLA compliance chart",
        forecast_note="SLA compliance has no trend to extrapolate",
        window=window,
    )


def _attestation(c: ExitCriterion, ctx: EvaluationContext) -> Result:
    return _attested(
        c,
        ctx,
        threshold="attested as met",
        test=c.description or "A person attests that it is met, with evidence.",
    )


EVALUATORS: dict[str, Callable[[ExitCriterion, EvaluationContext], Result]] = {
    CriterionKind.OPEN_SEV12: _open_sev12,
    CriterionKind.NEW_SEV12: _new_sev12,
    CriterionKind.VOLUME_TREND: _volume_trend,
    CriterionKind.EXCEPTION_RATE: _exception_rate,
    CriterionKind.INTEGRATION_SUCCESS: _integration_success,
    CriterionKind.GOVERNOR_LIMIT_ALERTS: _zero_count("governor_limit_alerts", "governor-limit alerts"),
    CriterionKind.LOCK_CONTENTIONS: _zero_count("lock_contentions", "lock contentions"),
    CriterionKind.BAU_COMANAGED: _bau_comanaged,
    CriterionKind.BAU_SHARE: _bau_share,
    CriterionKind.MONTH_END_CLOSE: _month_end_close,
    CriterionKind.HANDOVER_PACK: _handover_pack,
    CriterionKind.SLA_COMPLIANCE: _sla_compliance,
    CriterionKind.BAU_RAN_QUEUE: _bau_ran_queue,
    CriterionKind.NO_RESCUE: _no_rescue,
    CriterionKind.SATISFACTION: _satisfaction,
    CriterionKind.ATTESTATION: _attestation,
}


# ---------------------------------------------------------------------------------------------
# Forecasts from the trend of a figure's daily values (each figure's own definition over one day)


def _figure_trend(key: str, what: str, *, below: bool = False):
    """The forecast of a failing figure criterion (its window ends today) from its daily trend."""

    def forecast(result: Result, ctx: EvaluationContext) -> None:
        if result.status != FAIL:
            return
        limit = Fraction(_threshold(result.criterion, ctx))
        _trend_forecast(
            result,
            ctx,
            key,
            lambda: ctx.trend_day_figures[key],
            ("<" if below else ">=", limit),
            window_days=_window(result.criterion),
            complete=False,
            what=what,
        )

    return forecast


def _integration_trend(result: Result, ctx: EvaluationContext) -> None:
    if result.status != FAIL:
        return
    limit = Fraction(_threshold(result.criterion, ctx))
    _trend_forecast(
        result, ctx, "integration_success", lambda: ctx.trend_day_figures["integration_success"],
        (">", limit), window_days=_window(result.criterion), complete=False,
        what="the daily integration success",
    )  # fmt: skip


# Criteria whose daily figure has a trend to extrapolate; the others' forecasts say why not.
TRENDS: dict[str, Callable[[Result, EvaluationContext], None]] = {
    CriterionKind.EXCEPTION_RATE: _figure_trend("exception_rate", "the daily exception rate", below=True),
    CriterionKind.INTEGRATION_SUCCESS: _integration_trend,
    CriterionKind.BAU_SHARE: _figure_trend("bau_share", "the daily BAU share"),
    CriterionKind.SLA_COMPLIANCE: _figure_trend("sla_compliance", "the daily resolution SLA compliance"),
}


def criterion_evaluate(criterion: ExitCriterion, *, context: EvaluationContext) -> Result:
    """Measure one criterion."""
    result = EVALUATORS[criterion.kind](criterion, context)
    if criterion.kind in USES_THRESHOLD:
        result.threshold = _threshold(criterion, context)
    elif criterion.threshold is not None:
        result.threshold = Decimal(criterion.threshold)
    return result


def gate_evaluate(*, programme: Programme, at: datetime | None = None, criteria=None) -> Gate:
    """Every exit criterion of the programme measured at `at` (now by default)."""
    at = at or timezone.now()
    if criteria is None:
        criteria = _gate_criteria(programme_id=programme.pk)
    context = EvaluationContext(programme, at, criteria)
    windows = [_window(c) for c in criteria if c.kind in USES_WINDOW]
    context.telemetry_span = max([31, *windows])
    results = cached_aggregate(
        "gate-results", programme.pk, _gate_fingerprint(programme, criteria, context), at=at,
        compute=lambda: _gate_results(criteria, context),
    )  # fmt: skip
    by_pk = {criterion.pk: criterion for criterion in criteria}
    for result in results:  # a cached result carries a copy: show the criterion as just loaded
        result.criterion = by_pk[result.criterion.pk]
    return Gate(programme, at, results, context)


def _gate_results(criteria: list[ExitCriterion], context: EvaluationContext) -> list[Result]:
    results = [criterion_evaluate(criterion, context=context) for criterion in criteria]
    if any(c.kind in TRENDS for c in criteria):
        # Read whether or not a criterion fails, so the gate costs the same queries whatever the data.
        context.trend_day_figures  # noqa: B018
    for result in results:
        trend = TRENDS.get(result.criterion.kind)
        if trend is not None:
            trend(result, context)
    return results


def _row(instance) -> tuple:
    return tuple(field.value_from_object(instance) for field in instance._meta.concrete_fields)


def _gate_fingerprint(programme: Programme, criteria: list[ExitCriterion], context: EvaluationContext) -> str:
    """What the gate reads that is not itself one of the minute's aggregates: the programme, its
    criteria (thresholds, windows, the KPI boundaries in force, attestations) and the handover pack.
    Results are kept for the minute under this digest, so an edit, an attestation or an accepted
    item shows at once, while the figures refresh with the minute, like every dashboard figure."""
    state = (
        _row(programme),
        [(_row(c), getattr(c, "kpi_green", None), [_row(a) for a in c.attestations.all()]) for c in criteria],
        sorted(context.pack.items()),
    )
    return hashlib.sha256(repr(state).encode()).hexdigest()[:32]


def gate_status_figures(*, programme: Programme, at: datetime) -> dict:
    """The exit gate's forecast for the status reports (JSON-ready), with the criteria forecast to
    pass only after the planned exit date."""
    gate = gate_evaluate(programme=programme, at=at)
    forecast, note = gate.forecast
    return {
        "exit_gate": {
            "green": gate.green,
            "forecast_green_on": forecast.isoformat() if forecast else None,
            "forecast_note": note,
            "planned_exit_date": programme.planned_exit_date.isoformat(),
            "forecast_after_planned_exit": gate.forecast_after_planned_exit,
            "late": [
                {"title": r.criterion.title, "forecast": r.forecast.isoformat(), "note": r.forecast_note}
                for r in gate.late_criteria
            ],
        }
    }
