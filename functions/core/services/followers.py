"""我也遇到 (me too): a resident signed in by phone joins an open case as a follower instead of
filing the same problem again — they are counted among the residents waiting, sent the case's
messages (their own cap and opt-out) and may rate it. Their line and photo are for staff only.
"""

from __future__ import annotations

from typing import Any

from ..domain.codes import is_case_code
from ..domain.errors import Conflict, NotFound
from ..domain.followers import Follower, Joined
from ..schemas import FOLLOW, validate
from .intake import IntakeDeps, clean_staged, keep_photos

ATTEMPTS = 3  # a follow that meets a concurrent change of the case is tried again


def follow(
    deps: IntakeDeps, code: str, session: str | None, key: str | None, body: Any
) -> tuple[dict[str, Any], bool]:
    """Join the case as a follower with the signed-in number. Idempotent per number: joining
    again (or as the case's own reporter) answers the same and adds nothing. Returns the
    answer and whether this request added the follower.

    Checked in this order: a resident session (401), the body (400), the case (404), that it
    can still be joined (409). Photos are uploaded first (POST /api/uploads with the same
    Idempotency-Key) and cleaned like a report's."""
    now = deps.clock.now()
    phone = deps.keys.tokens.sealed_phone(session or "", now)
    body = validate(FOLLOW, body)
    staged = tuple(body.get("photos", ()))
    kept: tuple[str, ...] = ()
    stored = False
    try:
        for _ in range(ATTEMPTS):
            case = deps.cases.get(code) if is_case_code(code) else None
            if case is None:
                raise NotFound("No such case.", "case_not_found")
            if case.phone.lookup == phone.lookup or deps.cases.follower(code, phone.lookup):
                return _answer(case.code, case.residents_waiting), False
            if staged and not kept:
                kept = keep_photos(deps.photos, clean_staged(deps, key, staged))
            note = (body.get("note") or "").strip() or None
            case.follow(now, note, kept)  # 409 when the case is finished
            follower = Follower(case.code, phone, now, Joined.ME_TOO, note=note, photos=kept)
            try:
                deps.cases.save(case, [], now, followers=[follower])
            except Conflict:
                continue  # the case changed, or the same number joined meanwhile: look again
            stored = True
            return _answer(case.code, case.residents_waiting), True
        raise Conflict("The case is busy; please try again.", "retry")
    finally:
        if kept and not stored:
            deps.photos.delete(list(kept))


def _answer(code: str, waiting: int) -> dict[str, Any]:
    return {"code": code, "following": True, "residents_waiting": waiting}
