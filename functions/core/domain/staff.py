"""Staff: who is signed in, in which roles, over which part of the district.

A scope is a role and, except for the district task force (专班), the id of what it covers:
`district`, `community:<id>`, `department:<id>`, `grid:<id>`, `property:<id>`. An account
holds its scopes (`domain/accounts.py`), so one staff member can hold several.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import Forbidden


class Role(StrEnum):
    DISTRICT = "district"  # 专班: the district task force
    COMMUNITY = "community"  # 社区工作人员
    DEPARTMENT = "department"  # 部门: a city or district department's clerk
    GRID = "grid"  # 网格员
    PROPERTY = "property"  # 物业服务企业


@dataclass(frozen=True, order=True)
class Scope:
    role: Role
    id: str | None = None

    def __str__(self) -> str:
        return self.role.value if self.id is None else f"{self.role.value}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Scope | None:
        """A scope from its group name; None for anything else (other groups are ignored)."""
        role_text, _, ident = text.partition(":")
        try:
            role = Role(role_text)
        except ValueError:
            return None
        if role is Role.DISTRICT:
            return cls(role) if not ident else None
        if not ident or len(ident) > 64 or not all(c.isalnum() or c in "_-" for c in ident):
            return None
        return cls(role, ident)


@dataclass(frozen=True)
class Principal:
    """A signed-in staff member."""

    username: str
    scopes: tuple[Scope, ...]

    def ids(self, role: Role) -> tuple[str, ...]:
        return tuple(s.id for s in self.scopes if s.role is role and s.id is not None)

    def has(self, role: Role) -> bool:
        return any(s.role is role for s in self.scopes)

    @property
    def is_district(self) -> bool:
        return self.has(Role.DISTRICT)

    def require(self, *roles: Role) -> None:
        """Refuse (403) a staff member who holds none of `roles`."""
        if not any(self.has(role) for role in roles):
            raise Forbidden(
                "Your role does not allow this.",
                "forbidden",
            )

    def scope_text(self) -> str:
        return " ".join(str(s) for s in self.scopes)

    @classmethod
    def from_scope_text(cls, username: str, text: str) -> Principal:
        scopes = tuple(sorted({s for s in (Scope.parse(t) for t in text.split()) if s}))
        return cls(username, scopes)
