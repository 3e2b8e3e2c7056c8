"""Password hashes with scrypt (memory-hard, in Python's standard library, so nothing is added
to the Lambda package). The parameters are stored with each hash —
`scrypt$ln=17,r=8,p=1$<salt>$<hash>` — so a hash made under an older cost still verifies, and
is replaced at the next sign-in (`outdated`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading

_SCHEME = "scrypt"
_SALT_BYTES = 16
_HASH_BYTES = 32


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, ln: int, r: int, p: int) -> bytes:
    n = 2**ln
    return hashlib.scrypt(
        password.encode(),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=128 * r * (n + p + 2) + (1 << 20),
        dklen=_HASH_BYTES,
    )


class ScryptHasher:
    def __init__(self, ln: int, r: int = 8, p: int = 1) -> None:
        """`ln` is log2 of scrypt's N (configuration: `Identity.password_cost`)."""
        if not 1 <= ln <= 20 or r < 1 or p < 1:
            raise ValueError("scrypt needs 1 <= ln <= 20, r >= 1 and p >= 1")
        self._params = (ln, r, p)
        self._dummy: str | None = None
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        ln, r, p = self._params
        salt = secrets.token_bytes(_SALT_BYTES)
        digest = _scrypt(password, salt, ln, r, p)
        return f"{_SCHEME}$ln={ln},r={r},p={p}${_b64(salt)}${_b64(digest)}"

    def verify(self, password: str, stored: str | None) -> bool:
        parsed = _parse(stored) if stored else None
        if parsed is None:
            # No account, or no usable hash: spend what a real check costs, then refuse.
            self._check_against_dummy(password)
            return False
        (ln, r, p), salt, expected = parsed
        return hmac.compare_digest(_scrypt(password, salt, ln, r, p), expected)

    def outdated(self, stored: str) -> bool:
        parsed = _parse(stored)
        return parsed is None or parsed[0] != self._params

    def _check_against_dummy(self, password: str) -> None:
        with self._lock:
            if self._dummy is None:
                self._dummy = self.hash(secrets.token_urlsafe(16))
            dummy = self._dummy
        self.verify(password, dummy)


def _parse(stored: str) -> tuple[tuple[int, int, int], bytes, bytes] | None:
    try:
        scheme, params, salt, digest = stored.split("$")
        values = dict(part.split("=") for part in params.split(","))
        parsed = (int(values["ln"]), int(values["r"]), int(values["p"]))
        ln, r, p = parsed
        if scheme != _SCHEME or not (1 <= ln <= 20 and 1 <= r <= 32 and 1 <= p <= 16):
            return None
        return parsed, _unb64(salt), _unb64(digest)
    except (ValueError, KeyError):
        return None
