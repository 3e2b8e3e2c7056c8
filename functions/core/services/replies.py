"""常用语: the reply texts each department and community keeps for returning (退单), rejecting
(不予受理) and resolving (办结), picked in the action dialog to fill its text.

Each scope's replies live under its own key; a clerk reads and edits only the replies of the
departments and communities they belong to (the district: any), so one department never sees
or edits another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.clock import Clock, IdSource, iso
from ..domain.errors import Conflict, Forbidden, NotFound, invalid
from ..domain.registry import Registry
from ..domain.staff import Principal, Role
from ..ports import CommonReply, RegistrySource, ReplyStore
from ..schemas import REPLY, REPLY_EDIT, validate

MAX_PER_SCOPE = 60  # 20 a kind: a short list to pick from, not a library


@dataclass(frozen=True)
class ReplyDeps:
    clock: Clock
    ids: IdSource
    registry: RegistrySource
    replies: ReplyStore


def own_scopes(principal: Principal) -> list[str]:
    """The scopes whose replies this staff member keeps: their communities and departments."""
    return [f"community:{c}" for c in principal.ids(Role.COMMUNITY)] + [
        f"department:{d}" for d in principal.ids(Role.DEPARTMENT)
    ]


def _check_scope(principal: Principal, scope: str, registry: Registry) -> None:
    kind, _, ident = scope.partition(":")
    known = registry.communities if kind == "community" else registry.departments
    if kind not in ("community", "department") or ident not in known:
        raise invalid("scope", "unknown_scope", "A community or department in the registry.")
    if not principal.is_district and scope not in own_scopes(principal):
        raise Forbidden("You keep the common replies of your own scopes only.", "forbidden")


def list_replies(deps: ReplyDeps, principal: Principal, scope: str | None) -> dict[str, Any]:
    """The replies of one scope, or of every scope of one's own (one Query a scope)."""
    registry = deps.registry.current()
    if scope:
        _check_scope(principal, scope, registry)
        scopes = [scope]
    else:
        scopes = own_scopes(principal)
    items = [_view(r) for s in scopes for r in deps.replies.of_scope(s)]
    items.sort(key=lambda r: (r["scope"], r["kind"], r["text"]))
    return {"scopes": scopes, "items": items}


def add_reply(deps: ReplyDeps, principal: Principal, raw: Any) -> dict[str, Any]:
    body = validate(REPLY, raw)
    _check_scope(principal, body["scope"], deps.registry.current())
    if len(deps.replies.of_scope(body["scope"])) >= MAX_PER_SCOPE:
        raise Conflict(f"A scope keeps at most {MAX_PER_SCOPE} common replies.", "too_many")
    reply = _reply(deps, principal, deps.ids.uuid(), body)
    deps.replies.put(reply)
    return _view(reply)


def edit_reply(
    deps: ReplyDeps, principal: Principal, scope: str, reply_id: str, raw: Any
) -> dict[str, Any]:
    _check_scope(principal, scope, deps.registry.current())
    body = {**validate(REPLY_EDIT, raw), "scope": scope}
    if not any(r.id == reply_id for r in deps.replies.of_scope(body["scope"])):
        raise NotFound("No such common reply.", "not_found")
    reply = _reply(deps, principal, reply_id, body)
    deps.replies.put(reply)
    return _view(reply)


def delete_reply(
    deps: ReplyDeps, principal: Principal, scope: str, reply_id: str
) -> dict[str, Any]:
    _check_scope(principal, scope, deps.registry.current())
    if not deps.replies.delete(scope, reply_id):
        raise NotFound("No such common reply.", "not_found")
    return {"id": reply_id, "scope": scope, "deleted": True}


def _reply(
    deps: ReplyDeps, principal: Principal, reply_id: str, body: dict[str, Any]
) -> CommonReply:
    return CommonReply(
        id=reply_id,
        scope=body["scope"],
        kind=body["kind"],
        text=body["text"].strip(),
        updated_at=deps.clock.now(),
        updated_by=principal.username,
    )


def _view(reply: CommonReply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "scope": reply.scope,
        "kind": reply.kind,
        "text": reply.text,
        "updated_at": iso(reply.updated_at),
        "updated_by": reply.updated_by,
    }
