"""Managing staff (district only): invite, set role and scope, disable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..domain.errors import ErrorDetail, InvalidInput, NotFound
from ..domain.registry import Registry
from ..domain.staff import Principal, Role, Scope
from ..ports import Directory
from ..schemas import ID_PATTERN

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


def invite(
    directory: Directory, registry: Registry, principal: Principal, body: dict[str, Any]
) -> dict[str, Any]:
    principal.require(Role.DISTRICT)
    if not USERNAME.fullmatch(body["username"]):
        raise InvalidInput(
            "Usernames are 3–64 lower-case letters, digits, '.', '_' or '-'.",
            "invalid_username",
            [ErrorDetail("username", "invalid_username", "Use lower-case letters and digits.")],
        )
    scopes = check_scopes(registry, body["scopes"])
    return directory.invite(body["username"], body["name"], body["email"], scopes)


def set_scopes(
    directory: Directory,
    registry: Registry,
    principal: Principal,
    username: str,
    body: dict[str, Any],
) -> dict[str, Any]:
    principal.require(Role.DISTRICT)
    return directory.set_scopes(_username(username), check_scopes(registry, body["scopes"]))


def set_enabled(
    directory: Directory, principal: Principal, username: str, enabled: bool
) -> dict[str, Any]:
    principal.require(Role.DISTRICT)
    username = _username(username)
    if username == principal.username and not enabled:
        raise InvalidInput(
            "You cannot disable your own account.",
            "self_disable",
            [ErrorDetail("username", "self_disable", "Ask another district administrator.")],
        )
    return directory.set_enabled(username, enabled)


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


def _username(username: str) -> str:
    """A path's username as the directory knows them (INVITE's pattern); anything else is no
    account, not a question for the directory."""
    if not re.fullmatch(ID_PATTERN[1:-1], username) or not 3 <= len(username) <= 64:
        raise NotFound("No such account.", "not_found")
    return username
