"""Metrics (三率 and 两升一降), computed from the timeline only.

The nightly job counts one China calendar day's events per dimension (district, street,
community, compound, department, category, channel); months, quarters and years are sums of
days. Rates are never stored: they are derived from the counts when read, so every period and
every roll-up agrees with its parts.

Definitions (each documented once, here):

- 响应率 response rate = claimed on time / (claimed on time + claimed late + unclaimed past the
  claim limit at the period's end)
- 按期办结率 on-time resolution rate = resolved on time / resolved
- 解决率 resolution rate = rated "resolved" / rated
- 满意率 satisfaction rate = (satisfied + w × fairly satisfied) / rated, w configurable (1.0)
- complaint rate = cases received, less those withdrawn, per 1,000 households of the area
- withdrawn (撤回) cases are counted as `withdrawn` and in no rate: never triaged, rated or
  resolved; the complaint rate takes them back out of what was received
- urged = residents' 催办 presses (at most one a case a day), shown on the dashboard
- fee-collection rate = collected / billed property fees (entered per compound and month)

Property-company scorecards (物业服务企业评价), per company and per compound it serves, over a period:

- complaint rate as above, over the households of the compounds the company serves
- 物业自办 share = cases the property company took on itself (handled locally "by property") /
  cases triaged in its compounds
- 物业自办按期率 self-handled on time = its own resolutions within the limit / its own resolutions
- whistled past it = cases of its compounds the community whistled to a department
- satisfaction rate and fee-collection rate as above; whether the company has a party organisation
- ranked by satisfaction rate (none last), then the lower complaint rate, then name
The nightly job counts every event of a compound also under `property:<company>` (the company that
serves the compound in the registry the night it runs).

Campaigns (专项行动, domain/campaigns.py): every event of a campaign's case counts also under
`campaign:<id>` and its slices `campaign:<id>|community:…`, `|department:…`, `|category:…` and
`|compound:…`; a case staff add later brings what its timeline counted so far (a case taken out
takes it back out). A campaign's progress uses the definitions above over its running total:

- collected = received; whistled; claimed on time (and the response rate); resolved, resolved on
  time (and the on-time rate); rated and the satisfaction rate; solved = resolved
- open and residents waiting are read live from the open cases, not counted nightly
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import campaigns
from .cases import CAMPAIGN_JOINED, CAMPAIGN_LEFT, OPEN, CaseEvent
from .clock import iso
from .registry import Registry

# Fixed duration bins (hours): percentiles of any roll-up come from summed bins.
BINS_HOURS = (1, 2, 4, 8, 24, 48, 72, 120, 240)
DURATIONS = ("triage", "claim", "resolve")

COUNTS = (
    "received",
    "triaged",
    "whistled",
    "local",
    "rejected",
    "merged",
    "dispatched",
    "claimed_on_time",
    "claimed_late",
    "resolved",
    "resolved_on_time",
    "resolved_late",
    "returned",
    "reopened",
    "extensions",
    "extensions_approved",
    "escalations",
    "chased",
    "rated",
    "rated_resolved",
    "satisfied",
    "fairly_satisfied",
    "not_satisfied",
    "closed",
    "local_property",
    "resolved_by_property",
    "resolved_by_property_on_time",
    "withdrawn",
    "urged",
)
BACKLOG = ("open", "overdue", "unclaimed_overdue")

DIMENSIONS = ("street", "community", "compound", "department", "category", "channel")


def bin_of(seconds: float) -> int:
    hours = seconds / 3600
    for index, limit in enumerate(BINS_HOURS):
        if hours < limit:
            return index
    return len(BINS_HOURS)


@dataclass
class Tally:
    """The counts of one dimension value over one period."""

    counts: dict[str, int] = field(default_factory=dict)
    histograms: dict[str, list[int]] = field(default_factory=dict)
    backlog: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, amount: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + amount

    def observe(self, duration: str, seconds: float) -> None:
        bins = self.histograms.setdefault(duration, [0] * (len(BINS_HOURS) + 1))
        bins[bin_of(seconds)] += 1

    def merge(self, other: Tally) -> None:
        for name, value in other.counts.items():
            self.add(name, value)
        for name, bins in other.histograms.items():
            mine = self.histograms.setdefault(name, [0] * len(bins))
            for index, value in enumerate(bins):
                mine[index] += value

    def as_dict(self) -> dict[str, Any]:
        """A canonical form: sorted keys, zeroes left out, so re-runs give identical items."""
        return {
            "counts": {k: self.counts[k] for k in sorted(self.counts) if self.counts[k]},
            "histograms": {k: self.histograms[k] for k in sorted(self.histograms)},
            "backlog": {k: self.backlog[k] for k in sorted(self.backlog)},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tally:
        return cls(
            counts=dict(data.get("counts", {})),
            histograms={k: list(v) for k, v in data.get("histograms", {}).items()},
            backlog=dict(data.get("backlog", {})),
        )


def scopes_of(
    dims: Mapping[str, str | None], served_by: Mapping[str, str] | None = None
) -> list[str]:
    """Every aggregate an event counts in: the district, each of its dimension values and the
    property company serving its compound (`served_by`: compound → company)."""
    keys = ["district"]
    for name in DIMENSIONS:
        value = dims.get(name)
        if value:
            keys.append(f"{name}:{value}")
    company = (served_by or {}).get(str(dims.get("compound") or ""))
    if company:
        keys.append(f"property:{company}")
    campaign = dims.get("campaign")
    if campaign:
        keys.extend(campaigns.scopes(str(campaign), dict(dims)))
    return keys


def served_by(registry: Registry) -> dict[str, str]:
    """compound → the property company serving it, for the scorecards."""
    return {c.id: c.property_company for c in registry.compounds.values() if c.property_company}


def tally_day(
    events: Iterable[CaseEvent],
    previous: Mapping[str, Mapping[str, int]],
    companies: Mapping[str, str] | None = None,
) -> dict[str, Tally]:
    """One day's counts per scope, and the backlog at its end: yesterday's plus the day's
    changes (cases opened and closed, stages that became and stopped being overdue).
    `companies` maps compounds to the property company serving them (scorecard scopes)."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    delta: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BACKLOG, 0))
    for event in events:
        dims = event.data.get("dims") or {}
        if event.kind in (CAMPAIGN_JOINED, CAMPAIGN_LEFT):
            _carry(event, dims, tallies)
            _backlog_change(event, dims, delta, companies)
            continue
        scopes = scopes_of(dims, companies)
        counted = _counts(event)
        for scope in scopes:
            tally = tallies[scope]
            for name in counted:
                tally.add(name)
            duration = event.data.get("duration")
            kind = _duration_kind(event)
            if kind and isinstance(duration, int | float):
                tally.observe(kind, float(duration))
        _backlog_change(event, dims, delta, companies)
    for scope in set(previous) | set(delta) | set(tallies):
        before = previous.get(scope, {})
        change = delta.get(scope, {})
        backlog = {name: max(0, before.get(name, 0) + change.get(name, 0)) for name in BACKLOG}
        if any(backlog.values()) or scope in tallies:
            tallies[scope].backlog = backlog
    return dict(tallies)


def _carry(event: CaseEvent, dims: Mapping[str, Any], tallies: dict[str, Tally]) -> None:
    """A case added to a campaign brings what its timeline counted so far into the campaign's
    scopes; a case taken out takes it back out. Nothing else counts these events."""
    sign = 1 if event.kind == CAMPAIGN_JOINED else -1
    carried = event.data.get("carry") or {}
    for scope in campaigns.scopes(str(event.data.get("campaign")), dict(dims)):
        tally = tallies[scope]
        for name in COUNTS:
            amount = carried.get(name)
            if isinstance(amount, int) and amount:
                tally.add(name, sign * amount)


def counted_so_far(events: Iterable[CaseEvent]) -> dict[str, int]:
    """What a case's timeline has counted in the figures: the carry of a campaign join."""
    total: dict[str, int] = defaultdict(int)
    for event in events:
        for name in _counts(event):
            total[name] += 1
    return dict(sorted(total.items()))


FIXED_PER_DAY = 30  # the public board shows at most 30 recently fixed cases


def fixed_of(events: Iterable[CaseEvent]) -> list[dict[str, Any]]:
    """The day's resolutions as the public board shows them: when, what kind, where and
    whether on time — never who reported it or what they wrote. Newest first."""
    fixed = []
    for event in events:
        if event.kind != "resolved":
            continue
        dims = event.data.get("dims") or {}
        fixed.append(
            {
                "at": iso(event.at),
                "category": str(dims.get("category") or ""),
                "compound": str(dims.get("compound") or ""),
                "community": str(dims.get("community") or ""),
                "on_time": bool(event.data.get("on_time", True)),
                "residents": int(event.data.get("residents") or 1),
            }
        )
    fixed.sort(key=lambda f: (f["at"], f["compound"], f["category"]), reverse=True)
    return fixed[:FIXED_PER_DAY]


def _counts(event: CaseEvent) -> list[str]:
    kind, data = event.kind, event.data
    if kind == "reported":
        return ["received"]
    if kind == "local" and data.get("by") == "property":
        return ["local", "triaged", "local_property"]
    if kind in ("whistled", "local", "rejected", "merged"):
        return [kind, "triaged"]
    if kind == "dispatched":
        return ["dispatched"]
    if kind == "claimed":
        return ["claimed_on_time" if data.get("on_time", True) else "claimed_late"]
    if kind == "resolved":
        on_time = data.get("on_time", True)
        out = ["resolved", "resolved_on_time" if on_time else "resolved_late"]
        if data.get("local_by") == "property":
            out += ["resolved_by_property"] + (["resolved_by_property_on_time"] if on_time else [])
        return out
    if kind == "returned":
        return ["returned"]
    if kind == "reopened":
        return ["reopened"]
    if kind == "extension_requested":
        return ["extensions"]
    if kind == "extension_approved":
        return ["extensions_approved"]
    if kind == "escalated":
        return ["escalations"]
    if kind == "chased":
        return ["chased"]
    if kind == "rated":
        out = ["rated", str(data.get("satisfaction", "not_satisfied"))]
        if data.get("resolved"):
            out.append("rated_resolved")
        return out
    if kind == "closed":
        return ["closed"]
    if kind in ("withdrawn", "urged"):
        return [kind]
    return []


def _duration_kind(event: CaseEvent) -> str | None:
    if event.kind in ("whistled", "local", "rejected", "merged"):
        return "triage"
    if event.kind == "claimed":
        return "claim"
    if event.kind == "resolved":
        return "resolve"
    return None


def _backlog_change(
    event: CaseEvent,
    dims: Mapping[str, str | None],
    delta: dict[str, dict[str, int]],
    companies: Mapping[str, str] | None,
) -> None:
    before = dict(dims)
    before["department"] = event.data.get("department_before", dims.get("department"))
    if "campaign_before" in event.data:
        before["campaign"] = event.data["campaign_before"]
    if event.status_before is not None and event.status_before in OPEN:
        for scope in scopes_of(before, companies):
            delta[scope]["open"] -= 1
    if event.status_after in OPEN:
        for scope in scopes_of(dims, companies):
            delta[scope]["open"] += 1
    if event.kind == "escalated" and event.data.get("times") == 1:
        for scope in scopes_of(dims, companies):
            delta[scope]["overdue"] += 1
            if event.data.get("stage") == "claim":
                delta[scope]["unclaimed_overdue"] += 1
    ended = event.data.get("ends_overdue")
    if ended:
        for scope in scopes_of(before, companies):
            delta[scope]["overdue"] -= 1
            if ended == "claim":
                delta[scope]["unclaimed_overdue"] -= 1


# -- reading ---------------------------------------------------------------------------------


def rates(
    tally: Tally, households: int | None, fairly_weight: float = 1.0
) -> dict[str, float | None]:
    c = tally.counts

    def ratio(top: float, bottom: float) -> float | None:
        return round(top / bottom, 4) if bottom else None

    unclaimed = tally.backlog.get("unclaimed_overdue", 0)
    rated = c.get("rated", 0)
    return {
        "response_rate": ratio(
            c.get("claimed_on_time", 0),
            c.get("claimed_on_time", 0) + c.get("claimed_late", 0) + unclaimed,
        ),
        "on_time_rate": ratio(c.get("resolved_on_time", 0), c.get("resolved", 0)),
        "resolution_rate": ratio(c.get("rated_resolved", 0), rated),
        "satisfaction_rate": ratio(
            c.get("satisfied", 0) + fairly_weight * c.get("fairly_satisfied", 0), rated
        ),
        "complaint_rate": (
            round(max(0, c.get("received", 0) - c.get("withdrawn", 0)) * 1000 / households, 2)
            if households
            else None
        ),
    }


def percentile(bins: list[int], fraction: float) -> float | None:
    """The upper edge (hours) of the bin holding the given fraction of observations; the open
    last bin has no upper edge and reports its lower one (BINS_HOURS[-1]: "240 h or more")."""
    total = sum(bins)
    if not total:
        return None
    running = 0
    for index, count in enumerate(bins):
        running += count
        if running >= fraction * total:
            return float(BINS_HOURS[min(index, len(BINS_HOURS) - 1)])
    return None


def households(registry: Registry, scope: str) -> int:
    """The households an area's complaint rate is counted against."""
    kind, _, ident = scope.partition(":")
    compounds = registry.compounds.values()
    if kind == "compound":
        return sum(c.households for c in compounds if c.id == ident)
    if kind == "property":
        return sum(c.households for c in compounds if c.property_company == ident)
    if kind == "community":
        return sum(c.households for c in compounds if c.community == ident)
    if kind == "street":
        members = {c.id for c in registry.communities.values() if c.street == ident}
        return sum(c.households for c in compounds if c.community in members)
    return sum(c.households for c in compounds)  # district, and district-wide slices


def coverage(registry: Registry) -> dict[str, dict[str, float | int]]:
    """The district's organisational indicators, from the registry."""
    compounds = list(registry.compounds.values())
    companies = list(registry.property_companies.values())

    def share(part: int, whole: int) -> dict[str, float | int]:
        return {"part": part, "whole": whole, "rate": round(part / whole, 4) if whole else 0.0}

    members = sum(c.committee_members for c in compounds)
    return {
        "party_branches": share(
            sum(c.party_organisation == "branch" for c in compounds), len(compounds)
        ),
        "party_work_coverage": share(
            sum(c.party_organisation != "none" for c in compounds), len(compounds)
        ),
        "property_party_organisations": share(
            sum(c.party_organisation for c in companies), len(companies)
        ),
        "owners_committees": share(sum(c.committee != "none" for c in compounds), len(compounds)),
        "committee_party_members": share(
            sum(c.committee_party_members for c in compounds), members
        ),
        "property_management": share(
            sum(bool(c.property_company) for c in compounds), len(compounds)
        ),
    }


# -- property-company scorecards (definitions in the module's docstring) -----------------------


def scorecard_figures(
    tally: Tally | None,
    households: int,
    fees: tuple[float, float] | None,
    fairly_weight: float = 1.0,
) -> dict[str, Any]:
    """One company's (or one of its compounds') figures over a period. `fees` is (billed,
    collected) over the period's months, None when nothing was entered."""
    tally = tally or Tally()
    c = tally.counts

    def ratio(top: float, bottom: float) -> float | None:
        return round(top / bottom, 4) if bottom else None

    general = rates(tally, households, fairly_weight)
    billed, collected = fees if fees else (0.0, 0.0)
    return {
        "households": households,
        "received": c.get("received", 0),
        "complaint_rate": general["complaint_rate"],
        "self_handled": c.get("local_property", 0),
        "self_handled_share": ratio(c.get("local_property", 0), c.get("triaged", 0)),
        "self_on_time_rate": ratio(
            c.get("resolved_by_property_on_time", 0), c.get("resolved_by_property", 0)
        ),
        "whistled": c.get("whistled", 0),
        "rated": c.get("rated", 0),
        "satisfaction_rate": general["satisfaction_rate"],
        "fee_collection_rate": ratio(collected, billed),
    }


def rank_scorecards(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Satisfaction first (a company nobody rated goes last), then fewer complaints per 1,000
    households, then name; `rank` counts from 1."""

    def key(card: dict[str, Any]) -> tuple[int, float, float, str]:
        satisfaction = card["satisfaction_rate"]
        complaints = card["complaint_rate"]
        return (
            satisfaction is None,
            -(satisfaction or 0.0),
            complaints if complaints is not None else float("inf"),
            str(card.get("name", "")),
        )

    ranked = sorted(cards, key=key)
    for position, card in enumerate(ranked, start=1):
        card["rank"] = position
    return ranked


# -- hotspots (recurring and rising problems) -----------------------------------------------


@dataclass(frozen=True)
class HotspotRule:
    """When a problem counts as a hotspot (configuration: WHISTLE_HOTSPOT_*)."""

    cases: int = 3  # recurring: at least this many cases of one kind in one compound …
    days: int = 14  # … within this many days; rising is these days against the days before
    rise: float = 2.0  # rising: a kind in a community at least this many times the days before …
    rise_cases: int = 4  # … and at least this many cases


def received_by_place(events: Iterable[CaseEvent]) -> dict[str, int]:
    """The day's reports per compound and kind ("compound|category"), kept with the day's
    items so hotspots read a few days' lists, never the cases."""
    counts: dict[str, int] = defaultdict(int)
    for event in events:
        if event.kind != "reported":
            continue
        dims = event.data.get("dims") or {}
        if dims.get("compound") and dims.get("category"):
            counts[f"{dims['compound']}|{dims['category']}"] += 1
    return dict(sorted(counts.items()))


def find_hotspots(
    recent: list[Mapping[str, int]],
    before: list[Mapping[str, int]],
    community_of: Mapping[str, str],
    rule: HotspotRule,
) -> list[dict[str, Any]]:
    """Recurring: one compound and kind with at least `rule.cases` reports in the recent days.
    Rising: one community and kind with at least `rule.rise_cases` reports in the recent days
    and at least `rule.rise` times as many as in the days before, unless a recurring compound
    of that community and kind is listed already. `recent` and `before` are lists of days'
    `received_by_place` counts. Most cases first."""

    def total(days: list[Mapping[str, int]]) -> dict[str, int]:
        summed: dict[str, int] = defaultdict(int)
        for day in days:
            for key, count in day.items():
                summed[key] += count
        return summed

    def by_community(counts: Mapping[str, int]) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for key, count in counts.items():
            compound, _, category = key.partition("|")
            community = community_of.get(compound)
            if community:
                out[f"{community}|{category}"] += count
        return out

    now, then = total(recent), total(before)
    found: list[dict[str, Any]] = []
    for key, count in now.items():
        if count >= rule.cases:
            compound, _, category = key.partition("|")
            found.append(
                {"type": "recurring", "compound": compound, "category": category, "cases": count}
            )
    # A rise a recurring compound already explains is the same problem: listed once.
    explained = {f"{community_of.get(h['compound'])}|{h['category']}" for h in found}
    now_c, then_c = by_community(now), by_community(then)
    for key, count in now_c.items():
        earlier = then_c.get(key, 0)
        if key in explained:
            continue
        if count >= rule.rise_cases and count >= rule.rise * earlier:
            community, _, category = key.partition("|")
            found.append(
                {
                    "type": "rising",
                    "community": community,
                    "category": category,
                    "cases": count,
                    "before": earlier,
                }
            )
    found.sort(key=lambda h: (-h["cases"], h["type"], h.get("compound") or h["community"]))
    return found
