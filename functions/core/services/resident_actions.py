"""What a reporter can do on their own case besides rating it: add words or photos while it is
open (补充), withdraw it before it is whistled (撤回) and urge it once its stage is overdue
(催办). Each opens the case as its reporter only (token, SMS link or a session of its number)."""

from __future__ import annotations

from typing import Any

from ..schemas import RESIDENT_INFO, URGE, WITHDRAW, validate
from .intake import (
    IntakeDeps,
    clean_staged,
    keep_photos,
    view_case,
)
from .notify import Messenger, store_transition
from .residents import Credentials


def add_information(
    deps: IntakeDeps,
    messenger: Messenger,
    code: str,
    credentials: Credentials,
    key: str | None,
    body: Any,
) -> dict[str, Any]:
    body = validate(RESIDENT_INFO, body)
    case = deps.keys.open(deps.cases, code, credentials)
    now = deps.clock.now()
    cleaned = clean_staged(deps, key, tuple(body.get("photos", ())))
    # Kept under names of this attempt alone; removed again unless the case is stored.
    kept = keep_photos(deps.photos, cleaned)
    stored = False
    try:
        case.add_information(body.get("note"), kept, now)
        store_transition(deps.cases, messenger, case, deps.registry.current(), now)
        stored = True
    finally:
        if kept and not stored:
            deps.photos.delete(list(kept))
    return view_case(deps, code, credentials)


def withdraw(
    deps: IntakeDeps, messenger: Messenger, code: str, credentials: Credentials, body: Any
) -> dict[str, Any]:
    body = validate(WITHDRAW, body)
    case = deps.keys.open(deps.cases, code, credentials)
    now = deps.clock.now()
    case.withdraw(body.get("reason"), now, deps.rules.policy(case.category))
    store_transition(deps.cases, messenger, case, deps.registry.current(), now)
    return view_case(deps, code, credentials)


def urge(
    deps: IntakeDeps, messenger: Messenger, code: str, credentials: Credentials, body: Any
) -> dict[str, Any]:
    validate(URGE, body)
    case = deps.keys.open(deps.cases, code, credentials)
    case.urge(deps.clock.now())
    store_transition(deps.cases, messenger, case, deps.registry.current(), deps.clock.now())
    return view_case(deps, code, credentials)
