"""Time and identifiers, injected so the rules never read the wall clock or the RNG themselves."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

# China has kept one offset all year since 1991; a fixed offset needs no tz database in Lambda.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class IdSource(Protocol):
    def token(self, nbytes: int) -> str:
        """An unguessable URL-safe token of `nbytes` random bytes."""
        ...

    def digits(self, count: int) -> str:
        """`count` random decimal digits."""
        ...

    def uuid(self) -> str: ...


class SecureIds:
    def token(self, nbytes: int) -> str:
        return secrets.token_urlsafe(nbytes)

    def digits(self, count: int) -> str:
        return "".join(secrets.choice("0123456789") for _ in range(count))

    def uuid(self) -> str:
        return uuid.uuid4().hex


def iso(instant: datetime) -> str:
    """W3C/ISO-8601 text with offset, to the millisecond, in UTC for storage and sorting."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def china_date(instant: datetime) -> str:
    """The calendar date in China (YYYY-MM-DD) of an instant."""
    return instant.astimezone(CHINA_TZ).date().isoformat()
