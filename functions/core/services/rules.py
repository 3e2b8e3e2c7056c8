"""The rules in force for a case: its category's time limits on the district's calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from ..domain.cases import Policy
from ..domain.registry import Limits, TimeLimit
from ..ports import CalendarSource, RegistrySource

# For a case whose category was removed from the registry since it was reported.
FALLBACK_LIMITS = Limits(
    triage=TimeLimit(1, "working_days"),
    claim=TimeLimit(4, "working_hours"),
    resolve=TimeLimit(5, "working_days"),
)


@dataclass(frozen=True)
class Rules:
    registry: RegistrySource
    calendar: CalendarSource
    purge_after_days: int = 180
    digest_at: time = time(8, 30)  # China time: the daily escalation digest (services/digest.py)

    def policy(self, category_id: str) -> Policy:
        category = self.registry.current().categories.get(category_id)
        return Policy(
            calendar=self.calendar.current(),
            limits=category.limits if category else FALLBACK_LIMITS,
            purge_after=timedelta(days=self.purge_after_days),
            digest_at=self.digest_at,
        )
