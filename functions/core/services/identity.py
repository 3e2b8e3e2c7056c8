"""Staff identity, the same in every region: sign-in with a password (and a TOTP code when the
account has one), a new password at the first sign-in and after a reset, refresh, sign-out,
sign-in with WeCom or DingTalk, and the authorizer's check of every staff request.

Rules that hold throughout:
- An answer never tells whether a username exists: an unknown name costs the same hash work
  as a wrong password, gets the same answer, and is locked after the same failures.
- Every token names the account's generation; raising it (sign-out, disable, reset, a refresh
  token used twice) ends every session of the account at once.
- A request's powers are the account's now (read through a cache of a few seconds), never
  what a token said when it was issued.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..config import Identity
from ..domain.accounts import (
    Account,
    WorkChat,
    check_new_password,
    refresh_token_hash,
    session_end,
)
from ..domain.clock import Clock, IdSource
from ..domain.errors import (
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from ..domain.staff import Principal
from ..domain.totp import accepted_step, new_secret, provisioning_uri
from ..ports import (
    AccessTokens,
    AccountSource,
    AccountStore,
    Limiter,
    Lockouts,
    PasswordHasher,
    PhoneVault,
    RefreshRecord,
    SessionStore,
    WorkChatSignIn,
    WorkChatUnavailable,
)

TOTP_PURPOSE = "totp"  # what the vault binds a sealed TOTP secret to


@dataclass
class IdentityDeps:
    clock: Clock
    ids: IdSource
    accounts: AccountStore
    current: AccountSource
    sessions: SessionStore
    access: AccessTokens
    hasher: PasswordHasher
    lockouts: Lockouts
    limiter: Limiter
    vault: PhoneVault
    work_chat: WorkChatSignIn
    settings: Identity


def _refused() -> Unauthorized:
    return Unauthorized("Wrong username or password.", "invalid_credentials")


def _session_over() -> Unauthorized:
    return Unauthorized("Your session has ended; sign in again.", "invalid_token")


# -- every staff request -------------------------------------------------------------------


def authorize(deps: IdentityDeps, token: str) -> Principal:
    """The staff member a bearer token speaks for, with the powers their account has now."""
    claims = deps.access.verify(token, deps.clock.now())
    account = deps.current.current(claims.username)
    if account is None or not account.enabled or account.generation != claims.generation:
        raise _session_over()
    return account.principal()


def me(deps: IdentityDeps, principal: Principal) -> dict[str, Any]:
    account = deps.current.current(principal.username)
    return {
        "name": account.name if account else principal.username,
        "totp": bool(account and account.has_totp),
        "work_chat": sorted(k.value for k in account.work_chat) if account else [],
    }


# -- signing in ------------------------------------------------------------------------------


def normalise(username: str) -> str:
    return username.strip().lower()


def sign_in(deps: IdentityDeps, body: dict[str, Any], source: str | None) -> dict[str, Any]:
    """Tokens; or, after a right password, the step still missing: `{"challenge":
    "new_password"}` (temporary password) or `{"challenge": "totp"}` (code needed)."""
    now = deps.clock.now()
    username = normalise(body["username"])
    _limit_address(deps, source, now)
    account = _check_password(deps, username, body["password"], now)
    if account.must_change_password:
        return {"challenge": "new_password"}
    if account.has_totp and not body.get("totp"):
        return {"challenge": "totp"}
    if account.has_totp:
        _check_totp(deps, account, str(body["totp"]), now)
    if deps.hasher.outdated(account.password_hash):
        # The configured cost changed since this hash was made: make it again, now that
        # the password is known.
        account.password_hash = deps.hasher.hash(body["password"])
        account.updated_at = now
        deps.accounts.save(account)
    return _signed_in(deps, account, now)


def change_password(deps: IdentityDeps, body: dict[str, Any], source: str | None) -> dict[str, Any]:
    """A new password for the first sign-in, after a reset, or whenever its owner wants one:
    the current (or temporary) password proves who asks. Other sessions end."""
    now = deps.clock.now()
    username = normalise(body["username"])
    _limit_address(deps, source, now)
    account = _check_password(deps, username, body["password"], now)
    if account.has_totp:
        if not body.get("totp"):
            return {"challenge": "totp"}
        _check_totp(deps, account, str(body["totp"]), now)
    check_new_password(body["new_password"], username, body["password"])
    account.password_hash = deps.hasher.hash(body["new_password"])
    account.must_change_password = False
    account.revoke_sessions(now)
    deps.accounts.save(account)
    return _signed_in(deps, account, now)


def _check_password(deps: IdentityDeps, username: str, password: str, now: datetime) -> Account:
    lockout = deps.lockouts.state(username, now)
    if lockout.locked(now) and lockout.locked_until is not None:
        wait = int((lockout.locked_until - now).total_seconds()) + 1
        raise RateLimited(
            "Too many failed attempts; try again later.",
            "locked",
            headers={"Retry-After": str(wait)},
        )
    account = deps.accounts.get(username)
    matches = deps.hasher.verify(password, account.password_hash if account else None)
    if account is None or not matches:
        deps.lockouts.failed(username, now)
        raise _refused()
    if not account.enabled:
        # Said only to someone who knows the password.
        raise Forbidden("This account is disabled; ask the district.", "account_disabled")
    return account


def _check_totp(deps: IdentityDeps, account: Account, code: str, now: datetime) -> None:
    secret = deps.vault.open(TOTP_PURPOSE, account.totp_secret or "")
    step = accepted_step(secret, code, now, account.totp_last_step)
    wrong = Unauthorized("The code is not right.", "invalid_totp")
    if step is None:
        deps.lockouts.failed(account.username, now)
        raise wrong
    account.totp_last_step = step
    account.updated_at = now
    try:
        deps.accounts.save(account)  # of two sign-ins with the same code, one wins
    except Conflict:
        raise wrong from None


def _limit_address(deps: IdentityDeps, source: str | None, now: datetime) -> None:
    if not source:
        return
    window = deps.settings.sign_in_window_seconds
    key = f"signin#{deps.vault.keyed_hash('address', source)}"
    if not deps.limiter.hit(key, deps.settings.sign_ins_per_address, window, now):
        wait = window - int(now.timestamp()) % window
        raise RateLimited(
            "Too many sign-in attempts from this network; try again later.",
            "rate_limited",
            headers={"Retry-After": str(wait)},
        )


def _signed_in(deps: IdentityDeps, account: Account, now: datetime) -> dict[str, Any]:
    deps.lockouts.clear(account.username)
    refresh = deps.ids.token(32)  # 256 bits
    ends = session_end(now, deps.settings.session_hours)
    deps.sessions.add(
        RefreshRecord(
            token_hash=refresh_token_hash(refresh),
            username=account.username,
            generation=account.generation,
            issued_at=now,
            expires_at=ends,
        )
    )
    return _tokens(deps, account, refresh, now, ends)


def _tokens(
    deps: IdentityDeps, account: Account, refresh: str, now: datetime, ends: datetime
) -> dict[str, Any]:
    access, expires = deps.access.issue(account.username, account.generation, now)
    return {
        "username": account.username,
        "token_type": "Bearer",
        "access_token": access,
        "expires_in": int((min(expires, ends) - now).total_seconds()),
        "refresh_token": refresh,
        # When the sign-in itself ends (no refresh goes past it): the SPA warns before.
        "session_expires_in": int((ends - now).total_seconds()),
    }


def refresh(deps: IdentityDeps, body: dict[str, Any]) -> dict[str, Any]:
    """A new access token and a new refresh token for the current one, which is used up.
    A refresh token used twice means a copy is in other hands: every session of the
    account ends."""
    now = deps.clock.now()
    record = deps.sessions.get(refresh_token_hash(body["refresh_token"]))
    if record is None or record.expires_at <= now:
        raise _session_over()
    account = deps.accounts.get(record.username)
    if account is None:
        raise _session_over()
    if record.used_at is not None:
        _revoke(deps, account, now)
        raise _session_over()
    if not account.enabled or account.generation != record.generation:
        raise _session_over()
    token = deps.ids.token(32)
    rotated = RefreshRecord(
        token_hash=refresh_token_hash(token),
        username=account.username,
        generation=account.generation,
        issued_at=now,
        expires_at=record.expires_at,
    )
    if not deps.sessions.rotate(record, rotated, now):
        _revoke(deps, account, now)  # used by another request meanwhile
        raise _session_over()
    return _tokens(deps, account, token, now, record.expires_at)


def sign_out(deps: IdentityDeps, principal: Principal) -> dict[str, Any]:
    """Sign out everywhere: every access and refresh token of the account stops working."""
    account = deps.accounts.get(principal.username)
    if account is not None:
        _revoke(deps, account, deps.clock.now())
    return {"signed_out": True}


def _revoke(deps: IdentityDeps, account: Account, now: datetime) -> None:
    for _ in range(3):
        account.revoke_sessions(now)
        try:
            deps.accounts.save(account)
            return
        except Conflict:
            fresh = deps.accounts.get(account.username)
            if fresh is None:
                return
            account = fresh
    raise Conflict("The account is busy; try again.", "stale_account")


# -- work-chat sign-in -----------------------------------------------------------------------


def work_chat_providers(deps: IdentityDeps) -> dict[str, Any]:
    return {"providers": deps.work_chat.providers()}


def work_chat_sign_in(
    deps: IdentityDeps, body: dict[str, Any], source: str | None
) -> dict[str, Any]:
    """A WeCom or DingTalk one-time code → its user id → the Whistle account linked to it.
    A bad code, an id linked to no account and a disabled account get the same answer."""
    now = deps.clock.now()
    _limit_address(deps, source, now)
    kind = WorkChat(body["provider"])
    if kind.value not in {p["provider"] for p in deps.work_chat.providers()}:
        raise NotFound(
            "This district does not offer that work-chat sign-in.", "work_chat_not_offered"
        )
    try:
        user_id = deps.work_chat.user_id(kind, body["code"])
    except WorkChatUnavailable:
        raise Unavailable(
            "The work-chat platform cannot be reached; sign in with your password.",
            "work_chat_unavailable",
        ) from None
    refused = Unauthorized("This work-chat sign-in was not accepted.", "work_chat_refused")
    if not user_id:
        raise refused
    linked = deps.accounts.by_work_chat(kind, user_id)
    if len(linked) != 1 or not linked[0].enabled:
        raise refused
    return _signed_in(deps, linked[0], now)


# -- the second factor -----------------------------------------------------------------------


def _own(deps: IdentityDeps, principal: Principal) -> Account:
    account = deps.accounts.get(principal.username)
    if account is None:
        raise _session_over()
    return account


def totp_enrol(deps: IdentityDeps, principal: Principal) -> dict[str, Any]:
    """A new secret to add to an authenticator app; it counts once a code confirms it."""
    account = _own(deps, principal)
    now = deps.clock.now()
    secret = new_secret(hashlib.sha256(deps.ids.token(32).encode()).digest()[:20])
    account.totp_pending = deps.vault.seal(TOTP_PURPOSE, secret)
    account.updated_at = now
    deps.accounts.save(account)
    return {
        "secret": secret,
        "uri": provisioning_uri(secret, account.username, deps.settings.totp_issuer),
    }


def totp_confirm(deps: IdentityDeps, principal: Principal, code: str) -> dict[str, Any]:
    account = _own(deps, principal)
    now = deps.clock.now()
    if account.totp_pending is None:
        raise Conflict("Start again: add the code to your app first.", "totp_not_enrolled")
    secret = deps.vault.open(TOTP_PURPOSE, account.totp_pending)
    step = accepted_step(secret, code, now, 0)
    if step is None:
        raise Unauthorized("The code is not right.", "invalid_totp")
    account.totp_secret, account.totp_pending = account.totp_pending, None
    account.totp_last_step = step
    account.updated_at = now
    deps.accounts.save(account)
    return {"totp": True}


def totp_disable(deps: IdentityDeps, principal: Principal, code: str) -> dict[str, Any]:
    account = _own(deps, principal)
    now = deps.clock.now()
    if not account.has_totp:
        return {"totp": False}
    _check_totp(deps, account, code, now)
    account.totp_secret = None
    account.totp_last_step = 0
    account.updated_at = now
    deps.accounts.save(account)
    return {"totp": False}
