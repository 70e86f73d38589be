"""Working-time arithmetic: worked examples across weekends, holidays and DST, and properties."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
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


def test_it_refuses_to_loop_forever_when_holidays_block_every_working_day():
    every_day = [date(2026, 1, 1) + timedelta(days=n) for n in range(2000)]
    with pytest.raises(CalendarError, match="No working time"):
        office(holidays=every_day).add_working_minutes(local(LONDON, 2026, 1, 1, 9, 0), 60)


# Two years: well inside the calendar's scan limit, so no span can reach it.
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
