"""Working-time arithmetic: worked examples across weekends, holidays and DST, and properties."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from hypercare.calendar import DEFAULT_WORKING_HOURS, CalendarError, WorkingCalendar, round_the_clock

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
ENGLISH_CHRISTMAS_2026 = [date(2026, 12, 25), date(2026, 12, 28)]


def office(timezone: str = "Europe/London", holidays=()) -> WorkingCalendar:
    return WorkingCalendar.build(timezone=timezone, working_hours=DEFAULT_WORKING_HOURS, holidays=holidays)


def local(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz)


def test_it_counts_five_business_days_from_monday_ten_to_next_monday_ten():
    start = local(LONDON, 2026, 3, 9, 10, 0)
    assert office().add_working_minutes(start, 5 * 480) == local(LONDON, 2026, 3, 16, 10, 0)


def test_it_makes_a_target_started_on_saturday_due_at_friday_close():
    start = local(LONDON, 2026, 3, 14, 11, 30)
    assert office().add_working_minutes(start, 5 * 480) == local(LONDON, 2026, 3, 20, 17, 0)


def test_it_starts_counting_at_opening_time_when_started_before_it():
    start = local(LONDON, 2026, 3, 10, 7, 0)
    assert office().add_working_minutes(start, 240) == local(LONDON, 2026, 3, 10, 13, 0)


def test_it_skips_the_spring_forward_weekend_in_london():
    # Clocks go forward on Sunday 29 March 2026: Friday 16:00 GMT + 2 working hours is Monday 10:00 BST.
    start = local(LONDON, 2026, 3, 27, 16, 0)
    due = office().add_working_minutes(start, 120)
    assert due == local(LONDON, 2026, 3, 30, 10, 0)
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def test_it_skips_the_fall_back_weekend_in_london():
    start = local(LONDON, 2026, 10, 23, 16, 0)
    due = office().add_working_minutes(start, 120)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "expected_utc"),
    [
        # New York springs forward on 8 March 2026 and falls back on 1 November 2026.
        (local(NEW_YORK, 2026, 3, 6, 16, 0), datetime(2026, 3, 9, 14, 0, tzinfo=UTC)),
        (local(NEW_YORK, 2026, 10, 30, 16, 0), datetime(2026, 11, 2, 15, 0, tzinfo=UTC)),
    ],
)
def test_it_keeps_new_york_office_hours_across_dst(start, expected_utc):
    assert office("America/New_York").add_working_minutes(start, 120) == expected_utc


def test_it_skips_holidays():
    calendar = office(holidays=ENGLISH_CHRISTMAS_2026)
    start = local(LONDON, 2026, 12, 24, 16, 0)
    assert calendar.add_working_minutes(start, 120) == local(LONDON, 2026, 12, 29, 10, 0)
    assert calendar.working_minutes_between(start, local(LONDON, 2026, 12, 29, 10, 0)) == 120


def test_a_round_the_clock_calendar_counts_real_elapsed_time_across_dst():
    calendar = round_the_clock("Europe/London")
    start = local(LONDON, 2026, 3, 28, 23, 0)
    due = calendar.add_working_minutes(start, 240)
    assert due.astimezone(UTC) == datetime(2026, 3, 29, 3, 0, tzinfo=UTC)
    assert due == local(LONDON, 2026, 3, 29, 4, 0)  # only 3 wall-clock hours later: the 01:00 hour vanished


def test_it_measures_working_minutes_between_two_instants():
    calendar = office()
    friday_afternoon = local(LONDON, 2026, 3, 13, 15, 0)
    monday_morning = local(LONDON, 2026, 3, 16, 10, 30)
    assert calendar.working_minutes_between(friday_afternoon, monday_morning) == 120 + 90
    assert calendar.working_minutes_between(monday_morning, friday_afternoon) == 0


def test_a_business_day_is_the_most_common_working_day_length():
    hours = dict(DEFAULT_WORKING_HOURS, fri=["09:00", "13:00"])
    assert WorkingCalendar.build(timezone="UTC", working_hours=hours).business_day == timedelta(hours=8)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"mon": ["17:00", "09:00"]}, "must be after the start"),
        ({"mon": ["9am", "17:00"]}, "HH:MM"),
        ({"funday": ["09:00", "17:00"]}, "unknown day"),
        (dict.fromkeys(DEFAULT_WORKING_HOURS), "at least one working day"),
    ],
)
def test_it_refuses_bad_working_hours_naming_the_day(hours, message):
    with pytest.raises(CalendarError, match=message):
        WorkingCalendar.build(timezone="UTC", working_hours=hours)


def test_it_counts_past_years_of_holidays_instead_of_giving_up():
    every_day = [date(2026, 1, 1) + timedelta(days=n) for n in range(2000)]  # to Sunday 23 June 2031
    calendar = office(holidays=every_day)
    assert calendar.add_working_minutes(local(LONDON, 2026, 1, 1, 9, 0), 60) == local(
        LONDON, 2031, 6, 24, 10, 0
    )
    assert calendar.working_days_from(date(2026, 1, 1), 1) == [date(2031, 6, 24)]
    assert calendar.working_days_until(date(2031, 6, 23), 1) == [date(2025, 12, 31)]


def test_a_calendar_with_no_working_time_at_all_refuses_instead_of_looping():
    nothing = WorkingCalendar(timezone=LONDON, hours=(None,) * 7, holidays=frozenset())
    with pytest.raises(CalendarError, match="no working time at all"):
        nothing.add_working_minutes(local(LONDON, 2026, 1, 1, 9, 0), 60)
    with pytest.raises(CalendarError, match="no working time at all"):
        nothing.working_days_until(date(2026, 1, 1), 1)


def minute_by_minute(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """The naive oracle: every minute from start to end, counted when its local wall-clock time
    falls in its weekday's hours on a day that is not a holiday."""
    minute, counted = timedelta(minutes=1), 0
    at = start
    while at < end:
        here = at.astimezone(calendar.timezone)
        span = calendar.hours[here.weekday()]
        if span is not None and here.date() not in calendar.holidays:
            opens, closes = span
            if opens <= here.time().replace(tzinfo=None, fold=0) and (closes is None or here.time() < closes):
                counted += 1
        at += minute
    return counted * minute


LONG_SPAN_CALENDARS = [
    office("Europe/London", holidays=ENGLISH_CHRISTMAS_2026 + [date(2026, 3, 30), date(2026, 10, 26)]),
    round_the_clock("America/New_York"),
    WorkingCalendar.build(
        timezone="Asia/Kolkata",
        working_hours={"mon": ["08:30", "24:00"], "sat": ["00:00", "04:00"]},
        holidays=[date(2026, 4, 6)],
    ),
    WorkingCalendar.build(
        timezone="Australia/Sydney",
        working_hours={"tue": ["00:00", "24:00"], "sun": ["00:00", "24:00"], "wed": ["09:00", "17:30"]},
        holidays=[date(2026, 4, 7), date(2026, 10, 6)],
    ),
]
long_span_calendars = st.sampled_from(LONG_SPAN_CALENDARS)


@settings(max_examples=40, deadline=None)
# Whole weeks holding a clock change (New York 8 March, Sydney 5 April and 4 October) or holidays.
@example(round_the_clock("America/New_York"), datetime(2026, 2, 20, 5, 17, tzinfo=UTC), 40, 0)
@example(LONG_SPAN_CALENDARS[3], datetime(2026, 3, 20, tzinfo=UTC), 45, 600)
@example(LONG_SPAN_CALENDARS[3], datetime(2026, 9, 20, tzinfo=UTC), 45, 600)
@example(LONG_SPAN_CALENDARS[0], datetime(2026, 3, 10, 12, tzinfo=UTC), 44, 0)
@given(
    calendar=long_span_calendars,
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=0, max_value=45),
    minutes=st.integers(min_value=0, max_value=24 * 60),
)
def test_the_whole_week_arithmetic_agrees_with_a_minute_by_minute_walk(calendar, start, days, minutes):
    start = start.replace(second=0, microsecond=0)
    end = start + timedelta(days=days, minutes=minutes)  # spans of 22 days and more take whole weeks
    worked = calendar.working_time_between(start, end)
    assert worked == minute_by_minute(calendar, start, end)
    assert calendar.working_time_between(start, calendar.add_working_time(start, worked)) == worked


def test_a_ten_year_span_is_counted_by_weeks_exactly_and_quickly():
    calendar = office(
        holidays=[date(2019, 12, 25), date(2024, 5, 6), date(2022, 1, 1)]
    )  # the last a Saturday
    start, end = local(LONDON, 2016, 6, 1, 15, 0), local(LONDON, 2026, 6, 3, 10, 0)
    weekdays = sum(
        1
        for n in range((end.date() - start.date()).days + 1)
        if (start.date() + timedelta(days=n)).weekday() < 5
    )
    # Whole weekdays, less the two weekday holidays, less 1 June before 15:00 and 3 June after 10:00.
    expected = timedelta(hours=8) * (weekdays - 2) - timedelta(hours=6) - timedelta(hours=7)
    assert calendar.working_time_between(start, end) == expected
    assert calendar.add_working_time(start, expected) == end
    # By whole weeks: only the part weeks and the weeks with a clock change are looked at day by day.
    assert len(calendar._windows) < 400 < (end.date() - start.date()).days


def test_an_open_ticket_from_ten_years_ago_is_measured_up_to_now():
    calendar = round_the_clock("Europe/London")
    # Eleven springs forward and ten autumns back: every clock change is counted.
    start, end = datetime(2016, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    assert calendar.working_time_between(start, end) == end - start
    assert calendar.add_working_time(start, end - start) == end


# Two years of instants: spans from none to two years, so both the day walk and whole weeks are used.
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)
minutes = st.integers(min_value=0, max_value=30 * 480)
calendars = st.sampled_from(
    [
        office("Europe/London", holidays=ENGLISH_CHRISTMAS_2026),
        office("America/New_York"),
        round_the_clock("Europe/London"),
        WorkingCalendar.build(
            timezone="Asia/Kolkata", working_hours={"mon": ["08:30", "24:00"], "sat": ["00:00", "04:00"]}
        ),
    ]
)


@settings(max_examples=150, deadline=None)
@given(calendar=calendars, start=instants, amount=minutes)
def test_adding_working_time_then_measuring_it_gives_it_back(calendar, start, amount):
    due = calendar.add_working_minutes(start, amount)
    assert due >= start
    assert calendar.working_minutes_between(start, due) == pytest.approx(amount)


@settings(max_examples=150, deadline=None)
@given(calendar=calendars, start=instants, first=minutes, second=minutes)
def test_more_working_time_is_never_due_earlier(calendar, start, first, second):
    low, high = sorted([first, second])
    assert calendar.add_working_minutes(start, low) <= calendar.add_working_minutes(start, high)


@settings(max_examples=150, deadline=None)
@given(calendar=calendars, a=instants, b=instants, c=instants)
def test_working_time_adds_up_over_consecutive_spans(calendar, a, b, c):
    a, b, c = sorted([a, b, c])
    whole = calendar.working_time_between(a, c)
    assert whole == calendar.working_time_between(a, b) + calendar.working_time_between(b, c)
