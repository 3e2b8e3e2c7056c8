"""The small interfaces the use cases need; adapters implement them, tests fake them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .domain.cases import Case, CaseEvent, SealedPhone
from .domain.registry import Registry


@dataclass(frozen=True)
class IdempotencyRecord:
    """A report accepted under a client's Idempotency-Key, kept so a retry gets the same case."""

    key: str
    fingerprint: str
    case_code: str
    sealed_token: str
    created_at: datetime
    expires_at: datetime


class CodeTaken(Exception):
    """The generated case code already exists; pick another."""


class IdempotencyKeyTaken(Exception):
    """Another request already stored a report under this idempotency key."""


class CaseStore(Protocol):
    def add_reported(self, case: Case, record: IdempotencyRecord, now: datetime) -> None:
        """Store a new case, its first events and the idempotency record atomically.

        Raises CodeTaken or IdempotencyKeyTaken and stores nothing when either exists.
        """
        ...

    def idempotency(self, key: str) -> IdempotencyRecord | None: ...

    def get(self, code: str) -> Case | None: ...

    def timeline(self, code: str) -> list[CaseEvent]: ...


class RegistrySource(Protocol):
    def current(self) -> Registry:
        """The registry in force (may be cached for a short while)."""
        ...


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
