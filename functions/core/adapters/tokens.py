"""Verifying the identity provider's access tokens (RS256 JWTs) ourselves: signature against
the published JWKS, issuer, client, token use and expiry. API Gateway's Cognito authorizer is not
available to `chalice local`, and one verifier for both keeps them honest.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any

from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

from ..domain.clock import Clock
from ..domain.errors import Unauthorized

Fetch = Callable[[str], dict[str, Any]]
LEEWAY_SECONDS = 30
JWKS_MAX_AGE_SECONDS = 3600
JWKS_MIN_REFRESH_SECONDS = 60


def fetch_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - configured https URL
        return dict(json.loads(response.read()))


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _int(segment: str) -> int:
    return int.from_bytes(_b64(segment), "big")


class JwksTokenVerifier:
    def __init__(
        self,
        *,
        jwks_url: str,
        issuer: str,
        client_id: str,
        clock: Clock,
        fetch: Fetch = fetch_json,
    ) -> None:
        self._jwks_url = jwks_url
        self._issuer = issuer
        self._client_id = client_id
        self._clock = clock
        self._fetch = fetch
        self._keys: dict[str, RSA.RsaKey] = {}
        self._fetched_at: datetime | None = None
        self._lock = threading.Lock()

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid access token; Unauthorized for anything else."""
        rejected = Unauthorized("Sign in again.", "invalid_token")
        if token.lower().startswith("bearer "):
            token = token[7:]
        try:
            header_part, payload_part, signature_part = token.split(".")
            header = json.loads(_b64(header_part))
            claims = json.loads(_b64(payload_part))
            signature = _b64(signature_part)
        except ValueError:
            raise rejected from None
        if header.get("alg") != "RS256" or not isinstance(claims, dict):
            raise rejected
        key = self._key(str(header.get("kid", "")))
        if key is None:
            raise rejected
        try:
            digest = SHA256.new(f"{header_part}.{payload_part}".encode())
            pkcs1_15.new(key).verify(digest, signature)
        except (ValueError, TypeError):
            raise rejected from None
        now = self._clock.now().timestamp()
        if (
            claims.get("iss") != self._issuer
            or claims.get("token_use") != "access"
            or claims.get("client_id") != self._client_id
            or not isinstance(claims.get("exp"), int | float)
            or claims["exp"] + LEEWAY_SECONDS < now
            or (isinstance(claims.get("nbf"), int | float) and claims["nbf"] - LEEWAY_SECONDS > now)
            or not claims.get("username")
        ):
            raise rejected
        return dict(claims)

    def _key(self, kid: str) -> RSA.RsaKey | None:
        with self._lock:
            now = self._clock.now()
            stale = (
                self._fetched_at is None
                or (now - self._fetched_at).total_seconds() > JWKS_MAX_AGE_SECONDS
            )
            # An unknown key id may mean the pool rotated its keys: look again, but not on
            # every forged token.
            may_refresh = (
                self._fetched_at is None
                or (now - self._fetched_at).total_seconds() > JWKS_MIN_REFRESH_SECONDS
            )
            if stale or (kid not in self._keys and may_refresh):
                try:
                    document = self._fetch(self._jwks_url)
                except OSError:
                    document = None
                if document is not None:
                    self._keys = {
                        str(k["kid"]): RSA.construct((_int(k["n"]), _int(k["e"])))
                        for k in document.get("keys", [])
                        if k.get("kty") == "RSA" and "kid" in k
                    }
                    self._fetched_at = now
            return self._keys.get(kid)
