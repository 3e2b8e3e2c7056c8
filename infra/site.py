"""What the SPA reads at start (`/config.json`) in a deployed stage, from the stack's outputs.

The same shape as the local stack's runtime configuration, so the SPA has one code path.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from functions.core.config import KEYS


def outputs_by_key(outputs: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """`describe-stacks` outputs ([{"OutputKey", "OutputValue"}…]) as a dict."""
    return {o["OutputKey"]: o["OutputValue"] for o in outputs}


def spa_config(stage: str, outputs: Mapping[str, str]) -> dict[str, Any]:
    """Staff sign in through the API itself (`/api/auth/…`), so nothing about identity is
    needed here."""
    return {"api": "/api", "stage": stage, "region": outputs["Region"], "sample": False}


def new_secrets() -> dict[str, Any]:
    """Fresh keys for a stage's secrets parameter (written once: rotating the encryption key
    would make stored phone numbers unreadable)."""

    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    return {**{name: key() for name in KEYS}, "webhook_secrets": {}}


def complete_secrets(current: Mapping[str, Any]) -> dict[str, Any] | None:
    """`current` with fresh values for the keys it lacks (a stage made by an older release);
    None when nothing is missing. A key that is there is never changed."""
    missing = {k: v for k, v in new_secrets().items() if k not in current}
    return {**current, **missing} if missing else None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
