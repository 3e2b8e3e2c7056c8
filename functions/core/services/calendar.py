"""The working-day calendar (district): what is entered, and entering a year."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..domain.calendar import entered_year
from ..domain.clock import Clock
from ..domain.errors import ErrorDetail, InvalidInput
from ..domain.staff import Principal, Role
from ..ports import CalendarSource, CalendarWriter

_YEAR = re.compile(r"[0-9]{4}")  # ASCII only: str.isdigit() also takes "２０２７"


@dataclass(frozen=True)
class CalendarDeps:
    clock: Clock
    calendar: CalendarSource
    store: CalendarWriter


def calendar_view(deps: CalendarDeps) -> dict[str, Any]:
    """Every entered year, and this year or next when not entered yet (deadlines in them
    are estimates, which the dashboard warns about)."""
    current = deps.calendar.current()
    this_year = deps.clock.now().year
    return {
        "years": [
            {
                "year": y.year,
                "source": y.source,
                "holidays": sorted(d.isoformat() for d in y.holidays),
                "workdays": sorted(d.isoformat() for d in y.workdays),
            }
            for y in sorted(current.years.values(), key=lambda y: y.year)
        ],
        "missing": [y for y in (this_year, this_year + 1) if not current.known(y)],
    }


def enter_year(
    deps: CalendarDeps, principal: Principal, year: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Replace one year's holidays and adjusted working days; in force at once."""
    principal.require(Role.DISTRICT)
    if not _YEAR.fullmatch(year) or not 2000 <= int(year) <= 2100:
        raise InvalidInput(
            "Give a year such as 2027.",
            "invalid_year",
            [ErrorDetail("year", "invalid_year", "Give a year such as 2027.")],
        )
    entered = entered_year(int(year), body["holidays"], body["workdays"])
    deps.store.put(entered)
    deps.calendar.invalidate()
    return {
        "year": entered.year,
        "holidays": len(entered.holidays),
        "workdays": len(entered.workdays),
    }
