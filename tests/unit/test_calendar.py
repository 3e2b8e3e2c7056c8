"""Working time on China's official calendar (holidays and adjusted working weekends)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from chinese_calendar import constants
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.domain.calendar import WorkCalendar, YearCalendar
from functions.core.domain.clock import CHINA_TZ
from functions.core.domain.registry import TimeLimit


def official(*years: int) -> WorkCalendar:
    return WorkCalendar(
        years={
            y: YearCalendar(
                y,
                frozenset(d for d in constants.holidays if d.year == y),
                frozenset(d for d in constants.workdays if d.year == y),
                "chinesecalendar",
            )
            for y in years
        }
    )


def china(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TZ)


CALENDAR = official(2025, 2026)


def test_a_limit_spanning_national_day_skips_the_whole_holiday():
    # Tue 2026-09-29 10:00 + 5 working days: Wed 30, then 1–7 Oct are holidays, Thu 8,
    # Fri 9, Sat 10 (an adjusted working Saturday) and Mon 12.
    deadline = CALENDAR.add(china("2026-09-29T10:00"), TimeLimit(5, "working_days"))
    assert deadline.at == china("2026-10-12T10:00")
    assert not deadline.estimated


def test_an_adjusted_working_saturday_counts_as_a_working_day():
    assert CALENDAR.is_working_day(date(2026, 10, 10))  # Saturday, 调休上班
    assert not CALENDAR.is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    # Fri 2026-10-09 16:00 + 2 working hours: 1.5 h on Friday, the rest on Saturday morning.
    deadline = CALENDAR.add(china("2026-10-09T16:00"), TimeLimit(2, "working_hours"))
    assert deadline.at == china("2026-10-10T09:00")


def test_a_deadline_in_a_year_not_yet_entered_is_computed_and_marked_as_an_estimate():
    # Whistled Mon 2026-12-28 with 5 working days: 29, 30, 31 Dec, then 1 Jan 2027 (New
    # Year's Day) and the weekend are off: Mon 4 and Tue 5 Jan.
    deadline = CALENDAR.add(china("2026-12-28T10:00"), TimeLimit(5, "working_days"))
    assert deadline.at == china("2027-01-05T10:00")
    assert deadline.estimated
    assert not CALENDAR.known(2027)


def test_working_hours_count_only_office_hours():
    # Mon 2026-11-23 11:00 + 4 working hours: 11:00–12:00 (1 h) and 14:00–17:00 (3 h).
    deadline = CALENDAR.add(china("2026-11-23T11:00"), TimeLimit(4, "working_hours"))
    assert deadline.at == china("2026-11-23T17:00")
    # Starting at 17:00 the same limit ends the next morning at 12:00.
    late = CALENDAR.add(china("2026-11-23T17:00"), TimeLimit(4, "working_hours"))
    assert late.at == china("2026-11-24T12:00")


def test_plain_hours_run_around_the_clock():
    deadline = CALENDAR.add(china("2026-10-01T20:00"), TimeLimit(24, "hours"))
    assert deadline.at == china("2026-10-02T20:00")


def test_a_start_on_a_day_off_counts_from_the_next_working_morning():
    deadline = CALENDAR.add(china("2026-11-28T15:00"), TimeLimit(1, "working_days"))  # Sat
    assert deadline.at == china("2026-12-01T08:30")  # Mon 08:30 counts as day 0


moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=CHINA_TZ)
)


@settings(max_examples=300, deadline=None)
@given(start=moments, days=st.integers(min_value=0, max_value=40))
def test_a_deadline_never_precedes_its_start_and_spans_exactly_the_working_days(start, days):
    deadline = CALENDAR.add(start, TimeLimit(days, "working_days"))
    assert deadline.at >= start
    assert CALENDAR.is_working_day(deadline.at.date())
    first, _ = CALENDAR.start_of_work(start)
    assert CALENDAR.working_days_between(first.date(), deadline.at.date()) == days
    passed = (deadline.at.date() - start.date()).days
    estimated = any(
        not CALENDAR.known((start.date() + timedelta(days=i)).year) for i in range(passed + 1)
    )
    assert deadline.estimated == estimated


@settings(max_examples=300, deadline=None)
@given(start=moments, hours=st.integers(min_value=1, max_value=60))
def test_a_working_hours_deadline_falls_inside_office_hours_of_a_working_day(start, hours):
    deadline = CALENDAR.add(start, TimeLimit(hours, "working_hours"))
    assert deadline.at > start
    moment = deadline.at.astimezone(CHINA_TZ)
    assert CALENDAR.is_working_day(moment.date())
    assert any(opens < moment.time() <= closes for opens, closes in CALENDAR.windows)


@settings(max_examples=200, deadline=None)
@given(start=moments, extra=st.integers(min_value=0, max_value=10))
def test_a_later_start_never_gives_an_earlier_deadline(start, extra):
    later = start + timedelta(hours=extra)
    limit = TimeLimit(3, "working_days")
    assert CALENDAR.add(later, limit).at >= CALENDAR.add(start, limit).at


def test_every_calendar_day_of_a_known_year_follows_the_official_schedule():
    for day in (date(2026, 1, 1) + timedelta(days=i) for i in range(365)):
        official_working = (day in constants.workdays) or (
            day.weekday() < 5 and day not in constants.holidays
        )
        assert CALENDAR.is_working_day(day) == official_working, day


def test_windows_are_office_hours():
    assert CALENDAR.windows[0][0] == time(8, 30)


def test_an_entered_year_lists_every_problem_and_keeps_weekend_workdays_only():
    from functions.core.domain.calendar import entered_year
    from functions.core.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        entered_year(2027, ["2027-10-01", "2026-12-31", "soon"], ["2027-02-08", "2027-02-07"])
    assert {(d.field, d.code) for d in caught.value.details} == {
        ("holidays/1", "wrong_year"),
        ("holidays/2", "invalid_date"),
        ("workdays/1", "not_a_weekend"),  # sorted: 2027-02-08 is a Monday
    }
    year = entered_year(2027, ["2027-10-01"], ["2027-02-07"])
    assert year.source == "district" and len(year.workdays) == 1
