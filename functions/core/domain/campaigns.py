"""Campaigns (专项行动): the district's seasonal drives, such as each quarter's "社区吹哨、部门报到"
红色物业季. The district names a period, the participating communities, optionally the kinds of
problem it is about, and a target. A case filed in the period in a participating community (of
a focus kind, if any are named) joins the campaign as it is filed; staff may add or remove a
case with a reason. A case belongs to one campaign at most: the one that started first.

Progress is counted like every other figure (domain/metrics.py): a campaign case's events carry
the campaign in their dimensions, so the nightly job counts them under `campaign:<id>` and its
slices by community, department, kind and compound, and keeps a running total per campaign.
Cases are followed TAIL_DAYS past the campaign's end, so late resolutions and ratings count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from .errors import ErrorDetail
from .registry import Registry

State = Literal["upcoming", "running", "ended"]
TAIL_DAYS = 30
MAX_DAYS = 366
SLICES = ("community", "department", "category", "compound")


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    starts: str  # YYYY-MM-DD, China calendar, inclusive
    ends: str  # inclusive
    communities: tuple[str, ...]
    kinds: tuple[str, ...] = ()  # focus categories; none: every kind
    target: int = 1  # problems to solve
    public: bool = False
    summary: str = ""
    created_by: str = ""
    created_at: str = ""
    version: int = 0

    @property
    def first(self) -> date:
        return date.fromisoformat(self.starts)

    @property
    def last(self) -> date:
        return date.fromisoformat(self.ends)

    def state(self, today: date) -> State:
        if today < self.first:
            return "upcoming"
        return "running" if today <= self.last else "ended"

    def takes(self, community: str, category: str, day: date) -> bool:
        """Whether a case filed on `day` in `community` about `category` joins it."""
        return (
            self.first <= day <= self.last
            and community in self.communities
            and (not self.kinds or category in self.kinds)
        )

    def counted_on(self, day: date) -> bool:
        """Whether the nightly job counts its cases' events of `day` (the tail included)."""
        return self.first <= day <= self.last + timedelta(days=TAIL_DAYS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "starts": self.starts,
            "ends": self.ends,
            "communities": list(self.communities),
            "kinds": list(self.kinds),
            "target": self.target,
            "public": self.public,
            "summary": self.summary,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Campaign:
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            starts=str(data["starts"]),
            ends=str(data["ends"]),
            communities=tuple(data.get("communities", ())),
            kinds=tuple(data.get("kinds", ())),
            target=int(data.get("target", 1)),
            public=bool(data.get("public", False)),
            summary=str(data.get("summary", "")),
            created_by=str(data.get("created_by", "")),
            created_at=str(data.get("created_at", "")),
            version=int(data.get("version", 0)),
        )


def joining(campaigns: list[Campaign], community: str, category: str, day: date) -> str | None:
    """The campaign a case filed on `day` joins: of those that take it, the one that started
    first (then the lowest id), or none."""
    fitting = [c for c in campaigns if c.takes(community, category, day)]
    if not fitting:
        return None
    return min(fitting, key=lambda c: (c.starts, c.id)).id


def check_campaign(registry: Registry, fields: dict[str, Any]) -> list[ErrorDetail]:
    """What is wrong with a campaign's communities, kinds and period (the schema checked the
    shape)."""
    problems = []
    for community in fields.get("communities", ()):
        if community not in registry.communities:
            problems.append(
                ErrorDetail("communities", "unknown_community", f"Unknown {community!r}.")
            )
    for kind in fields.get("kinds", ()):
        if kind not in registry.categories:
            problems.append(ErrorDetail("kinds", "unknown_category", f"Unknown {kind!r}."))
    days: list[date] = []
    for name in ("starts", "ends"):
        try:
            days.append(date.fromisoformat(str(fields[name])))
        except (KeyError, ValueError):
            problems.append(ErrorDetail(name, "invalid_date", f"{name} is YYYY-MM-DD."))
    if len(days) == 2:
        if days[1] < days[0]:
            problems.append(
                ErrorDetail("ends", "invalid_range", "The campaign ends before it starts.")
            )
        elif (days[1] - days[0]).days >= MAX_DAYS:
            problems.append(ErrorDetail("ends", "too_long", f"At most {MAX_DAYS} days."))
    return problems


def scope(campaign: str, slice_name: str | None = None, value: str | None = None) -> str:
    """The metric scope of a campaign, or of one of its slices (`campaign:ID|community:c01`)."""
    base = f"campaign:{campaign}"
    return f"{base}|{slice_name}:{value}" if slice_name else base


def scopes(campaign: str, dims: dict[str, Any]) -> list[str]:
    """Every campaign scope an event with these dimensions counts in."""
    keys = [scope(campaign)]
    for name in SLICES:
        value = dims.get(name)
        if value:
            keys.append(scope(campaign, name, str(value)))
    return keys
