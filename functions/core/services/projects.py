"""攻坚 projects: the district creates them (from a hotspot or any cases), changes their status,
due date, cases and whether they are public; the district and the departments in a project add
progress notes. Progress is read from the linked cases."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from ..domain.cases import FINAL, Status
from ..domain.clock import Clock, IdSource, iso
from ..domain.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from ..domain.projects import MAX_CASES, Note, Project, check_project
from ..domain.registry import Registry
from ..domain.staff import Principal, Role
from ..ports import CaseStore, ProjectStore, RegistrySource

DONE = {Status.RESOLVED, Status.CLOSED}
PUBLIC_FIELDS: tuple[str, ...] = ("id", "title", "owner_name", "partner_names", "due", "status")
PUBLIC_FIELDS += ("summary", "progress")


@dataclass(frozen=True)
class ProjectsDeps:
    clock: Clock
    ids: IdSource
    store: ProjectStore
    registry: RegistrySource
    cases: CaseStore


def create(deps: ProjectsDeps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    principal.require(Role.DISTRICT)
    registry = deps.registry.current()
    _check(deps, registry, body)
    cases = list(body.get("cases", [])) or _hotspot_cases(deps, body.get("origin"))
    project = Project(
        id=f"gj-{deps.ids.token(6).lower()}",
        title=body["title"].strip(),
        owner=body["owner"],
        partners=tuple(dict.fromkeys(body.get("partners", []))),
        due=body["due"],
        cases=tuple(dict.fromkeys(cases)),
        public=bool(body.get("public", False)),
        summary=body.get("summary", "").strip(),
        origin=body.get("origin"),
        created_by=principal.username,
        created_at=iso(deps.clock.now()),
        version=1,
    )
    deps.store.put(project, None)
    return _view(deps, registry, project)


def change(
    deps: ProjectsDeps, principal: Principal, project_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The district changes what `body` names (status, due, owner, partners, cases, public,
    summary, title), on the version it read."""
    principal.require(Role.DISTRICT)
    registry = deps.registry.current()
    found = _get(deps, project_id)
    if body["version"] != found.version:
        raise Conflict("The project changed meanwhile; load it again.", "stale")
    merged = {"owner": found.owner, "partners": list(found.partners), **body}
    _check(deps, registry, merged)
    changes: dict[str, Any] = {
        k: v for k, v in body.items() if k in ("status", "due", "owner", "public", "summary")
    }
    if "title" in body:
        changes["title"] = body["title"].strip()
    if "partners" in body:
        changes["partners"] = tuple(dict.fromkeys(body["partners"]))
    if "cases" in body:
        changes["cases"] = tuple(dict.fromkeys(body["cases"]))
    updated = replace(found, **changes, version=found.version + 1)
    deps.store.put(updated, found)
    return _view(deps, registry, updated)


def note(deps: ProjectsDeps, principal: Principal, project_id: str, text: str) -> dict[str, Any]:
    """A progress note, by the district or a department in the project."""
    found = _get(deps, project_id)
    _may_read(principal, found)
    entry = Note(at=iso(deps.clock.now()), by=principal.username, text=text.strip())
    updated = replace(found.noted(entry), version=found.version + 1)
    deps.store.put(updated, found)
    return _view(deps, deps.registry.current(), updated)


def one(deps: ProjectsDeps, principal: Principal, project_id: str) -> dict[str, Any]:
    found = _get(deps, project_id)
    _may_read(principal, found)
    return _view(deps, deps.registry.current(), found)


def listing(deps: ProjectsDeps, principal: Principal) -> dict[str, Any]:
    """The district's projects (a department: those it leads or joins), active first, soonest
    due first, each with its progress."""
    principal.require(Role.DISTRICT, Role.DEPARTMENT)
    registry = deps.registry.current()
    projects = [p for p in deps.store.all() if _readable(principal, p)]
    projects.sort(key=lambda p: (p.status != "active", p.due, p.id))
    states = _states(deps, [code for p in projects for code in p.cases])
    return {
        "projects": [_view(deps, registry, p, states, notes=False) for p in projects],
        "sample": registry.sample,
    }


def public(deps: ProjectsDeps) -> dict[str, Any]:
    """The projects the district made public: what, who, by when, how far — no case codes, no
    residents, no staff names."""
    registry = deps.registry.current()
    projects = [p for p in deps.store.all() if p.public and p.status != "dropped"]
    projects.sort(key=lambda p: (p.status != "active", p.due, p.id))
    states = _states(deps, [code for p in projects for code in p.cases])
    shown = []
    for project in projects:
        view = _view(deps, registry, project, states, notes=False)
        shown.append({k: view[k] for k in PUBLIC_FIELDS})
    return {"projects": shown, "sample": registry.sample}


# -- helpers -----------------------------------------------------------------------------------


def _get(deps: ProjectsDeps, project_id: str) -> Project:
    found = deps.store.get(project_id)
    if found is None:
        raise NotFound("No such project.", "not_found")
    return found


def _readable(principal: Principal, project: Project) -> bool:
    return principal.is_district or any(project.involves(d) for d in principal.ids(Role.DEPARTMENT))


def _may_read(principal: Principal, project: Project) -> None:
    if not _readable(principal, project):
        raise NotFound("No such project.", "not_found")  # another's project is not shown


def _check(deps: ProjectsDeps, registry: Registry, fields: dict[str, Any]) -> None:
    problems = check_project(registry, fields)
    codes = list(dict.fromkeys(fields.get("cases", [])))
    if len(codes) > MAX_CASES:
        raise InvalidInput("Too many cases.", "too_many_cases", [])
    if codes:
        known = deps.cases.get_many(codes)
        problems.extend(
            ErrorDetail("cases", "unknown_case", f"No case {code}.")
            for code in codes
            if code not in known
        )
    if problems:
        raise InvalidInput(
            "The project has problems; nothing was changed.", "invalid_project", problems
        )


HOTSPOT_LOOKBACK = timedelta(days=60)


def _hotspot_cases(deps: ProjectsDeps, origin: dict[str, Any] | None) -> list[str]:
    """A project made from a recurring hotspot links that compound's cases of that kind from
    the last weeks (one Query on the compound's index), newest first."""
    if not origin or origin.get("type") != "recurring" or not origin.get("compound"):
        return []
    since = deps.clock.now() - HOTSPOT_LOOKBACK
    recent = deps.cases.recent_in_compound(origin["compound"], since, MAX_CASES)
    return [case.code for case in recent if case.category == origin.get("category")]


def _states(deps: ProjectsDeps, codes: list[str]) -> dict[str, Status]:
    unique = list(dict.fromkeys(codes))
    return {code: case.status for code, case in deps.cases.get_many(unique).items()}


def _view(
    deps: ProjectsDeps,
    registry: Registry,
    project: Project,
    states: dict[str, Status] | None = None,
    notes: bool = True,
) -> dict[str, Any]:
    states = states if states is not None else _states(deps, list(project.cases))
    linked = [states[c] for c in project.cases if c in states]

    def name(department: str) -> str:
        found = registry.departments.get(department)
        return found.name if found else department

    out = project.as_dict()
    if not notes:
        out["notes_count"] = len(project.notes)
        out["last_note_at"] = project.notes[-1].at if project.notes else None
        del out["notes"]
    out.update(
        {
            "owner_name": name(project.owner),
            "partner_names": [name(d) for d in project.partners],
            "progress": {
                "cases": len(linked),
                "fixed": sum(s in DONE for s in linked),
                "open": sum(s not in FINAL and s not in DONE for s in linked),
            },
        }
    )
    return out
