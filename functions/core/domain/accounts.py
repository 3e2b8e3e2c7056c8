"""Staff accounts (工作人员账号), kept by Whistle itself in every region.

An account holds who the staff member is, their scopes, whether they may sign in, a password
hash (never the password), an optional TOTP second factor (sealed), the work-chat user ids
linked to it, and a *generation*: every access and refresh token names the generation it was
issued under, so raising it (sign-out, disable, password reset, a refresh token used twice)
revokes every token of the account at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .clock import iso
from .errors import ErrorDetail, InvalidInput
from .staff import Principal, Scope


class WorkChat(StrEnum):
    """The work-chat apps staff may sign in with."""

    WECOM = "wecom"  # 企业微信
    DINGTALK = "dingtalk"  # 钉钉


@dataclass(frozen=True)
class LockoutPolicy:
    """Wrong passwords or second-factor codes in a row before a username is locked, and for
    how long. Counted per username, existing or not, so a lock says nothing about whether
    an account exists."""

    max_failures: int = 5
    lock_minutes: int = 15


@dataclass(frozen=True)
class Lockout:
    failures: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


@dataclass
class Account:
    username: str
    name: str
    email: str
    scopes: tuple[Scope, ...]
    password_hash: str
    created_at: datetime
    updated_at: datetime
    enabled: bool = True
    must_change_password: bool = False
    totp_secret: str | None = None  # sealed with the vault
    totp_pending: str | None = None  # sealed; enrolled but not yet confirmed with a code
    totp_last_step: int = 0  # the last time step a code was accepted for (no replays)
    work_chat: dict[WorkChat, str] = field(default_factory=dict)
    generation: int = 0
    version: int | None = None

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None

    def principal(self) -> Principal:
        return Principal(self.username, tuple(sorted(set(self.scopes))))

    def revoke_sessions(self, now: datetime) -> None:
        """Every token issued so far stops working."""
        self.generation += 1
        self.updated_at = now

    def view(self, lockout: Lockout | None = None, now: datetime | None = None) -> dict[str, Any]:
        """What district staff see of an account (never a hash or a secret)."""
        locked_until = lockout.locked_until if lockout and now and lockout.locked(now) else None
        return {
            "username": self.username,
            "name": self.name,
            "email": self.email,
            "enabled": self.enabled,
            "scopes": [str(s) for s in sorted(set(self.scopes))],
            "must_change_password": self.must_change_password,
            "totp": self.has_totp,
            "work_chat": {kind.value: user for kind, user in sorted(self.work_chat.items())},
            "locked_until": iso(locked_until) if locked_until else None,
            "created_at": iso(self.created_at),
        }


MIN_PASSWORD = 10
MAX_PASSWORD = 128


def check_new_password(password: str, username: str, old_password: str | None = None) -> None:
    """A password staff may choose: 10–128 characters with letters and digits, not the
    username, not the password it replaces."""
    problems = []
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        problems.append(
            ErrorDetail(
                "new_password",
                "password_length",
                f"Use {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
            )
        )
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        problems.append(
            ErrorDetail("new_password", "password_too_simple", "Use letters and digits.")
        )
    if username and username.lower() in password.lower():
        problems.append(
            ErrorDetail("new_password", "password_has_username", "Leave the username out.")
        )
    if old_password is not None and password == old_password:
        problems.append(ErrorDetail("new_password", "password_unchanged", "Choose a new password."))
    if problems:
        raise InvalidInput("Choose another password.", "weak_password", problems)


def refresh_token_hash(token: str) -> str:
    """How a refresh token is stored and looked up: 256 random bits need no salt or key."""
    return hashlib.sha256(token.encode()).hexdigest()


def session_end(signed_in_at: datetime, hours: int) -> datetime:
    """When a sign-in's refresh tokens stop working, however often they are rotated."""
    return signed_in_at + timedelta(hours=hours)
