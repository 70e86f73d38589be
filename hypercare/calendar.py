"""Working-time arithmetic on a programme's business calendar.

Working hours are local wall-clock times per weekday, so a 09:00–17:00 day stays
09:00–17:00 across daylight-saving changes; durations are real elapsed time between
aware instants. Both functions are pure: they take a calendar and instants, and
never touch the database, which is what lets the SLA engine recompute any clock
from a ticket's history.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ONE_WEEK = timedelta(days=7)

DEFAULT_WORKING_HOURS: dict[str, list[str] | None] = {
    "mon": ["09:00", "17:00"],
    "tue": ["09:00", "17:00"],
    "wed": ["09:00", "17:00"],
    "thu": ["09:00", "17:00"],
    "fri": ["09:00", "17:00"],
    "sat": None,
    "sun": None,
}


class CalendarError(ValueError):
    """A calendar that cannot be used: bad hours, or no working time in reach."""


def parse_clock(value: str, *, field: str) -> time | None:
    """'HH:MM' as a time; '24:00' (end of day) as None."""
    if value == "24:00":
        return None
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        raise CalendarError(f"{field}: {value!r} is not a time of day in HH:MM form.") from None


def validate_working_hours(working_hours: Mapping[str, object]) -> dict[str, list[str] | None]:
    """Check a {"mon": ["09:00", "17:00"], …, "sat": null} mapping and return it normalised."""
    if not isinstance(working_hours, Mapping):
        raise CalendarError("working_hours must be an object keyed by weekday (mon … sun).")
    unknown = set(working_hours) - set(WEEKDAYS)
    if unknown:
        raise CalendarError(f"working_hours has unknown day(s) {sorted(unknown)}; use mon, tue, … sun.")
    normalised: dict[str, list[str] | None] = {}
    for day in WEEKDAYS:
        span = working_hours.get(day)
        if span is None:
            normalised[day] = None
            continue
        if not (isinstance(span, list | tuple) and len(span) == 2 and all(isinstance(v, str) for v in span)):
            raise CalendarError(f'working_hours.{day} must be ["HH:MM", "HH:MM"] or null.')
        start = parse_clock(span[0], field=f"working_hours.{day}")
        end = parse_clock(span[1], field=f"working_hours.{day}")
        if start is None:
            raise CalendarError(f"working_hours.{day}: a working day cannot start at 24:00.")
        if end is not None and end <= start:
            raise CalendarError(
                f"working_hours.{day}: the end ({span[1]}) must be after the start ({span[0]})."
            )
        normalised[day] = [span[0], span[1]]
    if not any(normalised.values()):
        raise CalendarError(
            "working_hours needs at least one working day (a start and an end time): a calendar with "
            "no working time cannot run a business-hours SLA clock."
        )
    return normalised


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: ZoneInfo
    # Indexed by weekday (Monday = 0): (start, end) local times, end None meaning midnight.
    hours: tuple[tuple[time, time | None] | None, ...]
    holidays: frozenset[date]
    # Each day's window, computed once (a page's rows share their days).
    _windows: dict[date, tuple[datetime, datetime] | None] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    # The UTC offset at each local Monday 00:00 looked at (whole weeks compare them).
    _offsets: dict[date, timedelta | None] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @classmethod
    def build(
        cls, *, timezone: str, working_hours: Mapping[str, object], holidays: Iterable[date] = ()
    ) -> WorkingCalendar:
        normalised = validate_working_hours(working_hours)
        hours = []
        for day in WEEKDAYS:
            span = normalised[day]
            hours.append(
                None if span is None else (parse_clock(span[0], field=day), parse_clock(span[1], field=day))
            )
        return cls(timezone=ZoneInfo(timezone), hours=tuple(hours), holidays=frozenset(holidays))

    @property
    def business_day(self) -> timedelta:
        """The length of a business day: the most common working-day length (the longest on a tie)."""
        lengths = Counter(self._span_length(span) for span in self.hours if span is not None)
        return max(lengths, key=lambda length: (lengths[length], length))

    @staticmethod
    def _span_length(span: tuple[time, time | None]) -> timedelta:
        start, end = span
        end_minutes = 24 * 60 if end is None else end.hour * 60 + end.minute
        return timedelta(minutes=end_minutes - (start.hour * 60 + start.minute))

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of a local date as UTC instants, or None on a day off."""
        if day in self._windows:
            return self._windows[day]
        span = self._windows[day] = self._window(day)
        return span

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        span = self.hours[day.weekday()]
        if span is None or day in self.holidays:
            return None
        start, end = span
        opens = datetime.combine(day, start, tzinfo=self.timezone)
        closes = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.timezone)
            if end is None
            else datetime.combine(day, end, tzinfo=self.timezone)
        )
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def is_working_day(self, day: date) -> bool:
        """The local date has working hours and is not a holiday."""
        return self.window(day) is not None

    def working_days_until(self, last: date, count: int) -> list[date]:
        """The `count` working days ending on or before `last`, oldest first."""
        days: list[date] = []
        if count <= 0:
            return days
        for day in self._days(last, step=-1):
            if self.is_working_day(day):
                days.append(day)
                if len(days) == count:
                    return days[::-1]
        raise AssertionError("_days either reaches working days or raises")  # pragma: no cover

    def working_days_from(self, first: date, count: int) -> list[date]:
        """The `count` working days starting on or after `first`, oldest first."""
        days: list[date] = []
        if count <= 0:
            return days
        for day in self._days(first, step=1):
            if self.is_working_day(day):
                days.append(day)
                if len(days) == count:
                    return days
        raise AssertionError("_days either reaches working days or raises")  # pragma: no cover

    def _days(self, first: date, *, step: int) -> Iterator[date]:
        """Local dates from `first` on (step 1) or back (step -1), for as long as the caller reads.

        Holidays are finite, so past the last of them (or before the first) every week has its
        working days: a week without one there means the calendar has no working time at all,
        which `build` refuses, and that is the only way this stops by itself.
        """
        day, idle = first, 0
        stride = timedelta(days=step)
        lowest, highest = (min(self.holidays), max(self.holidays)) if self.holidays else (first, first)
        while True:
            yield day
            if self.window(day) is not None:
                idle = 0
            elif not lowest <= day <= highest:
                idle += 1
                if idle > 7:
                    raise CalendarError("The calendar has no working time at all: give it working hours.")
            day += stride

    def windows_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working windows from an instant on, the first one clipped to start at it."""
        for day in self._days(instant.astimezone(self.timezone).date(), step=1):
            span = self.window(day)
            if span is None or span[1] <= instant:
                continue
            yield max(span[0], instant), span[1]

    # Whole weeks. A week is local Monday 00:00 to the next Monday 00:00; its working time is
    # the sum of its days' spans, less its holidays, unless a clock change (daylight saving)
    # falls inside it: such a week (two a year at most) is counted window by window.

    @cached_property
    def week(self) -> timedelta:
        """Working time of a week without holidays or clock change."""
        return sum((self._span_length(span) for span in self.hours if span is not None), timedelta(0))

    @cached_property
    def _sorted_holidays(self) -> tuple[date, ...]:
        return tuple(sorted(self.holidays))

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.timezone).astimezone(UTC)

    def _offset(self, day: date) -> timedelta | None:
        if day not in self._offsets:
            self._offsets[day] = datetime.combine(day, time(0), tzinfo=self.timezone).utcoffset()
        return self._offsets[day]

    def _walk_between(self, start: datetime, end: datetime) -> timedelta:
        """Window by window: for spans of a few weeks at most."""
        total = timedelta(0)
        for opens, closes in self.windows_from(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total

    def _whole_weeks(self, monday: date, weeks: int) -> timedelta:
        """Working time of `weeks` whole weeks from local `monday` on."""
        total = self.week * weeks
        changed: set[date] = set()  # Mondays of weeks with a clock change, counted window by window
        if self.timezone.key not in FIXED_ZONES:
            week_start, offset = monday, self._offset(monday)
            for _ in range(weeks):
                following = week_start + ONE_WEEK
                next_offset = self._offset(following)
                if next_offset != offset:
                    changed.add(week_start)
                week_start, offset = following, next_offset
        for first in changed:
            total += self._walk_between(self._midnight(first), self._midnight(first + ONE_WEEK)) - self.week
        last = monday + timedelta(days=7 * weeks)
        holidays = self._sorted_holidays
        for day in holidays[bisect_left(holidays, monday) : bisect_left(holidays, last)]:
            span = self.hours[day.weekday()]
            week_start = day - timedelta(days=day.weekday())
            if span is not None and week_start not in changed:
                total -= self._span_length(span)
        return total

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of working time, counted from `start`, has elapsed."""
        if amount < timedelta(0):
            raise ValueError("amount must not be negative")
        if amount == timedelta(0):
            return start
        cursor, remaining = start, amount
        weeks = remaining // self.week - 1 if self.week else 0
        while weeks > 0:
            # Jump whole weeks (one fewer than the amount holds, so holidays and clock changes
            # inside them can only leave work over), then measure what the jump really covered.
            local = cursor.astimezone(self.timezone)
            landing = datetime.combine(
                local.date() + timedelta(days=7 * weeks), local.time(), tzinfo=self.timezone
            ).astimezone(UTC)
            worked = self.working_time_between(cursor, landing)
            if worked >= remaining:
                weeks //= 2
                continue
            cursor, remaining = landing, remaining - worked
            weeks = remaining // self.week - 1
        for opens, closes in self.windows_from(cursor):
            available = closes - opens
            if remaining <= available:
                return opens + remaining
            remaining -= available
        raise AssertionError("windows_from either yields or raises")  # pragma: no cover

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time elapsed from `start` to `end` (zero if `end` is not after `start`)."""
        if end <= start:
            return timedelta(0)
        first = start.astimezone(self.timezone).date()
        last = end.astimezone(self.timezone).date()
        if (last - first).days < 21:
            return self._walk_between(start, end)
        # The part week up to the first Monday after `start`, the whole weeks, the part week after.
        monday = first + timedelta(days=7 - first.weekday())
        final_monday = last - timedelta(days=last.weekday())
        weeks = (final_monday - monday).days // 7
        return (
            self._walk_between(start, self._midnight(monday))
            + self._whole_weeks(monday, weeks)
            + self._walk_between(self._midnight(final_monday), end)
        )

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        return self.add_working_time(start, timedelta(minutes=minutes))

    def working_minutes_between(self, start: datetime, end: datetime) -> float:
        return self.working_time_between(start, end) / timedelta(minutes=1)


def round_the_clock(timezone: str = "UTC") -> WorkingCalendar:
    """A 24×7 calendar: every minute counts (Sev1/Sev2 clocks)."""
    return WorkingCalendar.build(
        timezone=timezone, working_hours={day: ["00:00", "24:00"] for day in WEEKDAYS}
    )


# Zones whose offset never changes: their weeks need no check for a clock change.
FIXED_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "GMT", "Etc/GMT", "Zulu", "Etc/Zulu"})
