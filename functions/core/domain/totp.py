"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30-second steps): the optional
second factor of a password sign-in, as authenticator apps (Google / Microsoft Authenticator,
腾讯身份验证器 …) compute them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import urllib.parse
from datetime import datetime

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # a phone's clock half a minute off still works


def new_secret(random_bytes: bytes) -> str:
    """A base32 secret (as authenticator apps take it) from 20 random bytes."""
    if len(random_bytes) < 20:
        raise ValueError("a TOTP secret needs at least 160 random bits")
    return base64.b32encode(random_bytes).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)


def step_of(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    digest = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def accepted_step(secret: str, code: str, now: datetime, last_step: int) -> int | None:
    """The time step `code` belongs to (now, or one step either side), if it is later than
    `last_step` — a code already used cannot be used again; None otherwise."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    current = step_of(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last_step and hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    label = urllib.parse.quote(f"{issuer}:{username}")
    query = urllib.parse.urlencode(
        {"secret": secret, "issuer": issuer, "digits": DIGITS, "period": STEP_SECONDS}
    )
    return f"otpauth://totp/{label}?{query}"
