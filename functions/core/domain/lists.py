"""What a staff work list asks for: which cases (stage, kind, community, department, overdue,
residents waiting, words), in which order. Plain rules, so the same filter is applied the same
way to cases read into memory and, as a DynamoDB filter expression, by the case store.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .cases import OPEN, Case, Status


class Sort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    DUE = "due"  # due soonest: the nearest (or most overdue) deadline first
    WAITING = "waiting"  # most residents waiting first


@dataclass(frozen=True)
class CaseFilter:
    """Every condition is optional; an empty filter matches every case."""

    statuses: frozenset[Status] = frozenset()
    category: str | None = None
    community: str | None = None
    department: str | None = None
    overdue: bool = False
    min_waiting: int = 1
    words: tuple[str, ...] = ()

    def matches(self, case: Case) -> bool:
        return self.matches_scope(case) and (not self.statuses or case.status in self.statuses)

    def matches_scope(self, case: Case) -> bool:
        """Everything but the stage: what the per-stage counts are counted under."""
        if self.category and case.category != self.category:
            return False
        if self.community and case.community != self.community:
            return False
        if self.department and case.department != self.department:
            return False
        if self.overdue and not (case.overdue and case.status in OPEN):
            return False
        if case.residents_waiting < self.min_waiting:
            return False
        return all(_has_word(case, word) for word in self.words)

    @property
    def searches(self) -> bool:
        """Conditions no tally counts: with them, a total is known only once everything was read."""
        return bool(self.words) or self.overdue or self.min_waiting > 1


def _has_word(case: Case, word: str) -> bool:
    return word in case.code or word in case.address or word in case.description


def search_words(text: str) -> tuple[str, ...]:
    """The words of a search box: split on spaces, each kept whole (Chinese has no spaces
    between words, so "幸福路 路灯" is two words, each matched as a substring)."""
    return tuple(dict.fromkeys(w for w in text.split() if w))[:5]
