"""Typed errors at the domain edge. Each carries the HTTP status its entrypoint maps it to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    """One problem with an input: which field, a stable code, a readable message."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class DomainError(Exception):
    message: str
    code: str = "bad_request"
    details: list[ErrorDetail] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    status = 400

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "details": [d.as_dict() for d in self.details],
            }
        }


class InvalidInput(DomainError):
    status = 400


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """A stale write, an illegal transition or an idempotency key reused for another request."""

    status = 409


class PayloadTooLarge(DomainError):
    status = 413


class RateLimited(DomainError):
    status = 429


class Unavailable(DomainError):
    """A service we depend on cannot answer now; retrying later may work."""

    status = 503


def invalid(field_name: str, code: str, message: str) -> InvalidInput:
    """A single-field input error."""
    return InvalidInput(
        message=message, code=code, details=[ErrorDetail(field_name, code, message)]
    )
