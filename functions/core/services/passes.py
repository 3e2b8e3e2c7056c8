"""Signed action links (办理链接): an alert lets one department act on one case for a while
without signing in. The pass is HMAC-SHA256 over the case, the department and the expiry."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from ..domain.errors import Unauthorized

PASS_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class ActionPass:
    case_code: str
    department: str
    expires: int  # epoch seconds


def _signature(key: bytes, case_code: str, department: str, expires: int) -> str:
    message = f"{case_code}|{department}|{expires}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_pass(key: bytes, case_code: str, department: str, now: datetime) -> str:
    expires = int((now + PASS_LIFETIME).timestamp())
    return f"{department}.{expires}.{_signature(key, case_code, department, expires)}"


def check_pass(key: bytes, case_code: str, token: str | None, now: datetime) -> ActionPass:
    rejected = Unauthorized("This link is not valid or has expired.", "invalid_link")
    if not token:
        raise rejected
    try:
        department, expires_text, signature = token.split(".")
        expires = int(expires_text)
    except ValueError:
        raise rejected from None
    expected = _signature(key, case_code, department, expires)
    if not hmac.compare_digest(expected, signature) or expires < now.timestamp():
        raise rejected
    return ActionPass(case_code, department, expires)


def action_link(public_url: str, key: bytes, case_code: str, department: str, now: datetime) -> str:
    token = issue_pass(key, case_code, department, now)
    return f"{public_url}/#/act/{quote(case_code)}?pass={quote(token)}"
