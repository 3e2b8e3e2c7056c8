"""攻坚 projects: problems too big for one case. The district turns a hotspot (or any set of
cases) into a project with an owner department, partner departments, a due date, linked cases,
progress notes and a status; a project marked public is shown on the results board."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from .errors import ErrorDetail, InvalidInput
from .registry import Registry

Status = Literal["active", "done", "dropped"]
STATUSES = ("active", "done", "dropped")
MAX_CASES = 200
MAX_NOTES = 200


@dataclass(frozen=True)
class Note:
    at: str
    by: str
    text: str


@dataclass(frozen=True)
class Project:
    id: str
    title: str
    owner: str  # the department leading it
    partners: tuple[str, ...]
    due: str  # YYYY-MM-DD, China calendar
    cases: tuple[str, ...]
    status: Status = "active"
    public: bool = False
    summary: str = ""  # what the public may read about it
    origin: dict[str, Any] | None = None  # the hotspot it came from
    notes: tuple[Note, ...] = field(default_factory=tuple)
    created_by: str = ""
    created_at: str = ""
    version: int = 0

    def involves(self, department: str) -> bool:
        return department == self.owner or department in self.partners

    def noted(self, note: Note) -> Project:
        if len(self.notes) >= MAX_NOTES:
            raise InvalidInput(
                "This project has as many notes as it can hold.",
                "too_many_notes",
                [ErrorDetail("text", "too_many_notes", f"At most {MAX_NOTES} notes.")],
            )
        return replace(self, notes=(*self.notes, note))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "partners": list(self.partners),
            "due": self.due,
            "cases": list(self.cases),
            "status": self.status,
            "public": self.public,
            "summary": self.summary,
            "origin": self.origin,
            "notes": [{"at": n.at, "by": n.by, "text": n.text} for n in self.notes],
            "created_by": self.created_by,
            "created_at": self.created_at,
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Project:
        return cls(
            id=str(data["id"]),
            title=str(data["title"]),
            owner=str(data["owner"]),
            partners=tuple(data.get("partners", ())),
            due=str(data["due"]),
            cases=tuple(data.get("cases", ())),
            status=data.get("status", "active"),
            public=bool(data.get("public", False)),
            summary=str(data.get("summary", "")),
            origin=data.get("origin"),
            notes=tuple(Note(**n) for n in data.get("notes", ())),
            created_by=str(data.get("created_by", "")),
            created_at=str(data.get("created_at", "")),
            version=int(data.get("version", 0)),
        )


def check_project(registry: Registry, fields: dict[str, Any]) -> list[ErrorDetail]:
    """What is wrong with a project's departments and due date (the schema checked the shape)."""
    problems = []
    departments = registry.departments
    if "owner" in fields and fields["owner"] not in departments:
        problems.append(ErrorDetail("owner", "unknown_department", "Unknown department."))
    for partner in fields.get("partners", ()):
        if partner not in departments:
            problems.append(ErrorDetail("partners", "unknown_department", f"Unknown {partner!r}."))
    if fields.get("owner") and fields["owner"] in fields.get("partners", ()):
        problems.append(ErrorDetail("partners", "owner_twice", "The owner is not its own partner."))
    if "due" in fields:
        try:
            date.fromisoformat(str(fields["due"]))
        except ValueError:
            problems.append(ErrorDetail("due", "invalid_date", "due is YYYY-MM-DD."))
    return problems
