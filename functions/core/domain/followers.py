"""Followers (关注的居民): residents other than the reporter who are waiting on a case — those who
pressed "我也遇到 (me too)", and the reporter and followers of a case merged into it.

Each is kept as an item of its own beside the case (the case stays small, however many join):
the phone sealed as the reporter's is, the messages this follower was sent (capped per follower
exactly as the reporter's are, see `cases.may_tell`) and their choice of messages. A follower
sees the case's progress and result, never the reporter's words, photos or number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from .cases import SealedPhone, may_tell


class Joined(StrEnum):
    ME_TOO = "me_too"  # pressed 我也遇到 on this case
    MERGED_REPORTER = "merged_reporter"  # reported a case that was merged into this one
    MERGED_FOLLOWER = "merged_follower"  # followed a case that was merged into this one


MAX_TOLD_FOLLOWERS = 30
"""Followers of one case who are sent its SMS (the earliest to join). A transition writes each
follower's message and its count in the same transaction as the case (never lost, never twice),
and a DynamoDB transaction holds 100 items: 30 followers × 2 (× 3 in a merge, which also moves
them) leave room for the cases, their events and the staff's messages. Later followers still
count, see the case and may rate it."""


@dataclass
class Follower:
    case_code: str
    phone: SealedPhone
    joined_at: datetime
    joined: Joined
    from_case: str | None = None  # the merged case they came from
    note: str | None = None  # their line, for staff only
    photos: tuple[str, ...] = ()
    told: tuple[str, ...] = ()
    quiet: bool = False
    rating: dict[str, Any] | None = None
    version: int | None = None

    def tell(self, template: str) -> bool:
        """Count the message if this follower may be sent it; False when capped or opted out."""
        if not self.phone.ciphertext or not may_tell(self.told, self.quiet, template):
            return False
        self.told = (*self.told, template)
        return True

    def moved_to(self, case_code: str, joined: Joined, from_case: str, at: datetime) -> Follower:
        """The same resident following the case theirs was merged into (a fresh message count:
        the new case's messages are new to them)."""
        return Follower(
            case_code=case_code,
            phone=self.phone,
            joined_at=at,
            joined=joined,
            from_case=from_case,
            quiet=self.quiet,
        )
