"""One function per figure that more than one screen shows, each over a `Window` of local days.

The scorecard, the exit gate, the knowledge-transfer page, the daily status and weekly summary,
the snapshots, the exit report and their APIs call these; none computes a figure of its own.
The definitions (also in the README, "Metric definitions"):

- exception rate: Σ exceptions ÷ Σ transactions over the window's days that have both series;
- integration success: Σ succeeded calls ÷ Σ (succeeded + failed calls);
- governor-limit alerts, lock contentions: Σ over the window;
- BAU share: of the tickets reported in the window that reached the desk (all but those a
  champion resolved at Tier 1), the share whose handling team is BAU; unassigned ones count
  in the whole;
- resolution SLA compliance: of the tickets with a resolution target resolved in the window, or
  still open with their resolution due instant passed inside it, the share resolved by their due
  instant (`sla.outcomes` says what "met" is).

Values are exact (`Fraction`) with a float percentage beside them; screens round for display
with `percent_text`, so a figure reads the same wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.utils import timezone

from hypercare.aggregates import cached_aggregate
from hypercare.roles import Team
from hypercare.vocabulary import Tier
from metrics.models import MetricSeries
from metrics.telemetry import rollup
from sla.outcomes import resolution_judged_q, resolution_met_q
from tickets.models import Ticket, TicketRating

# The window every screen uses for a figure unless it says otherwise: the scorecard's KPIs, the
# exit criteria's default windows and the status reports all read it from here.
DEFAULT_DAYS = 7

TELEMETRY_SLUGS = (
    "exceptions",
    "transactions",
    "integration_success",
    "integration_failure",
    "governor_limit_alerts",
    "lock_contentions",
)

# Daily totals of telemetry series: {slug: {date: value}}.
TelemetryDays = Mapping[str, Mapping[date, float]]


# Windows -----------------------------------------------------------------------------------


def _short(day: date, *, year: bool) -> str:
    return f"{day.day} {day:%b}" + (f" {day.year}" if year else "")


@dataclass(frozen=True)
class Window:
    """Local days `first` to `last` (inclusive) of a programme's time zone, seen at the instant `at`.

    `start` and `end` are the local midnights that open the first day and close the last one;
    nothing after `at` counts, so a window ending today covers today so far.
    """

    first: date
    last: date
    start: datetime
    end: datetime
    at: datetime

    @classmethod
    def between(cls, programme, first: date, last: date, *, at: datetime | None = None) -> Window:
        """The local days `first` to `last` of the programme."""
        if last < first:
            raise ValueError(f"A window cannot end ({last}) before it starts ({first}).")
        tz = ZoneInfo(programme.timezone)
        return cls(
            first=first,
            last=last,
            start=datetime.combine(first, time.min, tzinfo=tz),
            end=datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
            at=at or timezone.now(),
        )

    @classmethod
    def ending(
        cls, programme, *, days: int = DEFAULT_DAYS, at: datetime | None = None, last: date | None = None
    ) -> Window:
        """The `days` local days ending on `last`, by default today (the programme's date at `at`)."""
        if days < 1:
            raise ValueError("A window has at least one day.")
        at = at or timezone.now()
        last = last or local_date(programme, at)
        return cls.between(programme, last - timedelta(days=days - 1), last, at=at)

    @classmethod
    def day(cls, programme, day: date, *, at: datetime | None = None) -> Window:
        """One local day."""
        return cls.between(programme, day, day, at=at)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def until(self) -> datetime:
        """The end of the window, or `at` when the window has not ended yet."""
        return min(self.end, self.at)

    @property
    def is_current(self) -> bool:
        """The window ends on the local date of `at` (today so far is in it)."""
        return self.start <= self.at < self.end

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last

    @property
    def dates_text(self) -> str:
        """The dates, e.g. "26 Nov – 2 Dec" (with the years when the window spans two)."""
        year = self.first.year != self.last.year
        if self.first == self.last:
            return _short(self.last, year=year)
        return f"{_short(self.first, year=year)} – {_short(self.last, year=year)}"

    @property
    def label(self) -> str:
        """What a screen prints beside a figure, e.g. "last 7 days, 26 Nov – 2 Dec"."""
        if self.days == 1:
            return f"{'today' if self.is_current else 'the day'}, {self.dates_text}"
        return f"{'last ' if self.is_current else ''}{self.days} days, {self.dates_text}"

    @property
    def key(self) -> str:
        """The cache key of the window's figures: the same window gives the same number."""
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def as_dict(self) -> dict:
        """The window as the APIs answer it (JSON-ready: sign-offs freeze it)."""
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "days": self.days,
            "label": self.label,
        }


def local_date(programme, at: datetime) -> date:
    """The programme's calendar date at the instant `at`."""
    return at.astimezone(ZoneInfo(programme.timezone)).date()


# Values ------------------------------------------------------------------------------------


def percent_text(value: float | Fraction | None) -> str:
    """A percentage as every screen prints it: "81.5%", "0.074%", "—" without a value."""
    if value is None:
        return "—"
    value = float(value)
    if value != 0 and abs(value) < 1:
        return f"{value:.3f}%"
    return f"{value:.1f}%"


def count_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


@dataclass(frozen=True)
class Share:
    """`part` ÷ `whole` over a window, as a percentage; no value while the whole is zero."""

    part: float
    whole: float
    window: Window

    @property
    def exact(self) -> Fraction | None:
        """The percentage as an exact fraction (thresholds compare with it)."""
        if not self.whole:
            return None
        return Fraction(self.part) * 100 / Fraction(self.whole)

    @property
    def percent(self) -> float | None:
        exact = self.exact
        return None if exact is None else float(exact)

    @property
    def text(self) -> str:
        return percent_text(self.percent)

    def as_dict(self) -> dict:
        return {
            "value": None if self.percent is None else round(self.percent, 4),
            "part": self.part,
            "whole": self.whole,
            "window": self.window.as_dict(),
        }


@dataclass(frozen=True)
class Compliance(Share):
    """Resolution SLA compliance: tickets that met their target (`met`) of those judged (`judged`)."""

    @property
    def met(self) -> int:
        return int(self.part)

    @property
    def judged(self) -> int:
        return int(self.whole)

    @property
    def breached(self) -> int:
        return self.judged - self.met


@dataclass(frozen=True)
class Total:
    """A count summed over a window; no value without any data in it."""

    value: float | None
    window: Window

    @property
    def exact(self) -> Fraction | None:
        return None if self.value is None else Fraction(self.value)

    @property
    def text(self) -> str:
        return count_text(self.value)

    def as_dict(self) -> dict:
        return {"value": self.value, "window": self.window.as_dict()}


# Telemetry ---------------------------------------------------------------------------------


def telemetry_days(programme, window: Window, slugs: Iterable[str] = TELEMETRY_SLUGS) -> TelemetryDays:
    """Daily totals of the telemetry series `slugs` over the window: two queries, cached."""
    slugs = tuple(slugs)
    return cached_aggregate(
        "telemetry-days",
        programme.pk,
        window.key,
        ",".join(slugs),
        at=window.at,
        compute=lambda: _telemetry_days(programme, window, slugs),
    )


def _telemetry_days(programme, window: Window, slugs: tuple[str, ...]) -> dict[str, dict[date, float]]:
    series = list(MetricSeries.objects.filter(programme=programme, slug__in=slugs))
    lines = rollup(series, window.first, window.last)
    return {s.slug: lines.get((s.pk, ""), {}) for s in series}


def _in(window: Window, days: Mapping[date, float] | None) -> dict[date, float]:
    return {day: value for day, value in (days or {}).items() if day in window}


def exception_rate(programme, window: Window, *, lines: TelemetryDays | None = None) -> Share:
    """Σ exceptions ÷ Σ transactions over the window's days that have both series.

    `lines` are daily totals already loaded (`telemetry_days`, or a wider range of them).
    """
    lines = telemetry_days(programme, window) if lines is None else lines
    exceptions = _in(window, lines.get("exceptions"))
    transactions = _in(window, lines.get("transactions"))
    days = [day for day in transactions if day in exceptions]
    return Share(
        part=sum(exceptions[day] for day in days),
        whole=sum(transactions[day] for day in days),
        window=window,
    )


def integration_success(programme, window: Window, *, lines: TelemetryDays | None = None) -> Share:
    """Σ succeeded integration calls ÷ Σ (succeeded + failed) over the window."""
    lines = telemetry_days(programme, window) if lines is None else lines
    succeeded = sum(_in(window, lines.get("integration_success")).values())
    failed = sum(_in(window, lines.get("integration_failure")).values())
    return Share(part=succeeded, whole=succeeded + failed, window=window)


def _total(slug: str, window: Window, lines: TelemetryDays) -> Total:
    days = _in(window, lines.get(slug))
    return Total(value=sum(days.values()) if days else None, window=window)


def governor_limit_alerts(programme, window: Window, *, lines: TelemetryDays | None = None) -> Total:
    """Σ governor-limit alerts over the window; no value without data."""
    lines = telemetry_days(programme, window) if lines is None else lines
    return _total("governor_limit_alerts", window, lines)


def lock_contentions(programme, window: Window, *, lines: TelemetryDays | None = None) -> Total:
    """Σ database lock contentions over the window; no value without data."""
    lines = telemetry_days(programme, window) if lines is None else lines
    return _total("lock_contentions", window, lines)


# BAU share ---------------------------------------------------------------------------------


def reached_desk_q() -> Q:
    """A ticket that reached the desk: every ticket but those a champion resolved at Tier 1."""
    return ~Q(resolved_at_tier=Tier.TIER1)


def reported_in_q(window: Window) -> Q:
    return Q(reported_at__gte=window.start, reported_at__lt=window.until)


def bau_share_counts(window: Window, prefix: str = "") -> dict[str, Count]:
    """The aggregates of `bau_share` over `window`, to add to a wider aggregate query.

    `Share(part=row[prefix + "bau"], whole=row[prefix + "desk"])` is the share.
    """
    desk = reported_in_q(window) & reached_desk_q()
    return {
        f"{prefix}desk": Count("pk", filter=desk),
        f"{prefix}bau": Count("pk", filter=desk & Q(team=Team.BAU)),
    }


def bau_shares(programme, windows: list[Window]) -> list[Share]:
    """`bau_share` of several windows (e.g. the knowledge-transfer phases) in one query, cached."""
    if not windows:
        return []
    counts = {}
    for index, window in enumerate(windows):
        counts |= bau_share_counts(window, prefix=f"w{index}_")
    figures = cached_aggregate(
        "bau-shares",
        programme.pk,
        *(window.key for window in windows),
        at=windows[0].at,
        compute=lambda: Ticket.objects.filter(programme=programme).aggregate(**counts),
    )
    return [
        Share(part=figures[f"w{n}_bau"], whole=figures[f"w{n}_desk"], window=window)
        for n, window in enumerate(windows)
    ]


def bau_share(programme, window: Window) -> Share:
    """Tickets reported in the window that reached the desk and whose handling team is BAU, over
    all tickets reported in the window that reached the desk (unassigned ones included)."""
    rows = window_ticket_counts(programme, window)
    return Share(part=sum(row["bau"] for row in rows), whole=sum(row["desk"] for row in rows), window=window)


# Resolution SLA compliance ------------------------------------------------------------------


def sla_compliance_counts(window: Window, prefix: str = "") -> dict[str, Count]:
    """The aggregates of `resolution_sla_compliance` over `window`, to add to a wider query."""
    judged = resolution_judged_q(window.start, window.end, window.at)
    return {
        f"{prefix}judged": Count("pk", filter=judged),
        f"{prefix}met": Count("pk", filter=judged & resolution_met_q()),
    }


def window_ticket_counts(programme, window: Window, *, team: str | None = None) -> list[dict]:
    """Per severity, the counts of the ticket figures over `window`: the BAU share's (`desk`, `bau`)
    and the resolution compliance's (`judged`, `met`). One query, cached: a screen showing both
    figures, or compliance per severity, reads them once."""
    return cached_aggregate(
        "window-tickets",
        programme.pk,
        window.key,
        team or "all",
        at=window.at,
        compute=lambda: _compliance_rows(programme, window, team, "severity", bau=team is None),
    )


def _compliance_rows(
    programme, window: Window, team: str | None, by: str, *, bau: bool = False
) -> list[dict]:
    tickets = Ticket.objects.filter(programme=programme, reported_at__lt=window.until)
    if team is not None:
        tickets = tickets.filter(team=team)
    counts = sla_compliance_counts(window) | (bau_share_counts(window) if bau else {})
    return list(tickets.order_by().values(by).annotate(**counts))


def resolution_sla_compliance(programme, window: Window, *, team: str | None = None) -> Compliance:
    """Of the tickets with a resolution target resolved in the window, or still open with their
    resolution due instant passed inside it, the share resolved by their due instant.

    `team` keeps the tickets of one handling team (e.g. BAU's own compliance).
    """
    rows = window_ticket_counts(programme, window, team=team)
    return Compliance(
        part=sum(row["met"] for row in rows), whole=sum(row["judged"] for row in rows), window=window
    )


def resolution_sla_compliance_by(
    programme, window: Window, *, by: str, team: str | None = None
) -> dict[object, Compliance]:
    """`resolution_sla_compliance` per value of a ticket column (`severity`, `tier`, …), one query."""
    if by == "severity":
        rows = window_ticket_counts(programme, window, team=team)
    else:
        rows = cached_aggregate(
            "sla-compliance-by",
            programme.pk,
            window.key,
            by,
            team or "all",
            at=window.at,
            compute=lambda: _compliance_rows(programme, window, team, by),
        )
    return {row[by]: Compliance(part=row["met"], whole=row["judged"], window=window) for row in rows}


# Satisfaction on resolution -----------------------------------------------------------------


@dataclass(frozen=True)
class Satisfaction:
    """Reporters' ratings (1-5) of resolutions, given in a window: their sum and number."""

    total: int
    ratings: int
    window: Window

    @property
    def average(self) -> Fraction | None:
        return Fraction(self.total, self.ratings) if self.ratings else None

    @property
    def text(self) -> str:
        """ "4.3 / 5 (12 ratings)", or "no ratings"."""
        if not self.ratings:
            return "no ratings"
        return f"{float(self.average):.1f} / 5 ({self.ratings} rating{'s' if self.ratings != 1 else ''})"

    def as_dict(self) -> dict:
        average = self.average
        return {
            "average": None if average is None else round(float(average), 2),
            "ratings": self.ratings,
            "window": self.window.as_dict(),
        }


def satisfaction(programme, window: Window) -> Satisfaction:
    """The ratings reporters gave in the window (by when they rated), whatever the ticket's age."""
    row = TicketRating.objects.filter(
        ticket__programme=programme, rated_at__gte=window.start, rated_at__lt=window.until
    ).aggregate(total=Sum("rating"), ratings=Count("pk"))
    return Satisfaction(total=row["total"] or 0, ratings=row["ratings"], window=window)


def satisfaction_weekly(programme, *, weeks: int = 4, at: datetime | None = None) -> list[Satisfaction]:
    """`satisfaction` of each of the last `weeks` seven-day windows, oldest first (the last one
    ends today), in one query."""
    at = at or timezone.now()
    return cached_aggregate(
        "satisfaction-weekly",
        programme.pk,
        weeks,
        at=at,
        compute=lambda: _satisfaction_weekly(programme, weeks, at),
    )


def _satisfaction_weekly(programme, weeks: int, at: datetime) -> list[Satisfaction]:
    last = local_date(programme, at)
    windows = [
        Window.ending(programme, days=7, at=at, last=last - timedelta(days=7 * n))
        for n in reversed(range(weeks))
    ]
    figures = {}
    for n, window in enumerate(windows):
        given = Q(rated_at__gte=window.start, rated_at__lt=window.until)
        figures |= {f"t{n}": Sum("rating", filter=given), f"n{n}": Count("pk", filter=given)}
    row = TicketRating.objects.filter(ticket__programme=programme).aggregate(**figures)
    return [
        Satisfaction(total=row[f"t{n}"] or 0, ratings=row[f"n{n}"], window=window)
        for n, window in enumerate(windows)
    ]
