"""Managing staff accounts (district only): invite, set roles and scopes, disable, reset a
password, link a work-chat user."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..domain.accounts import Account, WorkChat
from ..domain.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from ..domain.registry import Registry
from ..domain.staff import Principal, Role, Scope
from .identity import IdentityDeps

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")


def check_scopes(registry: Registry, texts: list[str]) -> list[Scope]:
    """Scopes that name things in the registry; every problem listed."""
    scopes, problems = [], []
    known: dict[Role, Mapping[str, object]] = {
        Role.COMMUNITY: registry.communities,
        Role.DEPARTMENT: registry.departments,
        Role.GRID: registry.grids,
        Role.PROPERTY: registry.property_companies,
    }
    for index, text in enumerate(texts):
        scope = Scope.parse(text)
        if scope is None or (scope.id is not None and scope.id not in known[scope.role]):
            problems.append(
                ErrorDetail(f"scopes/{index}", "unknown_scope", f"Unknown scope {text!r}")
            )
        else:
            scopes.append(scope)
    if not texts:
        problems.append(ErrorDetail("scopes", "required", "Give at least one role and scope."))
    if problems:
        raise InvalidInput(
            "The roles are not valid; nothing was changed.", "invalid_scopes", problems
        )
    return sorted(set(scopes))


def list_accounts(
    deps: IdentityDeps, principal: Principal, registry: Registry | None = None
) -> dict[str, Any]:
    """The accounts, and (with the registry) what roles and scopes may be chosen from, each
    with its name, so the district picks them instead of typing `community:c01`."""
    principal.require(Role.DISTRICT)
    now = deps.clock.now()
    accounts = deps.accounts.all()
    locks = deps.lockouts.states([a.username for a in accounts], now) if accounts else {}
    found: dict[str, Any] = {"items": [a.view(locks.get(a.username), now) for a in accounts]}
    if registry is not None:
        found["choices"] = scope_choices(registry)
    return found


def scope_choices(registry: Registry) -> dict[str, list[dict[str, str]]]:
    """Every scope an account may hold, by role: id, name and what to search it by."""
    compounds = registry.compounds
    return {
        Role.DISTRICT.value: [{"scope": "district", "id": "", "name": registry.district.name}],
        Role.COMMUNITY.value: [
            {"scope": f"community:{c.id}", "id": c.id, "name": c.name}
            for c in registry.communities.values()
        ],
        Role.DEPARTMENT.value: [
            {"scope": f"department:{d.id}", "id": d.id, "name": d.name}
            for d in registry.departments.values()
        ],
        Role.GRID.value: [
            {
                "scope": f"grid:{g.id}",
                "id": g.id,
                "name": f"{compounds[g.compound].name if g.compound in compounds else g.compound}"
                f" · {g.id} · {g.worker}",
            }
            for g in registry.grids.values()
        ],
        Role.PROPERTY.value: [
            {"scope": f"property:{p.id}", "id": p.id, "name": p.name}
            for p in registry.property_companies.values()
        ],
    }


def invite(
    deps: IdentityDeps, registry: Registry, principal: Principal, body: dict[str, Any]
) -> dict[str, Any]:
    """A new account with a temporary password, shown once; its owner chooses a password at
    the first sign-in."""
    principal.require(Role.DISTRICT)
    scopes = check_scopes(registry, body["scopes"])
    return create_account(deps, body["username"], body["name"], body["email"], scopes)


def create_district_account(
    deps: IdentityDeps, username: str, name: str, email: str
) -> dict[str, Any]:
    """The first district account of a stage (`whistle staff create-district`): there is
    nobody yet to invite it."""
    return create_account(deps, username, name, email, [Scope(Role.DISTRICT)])


def create_account(
    deps: IdentityDeps, username: str, name: str, email: str, scopes: list[Scope]
) -> dict[str, Any]:
    """Store a new account (Conflict when the username is taken) with a temporary password;
    the answer carries that password, which is not kept anywhere in clear."""
    if not USERNAME.fullmatch(username):
        raise InvalidInput(
            "Usernames are 3–64 lower-case letters, digits, '.', '_' or '-'.",
            "invalid_username",
            [ErrorDetail("username", "invalid_username", "Use lower-case letters and digits.")],
        )
    now = deps.clock.now()
    password = temporary_password(deps)
    account = Account(
        username=username,
        name=name,
        email=email,
        scopes=tuple(scopes),
        password_hash=deps.hasher.hash(password),
        created_at=now,
        updated_at=now,
        must_change_password=True,
    )
    deps.accounts.add(account)
    return {**account.view(), "temporary_password": password}


def temporary_password(deps: IdentityDeps) -> str:
    return deps.ids.token(12)  # 16 characters, 96 bits


def _account(deps: IdentityDeps, principal: Principal, username: str) -> Account:
    principal.require(Role.DISTRICT)
    # A path's username that no account could have is no account: not a question for the table.
    if not USERNAME.fullmatch(username):
        raise NotFound("No such staff member.", "not_found")
    account = deps.accounts.get(username)
    if account is None:
        raise NotFound("No such staff member.", "not_found")
    return account


def _saved(deps: IdentityDeps, account: Account) -> dict[str, Any]:
    deps.accounts.save(account)
    now = deps.clock.now()
    return account.view(deps.lockouts.state(account.username, now), now)


def set_scopes(
    deps: IdentityDeps,
    registry: Registry,
    principal: Principal,
    username: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    """New roles and scopes, in force at the account's next request (the authorizer reads
    them from the account, not from the token)."""
    account = _account(deps, principal, username)
    account.scopes = tuple(check_scopes(registry, body["scopes"]))
    account.updated_at = deps.clock.now()
    return _saved(deps, account)


def set_enabled(
    deps: IdentityDeps, principal: Principal, username: str, enabled: bool
) -> dict[str, Any]:
    if username == principal.username and not enabled:
        raise InvalidInput(
            "You cannot disable your own account.",
            "self_disable",
            [ErrorDetail("username", "self_disable", "Ask another district administrator.")],
        )
    account = _account(deps, principal, username)
    account.enabled = enabled
    if not enabled:
        account.revoke_sessions(deps.clock.now())  # every session ends at once
    account.updated_at = deps.clock.now()
    return _saved(deps, account)


def reset_password(deps: IdentityDeps, principal: Principal, username: str) -> dict[str, Any]:
    """A temporary password (shown once) for someone who forgot theirs or lost the phone
    with their second factor: every session ends, the second factor and any lock are
    removed, and a new password is chosen at the next sign-in."""
    account = _account(deps, principal, username)
    now = deps.clock.now()
    password = temporary_password(deps)
    account.password_hash = deps.hasher.hash(password)
    account.must_change_password = True
    account.totp_secret = account.totp_pending = None
    account.totp_last_step = 0
    account.revoke_sessions(now)
    deps.accounts.save(account)
    deps.lockouts.clear(account.username)
    return {**account.view(), "temporary_password": password}


def link_work_chat(
    deps: IdentityDeps, principal: Principal, username: str, provider: str, user_id: str
) -> dict[str, Any]:
    """Let the WeCom or DingTalk user `user_id` sign in as this account."""
    kind = _provider(provider)
    account = _account(deps, principal, username)
    holders = [a.username for a in deps.accounts.by_work_chat(kind, user_id)]
    if any(holder != username for holder in holders):
        raise Conflict("This work-chat user is linked to another account.", "work_chat_taken")
    account.work_chat[kind] = user_id
    account.updated_at = deps.clock.now()
    return _saved(deps, account)


def unlink_work_chat(
    deps: IdentityDeps, principal: Principal, username: str, provider: str
) -> dict[str, Any]:
    kind = _provider(provider)
    account = _account(deps, principal, username)
    account.work_chat.pop(kind, None)
    account.updated_at = deps.clock.now()
    return _saved(deps, account)


def _provider(provider: str) -> WorkChat:
    try:
        return WorkChat(provider)
    except ValueError:
        raise NotFound("No such work-chat app.", "not_found") from None


def scope_labels(registry: Registry, principal: Principal) -> list[dict[str, str]]:
    """Each scope with a readable name, for the header of the staff pages."""

    def name(scope: Scope) -> str:
        ident = scope.id or ""
        if scope.role is Role.DISTRICT:
            return registry.district.name
        if scope.role is Role.COMMUNITY and ident in registry.communities:
            return registry.communities[ident].name
        if scope.role is Role.DEPARTMENT and ident in registry.departments:
            return registry.departments[ident].name
        if scope.role is Role.PROPERTY and ident in registry.property_companies:
            return registry.property_companies[ident].name
        if scope.role is Role.GRID:
            return f"网格 {ident}"
        return ident

    return [{"scope": str(s), "role": s.role.value, "name": name(s)} for s in principal.scopes]
