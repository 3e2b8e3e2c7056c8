"""Campaigns (专项行动): the district creates and changes them; cases join as they are filed
(services/intake.py) or are added and removed by staff with a reason; community staff enter
many problems at once after a residents' meeting; progress is read from the nightly job's
running totals (domain/campaigns.py), and the open cases now from the open-work index."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ..domain.campaigns import SLICES, Campaign, check_campaign
from ..domain.campaigns import scope as campaign_scope
from ..domain.cases import Actor, Case
from ..domain.clock import CHINA_TZ, Clock, IdSource, iso
from ..domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from ..domain.metrics import Tally, counted_so_far, rates
from ..domain.registry import Registry
from ..domain.staff import Principal, Role
from ..ports import CampaignSource, CampaignStore, CaseStore, RegistrySource
from ..schemas import ID_PATTERN
from . import intake
from .intake import IntakeDeps
from .metrics import SATISFACTION_WEIGHT, MetricsDeps

SAVE_RETRIES = 3
ROW = (
    "collected",
    "whistled",
    "local",
    "claimed_on_time",
    "claimed_late",
    "response_rate",
    "resolved",
    "resolved_on_time",
    "on_time_rate",
    "rated",
    "satisfaction_rate",
    "open",
    "residents_waiting",
)


@dataclass(frozen=True)
class CampaignsDeps:
    clock: Clock
    ids: IdSource
    store: CampaignStore
    registry: RegistrySource
    cases: CaseStore
    metrics: MetricsDeps
    intake: IntakeDeps
    in_force: CampaignSource | None = None  # the cache intake reads: refreshed on a change


# -- the district's campaigns -----------------------------------------------------------------


def create(deps: CampaignsDeps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    principal.require(Role.DISTRICT)
    registry = deps.registry.current()
    _check(registry, body)
    campaign = Campaign(
        id=f"zx-{deps.ids.token(6).lower()}",
        name=body["name"].strip(),
        starts=body["starts"],
        ends=body["ends"],
        communities=tuple(dict.fromkeys(body["communities"])),
        kinds=tuple(dict.fromkeys(body.get("kinds", []))),
        target=int(body["target"]),
        public=bool(body.get("public", False)),
        summary=body.get("summary", "").strip(),
        created_by=principal.username,
        created_at=iso(deps.clock.now()),
        version=1,
    )
    deps.store.put(campaign, None)
    _refresh(deps)
    return view(registry, campaign, _today(deps))


def change(
    deps: CampaignsDeps, principal: Principal, campaign_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The district changes what `body` names, on the version it read."""
    principal.require(Role.DISTRICT)
    registry = deps.registry.current()
    found = _get(deps, campaign_id)
    if body["version"] != found.version:
        raise Conflict("The campaign changed meanwhile; load it again.", "stale")
    _check(registry, {**found.as_dict(), **body})
    changes: dict[str, Any] = {
        k: v for k, v in body.items() if k in ("starts", "ends", "target", "public")
    }
    for name in ("name", "summary"):
        if name in body:
            changes[name] = body[name].strip()
    for name in ("communities", "kinds"):
        if name in body:
            changes[name] = tuple(dict.fromkeys(body[name]))
    updated = replace(found, **changes, version=found.version + 1)
    deps.store.put(updated, found)
    _refresh(deps)
    return view(registry, updated, _today(deps))


def listing(deps: CampaignsDeps, principal: Principal) -> dict[str, Any]:
    """The district and departments see every campaign; community staff those their
    communities take part in. Each with how many problems it collected and solved."""
    registry = deps.registry.current()
    mine = _visible(principal)
    today = _today(deps)
    rows = []
    for campaign in sorted(deps.store.all(), key=lambda c: (c.starts, c.id), reverse=True):
        if mine is not None and not mine & set(campaign.communities):
            continue
        _, totals = deps.metrics.store.campaign_total(campaign.id, None)
        whole = totals.get(campaign_scope(campaign.id), Tally())
        rows.append(
            {
                **view(registry, campaign, today),
                "collected": whole.counts.get("received", 0),
                "solved": whole.counts.get("resolved", 0),
            }
        )
    return {"campaigns": rows, "sample": registry.sample}


def one(deps: CampaignsDeps, principal: Principal, campaign_id: str) -> dict[str, Any]:
    """A campaign and its progress: the running totals of the last nightly run (one read)
    and the open cases now (the open-work index: its size is the work at hand)."""
    registry = deps.registry.current()
    campaign = _get(deps, campaign_id)
    mine = _visible(principal)
    if mine is not None and not mine & set(campaign.communities):
        raise NotFound("No such campaign.", "campaign_not_found")
    return {
        "campaign": view(registry, campaign, _today(deps)),
        "progress": progress(deps, registry, campaign),
        "sample": registry.sample,
    }


# -- cases in and out ---------------------------------------------------------------------------


def add_case(
    deps: CampaignsDeps, principal: Principal, campaign_id: str, code: str, reason: str
) -> dict[str, Any]:
    """Staff add a case to a campaign with a reason: the district any case, community staff
    the cases of their communities that take part."""
    campaign = _get(deps, campaign_id)

    def join(case: Case, carry: dict[str, int], now: datetime) -> None:
        if case.community not in campaign.communities:
            raise InvalidInput(
                "The case's community does not take part in this campaign.",
                "not_in_campaign",
            )
        case.join_campaign(_actor(principal), campaign.id, reason, carry, now)

    _change_case(deps, principal, code, join)
    return {"code": code, "campaign": campaign.id}


def remove_case(
    deps: CampaignsDeps, principal: Principal, campaign_id: str, code: str, reason: str
) -> dict[str, Any]:
    """Staff take a case out of a campaign with a reason; what it counted there goes too."""
    campaign = _get(deps, campaign_id)

    def leave(case: Case, carry: dict[str, int], now: datetime) -> None:
        if case.campaign != campaign.id:
            raise Conflict("This case is not in this campaign.", "not_in_campaign")
        case.leave_campaign(_actor(principal), reason, carry, now)

    _change_case(deps, principal, code, leave)
    return {"code": code, "campaign": None}


def _change_case(
    deps: CampaignsDeps,
    principal: Principal,
    code: str,
    change: Callable[[Case, dict[str, int], datetime], None],
) -> None:
    """Apply `change` to the case as it is now, with what its timeline counted so far; a case
    changed meanwhile is read again (a few times)."""
    for attempt in range(SAVE_RETRIES):
        case = _case(deps, principal, code)
        now = deps.clock.now()
        change(case, counted_so_far(deps.cases.timeline(code)), now)
        try:
            deps.cases.save(case, [], now)
        except Conflict:
            if attempt == SAVE_RETRIES - 1:
                raise
            continue
        return


def batch(
    deps: CampaignsDeps,
    principal: Principal,
    campaign_id: str,
    key: str | None,
    body: dict[str, Any],
) -> dict[str, Any]:
    """Community staff of a participating community (or the district) enter many problems
    at once while the campaign runs (services/intake.py file_campaign_batch)."""
    principal.require(Role.DISTRICT, Role.COMMUNITY)
    campaign = _get(deps, campaign_id)
    mine = _visible(principal)
    if mine is not None and not mine & set(campaign.communities):
        raise Forbidden("Your community does not take part in this campaign.", "forbidden")
    if campaign.state(_today(deps)) != "running":
        raise Conflict("Problems are entered while the campaign runs.", "campaign_not_running")
    created = intake.file_campaign_batch(deps.intake, principal, campaign, key, body)
    return {"created": created, "count": len(created)}


# -- the public ----------------------------------------------------------------------------------


def public_list(deps: CampaignsDeps) -> dict[str, Any]:
    registry = deps.registry.current()
    today = _today(deps)
    rows = []
    for campaign in sorted(deps.store.all(), key=lambda c: (c.starts, c.id), reverse=True):
        if not campaign.public:
            continue
        day, totals = deps.metrics.store.campaign_total(campaign.id, None)
        whole = totals.get(campaign_scope(campaign.id), Tally())
        rows.append(
            {
                **_public_head(campaign, today),
                "collected": whole.counts.get("received", 0),
                "solved": whole.counts.get("resolved", 0),
                "as_of": day or None,
            }
        )
    return {"campaigns": rows, "sample": registry.sample}


def public_one(deps: CampaignsDeps, campaign_id: str) -> dict[str, Any]:
    """A public campaign's results: how many problems were solved, by kind and compound. No
    cases, residents, staff or words of theirs: two reads, whatever the history."""
    if not _is_id(campaign_id):
        raise NotFound("No such campaign.", "campaign_not_found")
    campaign = deps.store.get(campaign_id)
    if campaign is None or not campaign.public:
        raise NotFound("No such campaign.", "campaign_not_found")
    registry = deps.registry.current()
    day, totals = deps.metrics.store.campaign_total(campaign.id, None)
    whole = totals.get(campaign_scope(campaign.id), Tally())
    slices = _slices(totals, campaign.id)
    return {
        **_public_head(campaign, _today(deps)),
        "summary": campaign.summary,
        "collected": whole.counts.get("received", 0),
        "solved": whole.counts.get("resolved", 0),
        "as_of": day or None,
        "by_category": _solved_by(registry, "category", slices["category"]),
        "by_compound": _solved_by(registry, "compound", slices["compound"]),
        "sample": registry.sample,
    }


# -- reading ---------------------------------------------------------------------------------------


def view(registry: Registry, campaign: Campaign, today: date) -> dict[str, Any]:
    data = campaign.as_dict()
    data.update(
        {
            "community_names": [_name(registry, "community", c) for c in campaign.communities],
            "kind_names": [_name(registry, "category", k) for k in campaign.kinds],
            "kind_names_en": [_name(registry, "category", k, True) for k in campaign.kinds],
            "state": campaign.state(today),
        }
    )
    return data


def progress(deps: CampaignsDeps, registry: Registry, campaign: Campaign) -> dict[str, Any]:
    day, totals = deps.metrics.store.campaign_total(campaign.id, None)
    slices = _slices(totals, campaign.id)
    live = _open_now(deps, registry, campaign)
    whole = totals.get(campaign_scope(campaign.id), Tally())

    def rows(kind: str, ids: list[str]) -> list[dict[str, Any]]:
        out = []
        for ident in ids:
            line = row(slices[kind].get(ident), live[kind].get(ident, (0, 0)))
            if kind == "department":
                # Residents report to communities, never to a department: what a department
                # collected is what was whistled to it (交办量), as the dashboard ranks them.
                line["collected"] = line["whistled"]
            out.append(
                {
                    "id": ident,
                    "name": _name(registry, kind, ident),
                    "name_en": _name(registry, kind, ident, True),
                    **line,
                }
            )
        return out

    departments = sorted(set(slices["department"]) | set(live["department"]))
    return {
        "as_of": day or None,
        "target": campaign.target,
        "solved": whole.counts.get("resolved", 0),
        "totals": row(whole, live["total"].get("", (0, 0))),
        "by_community": rows("community", list(campaign.communities)),
        "by_department": rows("department", departments),
        "by_category": [
            {**r, "collected": slices["category"][r["id"]].counts.get("received", 0)}
            for r in _solved_by(registry, "category", slices["category"])
        ],
        "by_compound": [
            {**r, "collected": slices["compound"][r["id"]].counts.get("received", 0)}
            for r in _solved_by(registry, "compound", slices["compound"])
        ],
    }


def row(tally: Tally | None, live: tuple[int, int]) -> dict[str, Any]:
    """One line of a campaign's progress: counts and rates (domain/metrics.py definitions) as
    of the last nightly run, the open cases and the residents waiting on them now."""
    tally = tally or Tally()
    c = tally.counts
    figures = rates(tally, None, SATISFACTION_WEIGHT)
    return {
        "collected": c.get("received", 0),
        "whistled": c.get("whistled", 0),
        "local": c.get("local", 0),
        "claimed_on_time": c.get("claimed_on_time", 0),
        "claimed_late": c.get("claimed_late", 0),
        "response_rate": figures["response_rate"],
        "resolved": c.get("resolved", 0),
        "resolved_on_time": c.get("resolved_on_time", 0),
        "on_time_rate": figures["on_time_rate"],
        "rated": c.get("rated", 0),
        "satisfaction_rate": figures["satisfaction_rate"],
        "open": live[0],
        "residents_waiting": live[1],
    }


def _open_now(
    deps: CampaignsDeps, registry: Registry, campaign: Campaign
) -> dict[str, dict[str, tuple[int, int]]]:
    """Open cases of the campaign and the residents waiting on them, now: in total (key ""),
    by community and by department."""
    found: dict[str, dict[str, tuple[int, int]]] = {"total": {}, "community": {}, "department": {}}

    def add(kind: str, key: str, waiting: int) -> None:
        cases, residents = found[kind].get(key, (0, 0))
        found[kind][key] = (cases + 1, residents + waiting)

    read = deps.cases.open_in_scope("district", registry.district.id)
    for case in read.items:
        if case.campaign != campaign.id:
            continue
        add("total", "", case.residents_waiting)
        add("community", case.community, case.residents_waiting)
        if case.department:
            add("department", case.department, case.residents_waiting)
    return found


def _slices(totals: dict[str, Tally], campaign: str) -> dict[str, dict[str, Tally]]:
    out: dict[str, dict[str, Tally]] = {name: {} for name in SLICES}
    prefix = campaign_scope(campaign) + "|"
    for key, tally in totals.items():
        if key.startswith(prefix):
            kind, _, ident = key[len(prefix) :].partition(":")
            if kind in out:
                out[kind][ident] = tally
    return out


def _solved_by(registry: Registry, kind: str, tallies: dict[str, Tally]) -> list[dict[str, Any]]:
    rows = [
        {
            "id": ident,
            "name": _name(registry, kind, ident),
            "name_en": _name(registry, kind, ident, True),
            "solved": tally.counts.get("resolved", 0),
        }
        for ident, tally in tallies.items()
    ]
    return sorted(rows, key=lambda r: (-r["solved"], r["name"]))


def _public_head(campaign: Campaign, today: date) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "starts": campaign.starts,
        "ends": campaign.ends,
        "state": campaign.state(today),
        "target": campaign.target,
    }


def _name(registry: Registry, kind: str, ident: str, english: bool = False) -> str:
    tables: dict[str, Any] = {
        "community": registry.communities,
        "department": registry.departments,
        "category": registry.categories,
        "compound": registry.compounds,
    }
    table = tables[kind]
    found = table.get(ident)
    if found is None:
        return ident
    if english:
        return str(getattr(found, "name_en", None) or found.name)
    return str(found.name)


def _actor(principal: Principal) -> Actor:
    role = principal.scopes[0].role.value if principal.scopes else "staff"
    return Actor(role, principal.username)


def _visible(principal: Principal) -> set[str] | None:
    """None: every campaign (the district, departments); else the communities whose
    campaigns community staff see."""
    if principal.is_district or principal.has(Role.DEPARTMENT):
        return None
    if principal.has(Role.COMMUNITY):
        return set(principal.ids(Role.COMMUNITY))
    raise Forbidden("Campaigns are for district, community and department staff.", "forbidden")


def _case(deps: CampaignsDeps, principal: Principal, code: str) -> Case:
    principal.require(Role.DISTRICT, Role.COMMUNITY)
    case = deps.cases.get(code) if _is_id(code) else None
    mine = _visible(principal)
    if case is None or (mine is not None and case.community not in mine):
        raise NotFound("No such case.", "case_not_found")
    return case


def _get(deps: CampaignsDeps, campaign_id: str) -> Campaign:
    found = deps.store.get(campaign_id) if _is_id(campaign_id) else None
    if found is None:
        raise NotFound("No such campaign.", "campaign_not_found")
    return found


def _check(registry: Registry, fields: dict[str, Any]) -> None:
    problems = check_campaign(registry, fields)
    if problems:
        raise InvalidInput(
            "The campaign has problems; nothing was changed.", "invalid_input", problems
        )


def _refresh(deps: CampaignsDeps) -> None:
    invalidate = getattr(deps.in_force, "invalidate", None)
    if invalidate is not None:
        invalidate()


def _today(deps: CampaignsDeps) -> date:
    return deps.clock.now().astimezone(CHINA_TZ).date()


def _is_id(text: str) -> bool:
    return bool(re.fullmatch(ID_PATTERN, text)) and len(text) <= 64
