"""Working time (工作日/工作时间) on China's official calendar: public holidays *and* the
adjusted working weekends (调休) that the State Council publishes each year.

Years the district has entered (seeded from the `chinesecalendar` package) are exact. For a year
nobody has entered yet, deadlines are still computed — weekends and the fixed-date holidays
off — and marked as estimates, so the dashboard can warn that the year needs entering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from .clock import CHINA_TZ
from .errors import ErrorDetail, InvalidInput
from .registry import TimeLimit

# Holidays with a fixed solar date; the lunar ones (Spring Festival, Qingming, Dragon Boat,
# Mid-Autumn) move and cannot be guessed for a year without the published schedule.
FIXED_HOLIDAYS = {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}
DEFAULT_WINDOWS = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))


@dataclass(frozen=True)
class YearCalendar:
    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]  # weekend days that are working days (调休上班)
    source: str = "district"


@dataclass(frozen=True)
class Deadline:
    at: datetime
    estimated: bool = False  # some day in the span came from a year not yet entered


@dataclass(frozen=True)
class WorkCalendar:
    years: dict[int, YearCalendar] = field(default_factory=dict)
    windows: tuple[tuple[time, time], ...] = DEFAULT_WINDOWS

    def known(self, year: int) -> bool:
        return year in self.years

    def is_working_day(self, day: date) -> bool:
        entered = self.years.get(day.year)
        if entered is not None:
            if day in entered.workdays:
                return True
            return day.weekday() < 5 and day not in entered.holidays
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS

    def add(self, start: datetime, limit: TimeLimit) -> Deadline:
        """The moment `limit` after `start`."""
        if limit.unit == "hours":
            return Deadline(start + timedelta(hours=limit.amount))
        local = start.astimezone(CHINA_TZ)
        if limit.unit == "working_days":
            return self._add_days(local, limit.amount)
        return self._add_hours(local, limit.amount)

    def _add_days(self, local: datetime, days: int) -> Deadline:
        """N working days later at the same time of day, counted from the first working
        moment: a start before office hours counts from their opening, a start after them
        or on a day off from the next working day's opening."""
        start, estimated = self.start_of_work(local)
        day = start.date()
        for _ in range(days):
            day, skipped = self._next_working_day(day)
            estimated |= skipped
        return Deadline(datetime.combine(day, start.timetz()), estimated)

    def start_of_work(self, local: datetime) -> tuple[datetime, bool]:
        """The first working moment at or after `local` (China time), and whether a day of
        a year not yet entered was passed on the way."""
        local = local.astimezone(CHINA_TZ)
        day = local.date()
        estimated = not self.known(day.year)
        opens, closes = self.windows[0][0], self.windows[-1][1]
        if self.is_working_day(day) and local.time() <= closes:
            if local.time() < opens:
                return datetime.combine(day, opens, CHINA_TZ), estimated
            return local, estimated
        day, skipped = self._next_working_day(day)
        return datetime.combine(day, opens, CHINA_TZ), estimated or skipped

    def next_working_day_at(self, after: datetime, at: time) -> datetime:
        """`at` (China time) on the first working day after the China date of `after`: when
        the next daily digest goes out."""
        day, _ = self._next_working_day(after.astimezone(CHINA_TZ).date())
        return datetime.combine(day, at, CHINA_TZ)

    def _next_working_day(self, day: date) -> tuple[date, bool]:
        estimated = False
        day += timedelta(days=1)
        while True:
            estimated |= not self.known(day.year)
            if self.is_working_day(day):
                return day, estimated
            day += timedelta(days=1)

    def _add_hours(self, local: datetime, hours: int) -> Deadline:
        """Counts only office hours of working days."""
        remaining = timedelta(hours=hours)
        day = local.date()
        cursor = local
        estimated = not self.known(day.year)
        while True:
            if self.is_working_day(day):
                for opens, closes in self.windows:
                    window_start = datetime.combine(day, opens, CHINA_TZ)
                    window_end = datetime.combine(day, closes, CHINA_TZ)
                    begin = max(cursor, window_start)
                    if begin >= window_end:
                        continue
                    available = window_end - begin
                    if available >= remaining:
                        return Deadline(begin + remaining, estimated)
                    remaining -= available
            day += timedelta(days=1)
            estimated |= not self.known(day.year)
            cursor = datetime.combine(day, time(0, 0), CHINA_TZ)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: the inverse of `add` for whole working days."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def entered_year(year: int, holidays: list[str], workdays: list[str]) -> YearCalendar:
    """A year as the district enters it: dates of that year; the adjusted working days
    (调休上班) are weekend days, since a weekday needs no adjustment. Every problem is listed."""
    problems = []
    days: dict[str, set[date]] = {"holidays": set(), "workdays": set()}
    for name, texts in (("holidays", holidays), ("workdays", workdays)):
        for index, text in enumerate(texts):
            try:
                day = date.fromisoformat(text)
            except ValueError:
                problems.append(ErrorDetail(f"{name}/{index}", "invalid_date", "Not a date."))
                continue
            if day.year != year:
                problems.append(ErrorDetail(f"{name}/{index}", "wrong_year", f"Not in {year}."))
            days[name].add(day)
    for index, day in enumerate(sorted(days["workdays"])):
        if day.weekday() < 5:
            problems.append(
                ErrorDetail(
                    f"workdays/{index}", "not_a_weekend", "Adjusted working days are weekend days."
                )
            )
    if problems:
        raise InvalidInput(
            "The calendar has problems; nothing was changed.", "invalid_calendar", problems
        )
    return YearCalendar(year, frozenset(days["holidays"]), frozenset(days["workdays"]), "district")
