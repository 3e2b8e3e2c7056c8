"""The small interfaces the use cases need; adapters implement them, tests fake them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .domain.calendar import WorkCalendar
from .domain.cases import Case, CaseEvent, SealedPhone
from .domain.registry import Registry


@dataclass(frozen=True)
class IdempotencyRecord:
    """A request accepted under a client's Idempotency-Key, kept so a retry gets the same
    answer: for a report, its case and (sealed) token; for a staff action, its response."""

    key: str
    fingerprint: str
    case_code: str
    sealed_token: str
    created_at: datetime
    expires_at: datetime
    response: dict[str, Any] | None = None


@dataclass(frozen=True)
class Notification:
    """One message to send: the outbox entry a transition writes in its own transaction."""

    id: str
    case_code: str
    channel: str  # email | sms | webhook
    recipient: str  # email address, webhook URL, or a sealed phone number (sms)
    recipient_display: str  # safe to show: never a phone number in clear
    template: str
    subject: str
    body: str
    created_at: datetime
    department: str | None = None
    webhook_kind: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[Case] = field(default_factory=list)
    cursor: str | None = None


@dataclass(frozen=True)
class CounterHit:
    """Count one request in a rate-limit window, refused when the window already holds `cap`."""

    key: str  # "{what}#{window number}"
    cap: int
    expires_at: datetime
    retry_after: int  # seconds, for the 429's Retry-After


class RateLimitHit(Exception):
    def __init__(self, hit: CounterHit) -> None:
        super().__init__(hit.key)
        self.hit = hit


class Counters(Protocol):
    def counts(
        self, keys: list[str], now: datetime, window_seconds: int
    ) -> dict[str, tuple[int, int]]: ...


class CodeTaken(Exception):
    """The generated case code already exists; pick another."""


class IdempotencyKeyTaken(Exception):
    """Another request already stored a report under this idempotency key."""


class CaseStore(Protocol):
    def add_reported(
        self,
        case: Case,
        record: IdempotencyRecord,
        now: datetime,
        hits: tuple[CounterHit, ...] = (),
    ) -> None:
        """Store a new case, its first events, the idempotency record and the rate-limit
        counts atomically. Raises CodeTaken, IdempotencyKeyTaken or RateLimitHit and stores
        nothing in each case."""
        ...

    def save(
        self,
        case: Case,
        notifications: list[Notification],
        now: datetime,
        record: IdempotencyRecord | None = None,
    ) -> None:
        """Store a transition atomically (case, events, notifications, idempotency record);
        a Conflict when the case changed since it was read."""
        ...

    def lease(self, code: str, timer_at: str, until: datetime, now: datetime) -> Case | None: ...

    def idempotency(self, key: str) -> IdempotencyRecord | None: ...

    def get(self, code: str) -> Case | None: ...

    def timeline(self, code: str) -> list[CaseEvent]: ...

    def inbox(self, community: str, limit: int, cursor: str | None) -> Page: ...

    def community_cases(self, community: str, limit: int, cursor: str | None) -> Page: ...

    def department_open(self, department: str, limit: int, cursor: str | None) -> Page: ...

    def department_cases(self, department: str, limit: int, cursor: str | None) -> Page: ...

    def compound_cases(self, compound: str, limit: int, cursor: str | None) -> Page: ...

    def district_cases(self, district: str, limit: int, cursor: str | None) -> Page: ...

    def recent_in_compound(self, compound: str, since: datetime, limit: int) -> list[Case]: ...

    def due(self, now: datetime, limit: int) -> list[tuple[str, str]]: ...


class RegistrySource(Protocol):
    def current(self) -> Registry:
        """The registry in force (may be cached for a short while)."""
        ...


class CalendarSource(Protocol):
    def current(self) -> WorkCalendar: ...


@dataclass(frozen=True)
class StoredPhoto:
    size: int
    content_type: str


class PhotoStore(Protocol):
    def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, Any]:
        """A presigned POST ({url, fields}) that only accepts this key, type and size."""
        ...

    def stat(self, key: str) -> StoredPhoto | None: ...

    def copy(self, source: str, target: str) -> None: ...

    def url(self, key: str, expires_in: int) -> str: ...


class PhoneVault(Protocol):
    def seal_phone(self, number: str) -> SealedPhone: ...

    def open_phone(self, sealed: SealedPhone) -> str: ...

    def seal(self, purpose: str, secret: str) -> str: ...

    def open(self, purpose: str, sealed: str) -> str: ...

    def keyed_hash(self, purpose: str, value: str) -> str: ...
