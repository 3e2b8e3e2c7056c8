"""Staff sessions: access tokens Whistle signs (HS256 JWTs with the stage's session key) and
the refresh tokens behind them (DynamoDB, only a hash of each).

An access token names its account and the account's generation; it says nothing about
scopes, which the authorizer reads from the account itself on every request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..domain.cases import SealedPhone
from ..domain.errors import Unauthorized
from ..ports import AccessClaims, RefreshRecord
from .tables import SessionItem

ISSUER = "whistle"
AUDIENCE = "whistle-staff"
RESIDENT_AUDIENCE = "whistle-resident"
LEEWAY_SECONDS = 30


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def encode(claims: dict[str, Any], key: bytes, header: dict[str, Any] | None = None) -> str:
    """A signed compact JWT (HS256)."""
    head = header or {"alg": "HS256", "typ": "JWT"}
    signing_input = ".".join(
        _b64(json.dumps(part, separators=(",", ":")).encode()) for part in (head, claims)
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


class HmacAccessTokens:
    def __init__(self, key: bytes, lifetime_seconds: int) -> None:
        if len(key) < 32:
            raise ValueError("the session key must be at least 32 bytes")
        self._key = key
        self._lifetime = lifetime_seconds

    def issue(self, username: str, generation: int, now: datetime) -> tuple[str, datetime]:
        return _issue(self._key, self._lifetime, now, aud=AUDIENCE, sub=username, gen=generation)

    def verify(self, token: str, now: datetime) -> AccessClaims:
        claims = decode(token, self._key, AUDIENCE, now)
        generation = claims.get("gen")
        username = claims.get("sub")
        if not isinstance(generation, int) or not isinstance(username, str) or not username:
            raise _rejected()
        return AccessClaims(username, generation, datetime.fromtimestamp(claims["exp"], UTC))


def _issue(key: bytes, lifetime: int, now: datetime, **claims: Any) -> tuple[str, datetime]:
    """A token of these claims from `now` for `lifetime` seconds, and when it expires."""
    issued = int(now.timestamp())
    expires = issued + lifetime
    signed = {"iss": ISSUER, **claims, "iat": issued, "exp": expires}
    return encode(signed, key), datetime.fromtimestamp(expires, UTC)


def _rejected() -> Unauthorized:
    return Unauthorized("Sign in again.", "invalid_token")


def decode(token: str, key: bytes, audience: str, now: datetime) -> dict[str, Any]:
    """The claims of a token signed with `key` for `audience`, unexpired; Unauthorized for
    anything else. The audience keeps the two kinds of session apart: a resident's token
    never passes as a staff member's, nor the other way round."""
    if token[:7].lower() == "bearer ":
        token = token[7:]
    try:
        header_part, claims_part, signature_part = token.split(".")
        header = json.loads(_unb64(header_part))
        claims = json.loads(_unb64(claims_part))
        signature = _unb64(signature_part)
    except (ValueError, UnicodeDecodeError):
        raise _rejected() from None
    # The algorithm is ours to choose, never the token's: anything but HS256 is refused.
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise _rejected()
    expected = hmac.new(key, f"{header_part}.{claims_part}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected) or not isinstance(claims, dict):
        raise _rejected()
    expires = claims.get("exp")
    if (
        claims.get("iss") != ISSUER
        or claims.get("aud") != audience
        or not isinstance(expires, int)
        or expires + LEEWAY_SECONDS < now.timestamp()
    ):
        raise _rejected()
    return claims


class HmacResidentTokens:
    """A resident's session after signing in by phone: it names the phone's keyed hash
    (never the number) under an audience of its own, and lasts `lifetime_seconds`."""

    def __init__(self, key: bytes, lifetime_seconds: int) -> None:
        if len(key) < 32:
            raise ValueError("the session key must be at least 32 bytes")
        self._key = key
        self._lifetime = lifetime_seconds

    def issue(
        self, lookup: str, now: datetime, sealed: SealedPhone | None = None
    ) -> tuple[str, datetime]:
        # The number rides along sealed (the vault's encryption, not readable from the
        # token), so a case the resident follows can send them its messages.
        phone = {"ph": sealed.ciphertext, "pm": sealed.masked} if sealed else {}
        return _issue(
            self._key,
            self._lifetime,
            now,
            aud=RESIDENT_AUDIENCE,
            kind="resident",
            sub=lookup,
            **phone,
        )

    def verify(self, token: str, now: datetime) -> str:
        claims = decode(token, self._key, RESIDENT_AUDIENCE, now)
        lookup = claims.get("sub")
        if claims.get("kind") != "resident" or not isinstance(lookup, str) or not lookup:
            raise _rejected()
        return lookup

    def sealed_phone(self, token: str, now: datetime) -> SealedPhone:
        lookup = self.verify(token, now)
        claims = decode(token, self._key, RESIDENT_AUDIENCE, now)
        cipher, masked = claims.get("ph"), claims.get("pm")
        if not isinstance(cipher, str) or not cipher or not isinstance(masked, str):
            raise _rejected()
        return SealedPhone(cipher, lookup, masked)


class DynamoSessionStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, token_hash: str) -> RefreshRecord | None:
        try:
            item = SessionItem.get(token_hash, consistent_read=True)
        except SessionItem.DoesNotExist:
            return None
        return RefreshRecord(
            token_hash=item.token_hash,
            username=item.username,
            generation=int(item.generation),
            issued_at=item.issued_at,
            expires_at=item.ends_at,
            used_at=item.used_at,
        )

    def add(self, record: RefreshRecord) -> None:
        _item(record).save()

    def rotate(self, old: RefreshRecord, new: RefreshRecord, now: datetime) -> bool:
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.update(
                    SessionItem(old.token_hash),
                    actions=[SessionItem.used_at.set(now)],
                    # Not used yet: of two requests with the same token, one wins.
                    condition=SessionItem.token_hash.exists()
                    & SessionItem.used_at.does_not_exist(),
                )
                transaction.save(_item(new))
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
                return False
            raise
        return True


def _item(record: RefreshRecord) -> SessionItem:
    return SessionItem(
        record.token_hash,
        username=record.username,
        generation=record.generation,
        issued_at=record.issued_at,
        ends_at=record.expires_at,
        # Kept a day past the end of the sign-in, so a late reuse is still recognised.
        expires_at=record.expires_at + timedelta(days=1),
        used_at=record.used_at,
    )
