"""What is already reported where a resident lives: the open cases of a compound while they
report (附近已有的同类问题), a compound's public page, and the compound nearest to them.

Nothing here shows another resident's words, photos, address detail, location or number: a
case appears as its kind, status, age, the summary staff chose to publish and a count, only
that. Every read is one Query on the compound's cases of the last weeks (the compound-created
index), ranked here in Python, so it costs the same however long the compound's history is.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..config import Nearby
from ..domain.cases import OPEN, Case, Status
from ..domain.clock import Clock, iso, parse_iso
from ..domain.errors import ErrorDetail, InvalidInput, NotFound
from ..domain.registry import Registry, distance_m
from ..domain.similarity import similarity
from ..ports import CaseStore, RegistrySource
from ..schemas import NEARBY_QUERY, OPEN_CASES_QUERY, validate

MAX_SCANNED = 200
"""Cases of the window read in the one Query (newest first); a compound with more reports in
six weeks than this shows the newest."""

MAX_SHOWN = 10
FIXED = {Status.RESOLVED, Status.CLOSED}


@dataclass(frozen=True)
class NearbyDeps:
    clock: Clock
    registry: RegistrySource
    cases: CaseStore
    settings: Nearby


def _parsed(schema: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    """Query parameters as the schema's types: a coordinate that is no number stays a string,
    so the schema refuses it with the field's name."""
    typed: dict[str, Any] = dict(params)
    for name in ("lat", "lon"):
        if name in typed:
            with contextlib.suppress(ValueError):
                typed[name] = float(typed[name])
    return validate(schema, typed)


def _compound(registry: Registry, compound_id: str) -> Any:
    compound = registry.compounds.get(compound_id)
    if compound is None:
        raise NotFound("No such compound.", "not_found")
    return compound


def public_row(registry: Registry, case: Case) -> dict[str, Any]:
    """A case as anyone may see it: never the resident's words, photos, place or number."""
    category = registry.categories.get(case.category)
    return {
        "code": case.code,
        "category": {
            "id": case.category,
            "name": category.name if category else case.category,
            "name_en": category.name_en if category else case.category,
            "icon": category.icon if category else "more",
        },
        "status": case.status.value,
        "created_at": iso(case.created_at),
        "summary": case.public_summary,
        "residents_waiting": case.residents_waiting,  # 1 + followers + merged cases
    }


def _within(case: Case, lat: float, lon: float, radius_m: float) -> bool:
    """A case reported without a location stays: its compound is all that is known of it."""
    if case.location is None:
        return True
    return distance_m(lat, lon, case.location.lat, case.location.lng) <= radius_m


def open_cases(deps: NearbyDeps, compound_id: str, params: dict[str, str]) -> dict[str, Any]:
    """The compound's open cases of the last weeks that a resident reporting `kind` with
    description `text` (near `lat`,`lon`) may be about to report again: the same kind, or a
    description alike enough to be "likely the same problem" under any kind."""
    query = _parsed(OPEN_CASES_QUERY, params)
    if ("lat" in query) != ("lon" in query):
        missing = "lon" if "lat" in query else "lat"
        raise InvalidInput(
            "A location is lat and lon together.",
            "invalid_request",
            [ErrorDetail(missing, "missing_field", f"{missing} is required with a location")],
        )
    registry = deps.registry.current()
    compound = _compound(registry, compound_id)
    kind, text = query.get("kind"), query.get("text", "")
    if kind and kind not in registry.categories:
        raise InvalidInput(
            "No such kind of problem.",
            "invalid_request",
            [ErrorDetail("kind", "invalid_value", "kind is not a category of the registry")],
        )
    since = deps.clock.now() - timedelta(days=deps.settings.window_days)
    ranked = []
    for case in deps.cases.recent_in_compound(compound.id, since, MAX_SCANNED):
        if case.status not in OPEN:
            continue
        if "lat" in query and not _within(case, query["lat"], query["lon"], deps.settings.radius_m):
            continue
        score = similarity(text, case.description) if text else 0.0
        likely = bool(text) and score >= deps.settings.duplicate_threshold
        same_kind = kind is None or case.category == kind
        if not (same_kind or likely):
            continue
        ranked.append((likely, same_kind, case.created_at, case))
    ranked.sort(key=lambda row: row[:3], reverse=True)
    return {
        "compound": {"id": compound.id, "name": compound.name},
        "items": [
            {**public_row(registry, case), "same_kind": same, "likely_duplicate": likely}
            for likely, same, _, case in ranked[:MAX_SHOWN]
        ],
    }


def _fixed_at(case: Case) -> datetime | None:
    at = (case.resolution or {}).get("at")
    return parse_iso(str(at)) if at else None


def compound_page(deps: NearbyDeps, compound_id: str) -> dict[str, Any]:
    """A compound's public page: its open problems and those fixed lately, newest first."""
    registry = deps.registry.current()
    compound = _compound(registry, compound_id)
    now = deps.clock.now()
    since = now - timedelta(days=max(deps.settings.window_days, deps.settings.fixed_days))
    fixed_since = now - timedelta(days=deps.settings.fixed_days)
    open_rows, fixed_rows = [], []
    for case in deps.cases.recent_in_compound(compound.id, since, MAX_SCANNED):
        if case.status in OPEN:
            open_rows.append(public_row(registry, case))
        elif case.status in FIXED:
            fixed_at = _fixed_at(case)
            if fixed_at and fixed_at >= fixed_since:
                fixed_rows.append({**public_row(registry, case), "fixed_at": iso(fixed_at)})
    community = registry.communities.get(compound.community)
    return {
        "compound": {
            "id": compound.id,
            "name": compound.name,
            "community": community.name if community else "",
        },
        "open": open_rows,
        "fixed": sorted(fixed_rows, key=lambda row: str(row["fixed_at"]), reverse=True),
        "days": max(deps.settings.window_days, deps.settings.fixed_days),
        "sample": registry.sample,
    }


def nearest_compound(deps: NearbyDeps, params: dict[str, str]) -> dict[str, Any]:
    """ "Use my location": the compound whose centre is nearest, if within 800 m."""
    query = _parsed(NEARBY_QUERY, params)
    registry = deps.registry.current()
    compound = registry.nearest_compound(query["lat"], query["lon"])
    if compound is None or compound.lat is None or compound.lng is None:
        return {"compound": None}
    return {
        "compound": {
            "id": compound.id,
            "name": compound.name,
            "community": compound.community,
            "distance_m": round(distance_m(query["lat"], query["lon"], compound.lat, compound.lng)),
        }
    }
