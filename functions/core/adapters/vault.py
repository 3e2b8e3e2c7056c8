"""Personal data at rest: AES-256-GCM for phone numbers and case tokens, HMAC-SHA256 for
look-ups. Keys come from configuration; they never leave this object.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from Crypto.Cipher import AES
from Crypto.Random import get_random_bytes

from ..domain.cases import SealedPhone
from ..domain.phone import mask_mobile

_NONCE_BYTES = 12
_VERSION = "v1"


class AesGcmVault:
    def __init__(self, encryption_key: bytes, lookup_key: bytes) -> None:
        if len(encryption_key) != 32 or len(lookup_key) < 32:
            raise ValueError("the vault needs a 32-byte encryption key and a 32-byte lookup key")
        self._key = encryption_key
        self._lookup_key = lookup_key

    def seal(self, purpose: str, secret: str) -> str:
        # The purpose is bound as associated data, so a sealed token cannot be opened as a phone.
        nonce = get_random_bytes(_NONCE_BYTES)
        cipher = AES.new(self._key, AES.MODE_GCM, nonce=nonce)
        cipher.update(purpose.encode())
        body, tag = cipher.encrypt_and_digest(secret.encode())
        return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + tag + body).decode()}"

    def open(self, purpose: str, sealed: str) -> str:
        version, _, payload = sealed.partition(".")
        if version != _VERSION:
            raise ValueError("unknown sealing version")
        raw = base64.urlsafe_b64decode(payload)
        nonce, tag, body = raw[:_NONCE_BYTES], raw[_NONCE_BYTES : _NONCE_BYTES + 16], raw[28:]
        cipher = AES.new(self._key, AES.MODE_GCM, nonce=nonce)
        cipher.update(purpose.encode())
        return cipher.decrypt_and_verify(body, tag).decode()

    def keyed_hash(self, purpose: str, value: str) -> str:
        return hmac.new(self._lookup_key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def seal_phone(self, number: str) -> SealedPhone:
        return SealedPhone(
            ciphertext=self.seal("phone", number),
            lookup=self.keyed_hash("phone", number),
            masked=mask_mobile(number),
        )

    def open_phone(self, sealed: SealedPhone) -> str:
        return self.open("phone", sealed.ciphertext)
