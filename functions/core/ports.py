"""The small interfaces the use cases need — every one of them, in one place. Adapters
implement them and import only this module and the domain; tests fake them; services
depend on them and never on an adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from .domain.calendar import WorkCalendar, YearCalendar
from .domain.cases import Case, CaseEvent, SealedPhone
from .domain.metrics import Tally
from .domain.registry import Registry
from .domain.staff import Scope

# -- cases -------------------------------------------------------------------------------------


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
class Page:
    items: list[Case] = field(default_factory=list)
    cursor: str | None = None


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

    def get_many(self, codes: list[str]) -> dict[str, Case]:
        """The cases of these codes that exist, by code (batched reads, not one a code)."""
        ...

    def timeline(self, code: str) -> list[CaseEvent]: ...

    def inbox(self, community: str, limit: int, cursor: str | None) -> Page: ...

    def community_cases(self, community: str, limit: int, cursor: str | None) -> Page: ...

    def department_open(self, department: str, limit: int, cursor: str | None) -> Page: ...

    def department_cases(self, department: str, limit: int, cursor: str | None) -> Page: ...

    def compound_cases(self, compound: str, limit: int, cursor: str | None) -> Page: ...

    def district_cases(self, district: str, limit: int, cursor: str | None) -> Page: ...

    def recent_in_compound(self, compound: str, since: datetime, limit: int) -> list[Case]: ...

    def created_between(
        self, district: str, start: datetime, end: datetime, limit: int
    ) -> list[Case]: ...

    def overdue(self, limit: int = 500) -> list[Case]: ...

    def due(self, now: datetime, limit: int) -> list[tuple[str, str]]: ...


# -- rate limits -------------------------------------------------------------------------------


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


class Limiter(Protocol):
    def hit(self, key: str, limit: int, window_seconds: int, now: datetime) -> bool:
        """Count one hit in the current window; False (and nothing counted) at the limit."""
        ...


class CounterStore(Limiter, Protocol):
    """The rate-limit counters' table (a report's own counts go in its transaction)."""


# -- the registry and the calendar -----------------------------------------------------------


class RegistrySource(Protocol):
    def current(self) -> Registry:
        """The registry in force (may be cached for a short while)."""
        ...


class RegistryWriter(Protocol):
    def replace(self, registry: Registry) -> int: ...


class CalendarSource(Protocol):
    def current(self) -> WorkCalendar: ...

    def invalidate(self) -> None:
        """Forget a cached calendar, so the next read sees a change at once."""
        ...


class CalendarWriter(Protocol):
    def put(self, year: YearCalendar) -> None: ...


class ApiKeyStore(Protocol):
    """Open311 clients' API keys (only the hash of each secret)."""

    def get(self, key_id: str) -> dict[str, Any] | None: ...

    def put(self, key_id: str, data: dict[str, Any]) -> None: ...

    def all(self) -> list[dict[str, Any]]: ...


# -- photos and personal data ----------------------------------------------------------------


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

    def read(self, key: str) -> bytes: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def delete(self, keys: list[str]) -> None: ...

    def url(self, key: str, expires_in: int) -> str: ...


class PhoneVault(Protocol):
    def seal_phone(self, number: str) -> SealedPhone: ...

    def open_phone(self, sealed: SealedPhone) -> str: ...

    def seal(self, purpose: str, secret: str) -> str: ...

    def open(self, purpose: str, sealed: str) -> str: ...

    def keyed_hash(self, purpose: str, value: str) -> str: ...


# -- the outbox --------------------------------------------------------------------------------


class MessageChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"  # a work-chat robot


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENDING = "sending"  # leased by a sender, outcome not yet recorded
    SENT = "sent"
    DEAD = "dead"  # given up: failed too often, or its sender stopped while sending


@dataclass(frozen=True)
class Notification:
    """One message in the outbox: written by a transition in its own transaction, then
    leased, sent and marked by the dispatch job."""

    id: str
    case_code: str
    channel: MessageChannel
    recipient: str  # email address, webhook URL, or a sealed phone number (sms)
    recipient_display: str  # safe to show: never a phone number in clear
    template: str
    subject: str
    body: str
    created_at: datetime
    department: str | None = None
    webhook_kind: str | None = None
    link: str | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    lease_until: datetime | None = None


class NotificationStore(Protocol):
    def pending(self, now: datetime, limit: int) -> list[Notification]:
        """Notifications due for an attempt, and in-flight ones whose sender may have stopped."""
        ...

    def lease(self, notification: Notification, now: datetime, until: datetime) -> bool: ...

    def sent(self, notification: Notification, now: datetime) -> None: ...

    def failed(
        self, notification: Notification, now: datetime, error: str, retry_at: datetime | None
    ) -> None: ...

    def postpone(self, notification: Notification, until: datetime) -> None: ...


class TransientError(Exception):
    """The provider refused or failed this time; another attempt may succeed."""


class Throttled(Exception):
    """A robot's rate limit is reached for this minute; try again after it."""


class Transport(Protocol):
    def send(self, notification: Notification, now: datetime) -> None:
        """Deliver one message; TransientError or Throttled when it did not go out."""
        ...


# -- metrics -----------------------------------------------------------------------------------


class MetricStore(Protocol):
    def day_events(self, day: date) -> list[CaseEvent]: ...

    def period(self, period: str, prefix: str | None = None) -> dict[str, Tally]: ...

    def backlog(self, period: str) -> dict[str, dict[str, int]]: ...

    def get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Tally]: ...

    def replace(
        self, period: str, tallies: dict[str, Tally], fixed: list[dict[str, Any]] | None = None
    ) -> int: ...

    def fixed(self, days: list[str]) -> list[dict[str, Any]]: ...

    def put_fees(self, rows: list[dict[str, Any]]) -> None: ...

    def fees(self, month: str) -> list[dict[str, Any]]: ...


class OverdueSource(Protocol):
    def overdue(self, limit: int = 500) -> list[Case]: ...


# -- staff accounts ----------------------------------------------------------------------------


class Directory(Protocol):
    def all(self) -> list[dict[str, Any]]: ...

    def invite(
        self, username: str, name: str, email: str, scopes: list[Scope]
    ) -> dict[str, Any]: ...

    def set_scopes(self, username: str, scopes: list[Scope]) -> dict[str, Any]: ...

    def set_enabled(self, username: str, enabled: bool) -> dict[str, Any]: ...


class TokenVerifier(Protocol):
    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid staff access token; Unauthorized for anything else."""
        ...
