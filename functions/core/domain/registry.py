"""The registry (台账): streets, communities, compounds, grids, property companies, departments
and case categories. It is data the district keeps current, loaded from a versioned file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from jsonschema import Draft202012Validator

from .errors import ErrorDetail, InvalidInput

CompoundType = Literal["resettlement", "old", "commercial"]
"""安置房小区 / 老旧小区（房改房）/ 商品房小区."""

REGISTRY_FORMAT = "whistle-registry/1"


NEAREST_COMPOUND_M = 800.0
"""How far a point may be from a compound's centre to be taken as in that compound."""


@dataclass(frozen=True)
class Webhook:
    kind: Literal["wecom", "dingtalk", "feishu"]
    url: str


@dataclass(frozen=True)
class Street:
    """街道 or 乡镇: a sub-district or town."""

    id: str
    name: str


@dataclass(frozen=True)
class Community:
    """社区: a residents' committee area. Preparatory ones are 社区筹备组."""

    id: str
    name: str
    street: str
    preparatory: bool = False
    committee_supervisors: int = 0
    email: str | None = None
    webhook: Webhook | None = None


@dataclass(frozen=True)
class Compound:
    """小区: a residential compound."""

    id: str
    name: str
    community: str
    type: CompoundType
    households: int
    property_company: str | None
    party_organisation: Literal["branch", "work_group", "none"] = "none"
    committee: Literal["owners", "management", "none"] = "none"
    committee_members: int = 0
    committee_party_members: int = 0
    lat: float | None = None  # the compound's centre, for reports that come with coordinates
    lng: float | None = None


@dataclass(frozen=True)
class Grid:
    """网格: the smallest management area, with its one grid worker (一格一员)."""

    id: str
    compound: str
    worker: str


@dataclass(frozen=True)
class PropertyCompany:
    """物业服务企业."""

    id: str
    name: str
    party_organisation: bool = False


@dataclass(frozen=True)
class Department:
    """A city or district department that claims and resolves whistled cases."""

    id: str
    name: str
    name_en: str
    email: str | None = None
    phone: str | None = None
    webhook: Webhook | None = None
    sms_alerts: bool = False  # SMS costs most: only where the district asks for it
    head_email: str | None = None  # 部门负责人: escalations go to them too
    head_phone: str | None = None


@dataclass(frozen=True)
class TimeLimit:
    """A limit in working days, working hours or plain (calendar) hours."""

    amount: int
    unit: Literal["working_days", "working_hours", "hours"]


@dataclass(frozen=True)
class Limits:
    """限时办结: how long triage, claiming and resolving may take."""

    triage: TimeLimit
    claim: TimeLimit
    resolve: TimeLimit


@dataclass(frozen=True)
class Category:
    """A kind of problem, with the department it goes to and its time limits."""

    id: str
    name: str
    name_en: str
    group: str
    group_en: str
    department: str
    urgent: bool
    limits: Limits
    open311_code: str
    icon: str
    keywords: tuple[str, ...] = ()
    # What to do right now, shown before the form (urgent kinds: "call 119", the lift's
    # emergency number): the report follows; it does not replace the emergency call.
    guidance: str | None = None
    guidance_en: str | None = None


@dataclass(frozen=True)
class District:
    id: str
    name: str
    name_en: str
    code_prefix: str
    email: str | None = None  # 专班: extension requests and escalations
    webhook: Webhook | None = None


@dataclass(frozen=True)
class Route:
    """Routing override: this category in this street or community goes to this department."""

    category: str
    department: str
    street: str | None = None
    community: str | None = None


@dataclass(frozen=True)
class Registry:
    version: str
    sample: bool
    notice: str
    district: District
    streets: dict[str, Street] = field(default_factory=dict)
    communities: dict[str, Community] = field(default_factory=dict)
    compounds: dict[str, Compound] = field(default_factory=dict)
    grids: dict[str, Grid] = field(default_factory=dict)
    property_companies: dict[str, PropertyCompany] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()

    def route(self, category_id: str, community_id: str) -> str | None:
        """The department a case goes to: a community's override, else its street's, else
        the category's default."""
        category = self.categories.get(category_id)
        community = self.communities.get(community_id)
        street = community.street if community else None
        by_street = None
        for route in self.routes:
            if route.category != category_id:
                continue
            if route.community is not None and route.community == community_id:
                return route.department
            if route.street is not None and route.street == street and route.community is None:
                by_street = route.department
        if by_street:
            return by_street
        return category.department if category else None

    def nearest_compound(
        self, lat: float, lng: float, within_m: float = NEAREST_COMPOUND_M
    ) -> Compound | None:
        """The compound whose centre is closest to a point, if it is within `within_m` (a
        resident's "use my location", and a 311 report with a location but no compound)."""
        best, best_distance = None, within_m
        for compound in self.compounds.values():
            if compound.lat is None or compound.lng is None:
                continue
            distance = distance_m(lat, lng, compound.lat, compound.lng)
            if distance <= best_distance:
                best, best_distance = compound, distance
        return best

    def managed_compounds(self, company_id: str) -> tuple[str, ...]:
        return tuple(c.id for c in self.compounds.values() if c.property_company == company_id)

    def category_names(self, category_id: str) -> dict[str, str]:
        """A category's id and names, as every view of a case shows it (the id for a name
        when the category left the registry)."""
        category = self.categories.get(category_id)
        return {
            "id": category_id,
            "name": category.name if category else category_id,
            "name_en": category.name_en if category else category_id,
        }

    def public_view(self) -> dict[str, Any]:
        """What anyone may read: names and ids, never contacts or worker names."""
        by_community: dict[str, list[Compound]] = {}
        for compound in self.compounds.values():
            by_community.setdefault(compound.community, []).append(compound)
        return {
            "version": self.version,
            "sample": self.sample,
            "notice": self.notice,
            "district": {"id": self.district.id, "name": self.district.name},
            "communities": [
                {
                    "id": c.id,
                    "name": c.name,
                    "street": self.streets[c.street].name,
                    "compounds": [
                        {"id": x.id, "name": x.name, "type": x.type}
                        for x in by_community.get(c.id, [])
                    ],
                }
                for c in self.communities.values()
            ],
            "departments": [
                {"id": d.id, "name": d.name, "name_en": d.name_en}
                for d in self.departments.values()
            ],
            "categories": [
                {
                    "id": c.id,
                    "name": c.name,
                    "name_en": c.name_en,
                    "group": c.group,
                    "group_en": c.group_en,
                    "urgent": c.urgent,
                    "icon": c.icon,
                    **(
                        {"guidance": c.guidance, "guidance_en": c.guidance_en or c.guidance}
                        if c.guidance
                        else {}
                    ),
                }
                for c in self.categories.values()
            ],
        }


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    import math

    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 100}
_GUIDANCE = {"type": "string", "minLength": 1, "maxLength": 300}
_COUNT = {"type": "integer", "minimum": 0, "maximum": 1_000_000}
_WEBHOOK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "url"],
    "properties": {
        "kind": {"enum": ["wecom", "dingtalk", "feishu"]},
        "url": {"type": "string", "pattern": "^https://", "maxLength": 500},
    },
}
_EMAIL = {"type": "string", "format": "email", "maxLength": 254}
_MOBILE = {"type": "string", "pattern": "^1[3-9][0-9]{9}$"}
_LIMIT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["amount", "unit"],
    "properties": {
        "amount": {"type": "integer", "minimum": 1, "maximum": 1000},
        "unit": {"enum": ["working_days", "working_hours", "hours"]},
    },
}


def _entity(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "array",
        "maxItems": 20_000,
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", *required],
            "properties": {"id": _ID, **properties},
        },
    }


REGISTRY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Whistle registry file",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "format",
        "version",
        "sample",
        "notice",
        "district",
        "streets",
        "communities",
        "compounds",
        "grids",
        "property_companies",
        "departments",
        "categories",
    ],
    "properties": {
        "routes": {
            "type": "array",
            "maxItems": 2000,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["category", "department"],
                "properties": {
                    "category": _ID,
                    "department": _ID,
                    "street": _ID,
                    "community": _ID,
                },
            },
        },
        "format": {"const": REGISTRY_FORMAT},
        "version": {"type": "string", "minLength": 1, "maxLength": 64},
        "sample": {"type": "boolean"},
        "notice": {"type": "string", "maxLength": 500},
        "district": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "name", "name_en", "code_prefix"],
            "properties": {
                "id": _ID,
                "name": _NAME,
                "name_en": _NAME,
                "code_prefix": {"type": "string", "pattern": "^[A-Z]{2,4}$"},
                "email": _EMAIL,
                "webhook": _WEBHOOK,
            },
        },
        "streets": _entity(["name"], {"name": _NAME}),
        "communities": _entity(
            ["name", "street"],
            {
                "name": _NAME,
                "street": _ID,
                "preparatory": {"type": "boolean"},
                "committee_supervisors": _COUNT,
                "email": _EMAIL,
                "webhook": _WEBHOOK,
            },
        ),
        "compounds": _entity(
            ["name", "community", "type", "households", "property_company"],
            {
                "name": _NAME,
                "community": _ID,
                "type": {"enum": ["resettlement", "old", "commercial"]},
                "households": _COUNT,
                "property_company": {"anyOf": [_ID, {"type": "null"}]},
                "party_organisation": {"enum": ["branch", "work_group", "none"]},
                "committee": {"enum": ["owners", "management", "none"]},
                "committee_members": _COUNT,
                "committee_party_members": _COUNT,
                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                "lng": {"type": "number", "minimum": -180, "maximum": 180},
            },
        ),
        "grids": _entity(["compound", "worker"], {"compound": _ID, "worker": _NAME}),
        "property_companies": _entity(
            ["name"], {"name": _NAME, "party_organisation": {"type": "boolean"}}
        ),
        "departments": _entity(
            ["name", "name_en"],
            {
                "name": _NAME,
                "name_en": _NAME,
                "email": _EMAIL,
                "phone": _MOBILE,
                "webhook": _WEBHOOK,
                "sms_alerts": {"type": "boolean"},
                "head_email": _EMAIL,
                "head_phone": _MOBILE,
            },
        ),
        "categories": _entity(
            [
                "name",
                "name_en",
                "group",
                "group_en",
                "department",
                "urgent",
                "limits",
                "open311_code",
                "icon",
            ],
            {
                "name": _NAME,
                "name_en": _NAME,
                "group": _NAME,
                "group_en": _NAME,
                "department": _ID,
                "urgent": {"type": "boolean"},
                "limits": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["triage", "claim", "resolve"],
                    "properties": {"triage": _LIMIT, "claim": _LIMIT, "resolve": _LIMIT},
                },
                "open311_code": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"},
                "icon": _ID,
                "keywords": {"type": "array", "maxItems": 20, "items": _NAME},
                "guidance": _GUIDANCE,
                "guidance_en": _GUIDANCE,
            },
        ),
    },
}

_VALIDATOR = Draft202012Validator(REGISTRY_SCHEMA)


def _pointer(path: Iterable[Any]) -> str:
    return "/" + "/".join(str(p) for p in path)


def parse_registry(data: Any) -> Registry:
    """Validate a registry document (shape, then references) and build the registry.

    Every problem is reported at once, each with a JSON pointer to the offending place,
    so a district clerk can fix a whole file in one pass.
    """
    problems = [
        ErrorDetail(_pointer(e.absolute_path), "invalid_registry", e.message)
        for e in sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        raise InvalidInput("The registry file is not valid.", "invalid_registry", problems)

    def unique(kind: str) -> dict[str, dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for index, item in enumerate(data[kind]):
            if item["id"] in seen:
                problems.append(
                    ErrorDetail(f"/{kind}/{index}/id", "duplicate_id", f"Duplicate id {item['id']}")
                )
            seen[item["id"]] = item
        return seen

    def refer(kind: str, index: int, key: str, value: str | None, target: dict[str, Any]) -> None:
        if value is not None and value not in target:
            problems.append(
                ErrorDetail(
                    f"/{kind}/{index}/{key}", "unknown_reference", f"Unknown {key} {value!r}"
                )
            )

    streets = unique("streets")
    communities = unique("communities")
    compounds = unique("compounds")
    unique("grids")
    companies = unique("property_companies")
    departments = unique("departments")
    unique("categories")
    for i, c in enumerate(data["communities"]):
        refer("communities", i, "street", c["street"], streets)
    for i, c in enumerate(data["compounds"]):
        refer("compounds", i, "community", c["community"], communities)
        refer("compounds", i, "property_company", c["property_company"], companies)
        if c.get("committee_party_members", 0) > c.get("committee_members", 0):
            problems.append(
                ErrorDetail(
                    f"/compounds/{i}/committee_party_members",
                    "inconsistent",
                    "More party members than committee members",
                )
            )
    for i, g in enumerate(data["grids"]):
        refer("grids", i, "compound", g["compound"], compounds)
    for i, c in enumerate(data["categories"]):
        refer("categories", i, "department", c["department"], departments)
    categories = {c["id"]: c for c in data["categories"]}
    for i, r in enumerate(data.get("routes", [])):
        refer("routes", i, "category", r["category"], categories)
        refer("routes", i, "department", r["department"], departments)
        refer("routes", i, "street", r.get("street"), streets)
        refer("routes", i, "community", r.get("community"), communities)
    if problems:
        raise InvalidInput("The registry file is not consistent.", "invalid_registry", problems)
    return build_registry(data)


def build_registry(data: dict[str, Any]) -> Registry:
    """Build a registry from a document already validated by `parse_registry`."""

    def limit(raw: dict[str, Any]) -> TimeLimit:
        return TimeLimit(amount=raw["amount"], unit=raw["unit"])

    def hook(raw: dict[str, Any]) -> Webhook | None:
        value = raw.get("webhook")
        return Webhook(kind=value["kind"], url=value["url"]) if value else None

    def department(raw: dict[str, Any]) -> Department:
        return Department(
            id=raw["id"],
            name=raw["name"],
            name_en=raw["name_en"],
            email=raw.get("email"),
            phone=raw.get("phone"),
            webhook=hook(raw),
            sms_alerts=raw.get("sms_alerts", False),
            head_email=raw.get("head_email"),
            head_phone=raw.get("head_phone"),
        )

    def community(raw: dict[str, Any]) -> Community:
        return Community(
            id=raw["id"],
            name=raw["name"],
            street=raw["street"],
            preparatory=raw.get("preparatory", False),
            committee_supervisors=raw.get("committee_supervisors", 0),
            email=raw.get("email"),
            webhook=hook(raw),
        )

    def category(raw: dict[str, Any]) -> Category:
        lim = raw["limits"]
        return Category(
            id=raw["id"],
            name=raw["name"],
            name_en=raw["name_en"],
            group=raw["group"],
            group_en=raw["group_en"],
            department=raw["department"],
            urgent=raw["urgent"],
            limits=Limits(limit(lim["triage"]), limit(lim["claim"]), limit(lim["resolve"])),
            open311_code=raw["open311_code"],
            icon=raw["icon"],
            keywords=tuple(raw.get("keywords", ())),
            guidance=raw.get("guidance"),
            guidance_en=raw.get("guidance_en"),
        )

    d = data["district"]
    return Registry(
        version=data["version"],
        sample=data["sample"],
        notice=data["notice"],
        district=District(
            d["id"], d["name"], d["name_en"], d["code_prefix"], d.get("email"), hook(d)
        ),
        streets={v["id"]: Street(**v) for v in data["streets"]},
        communities={v["id"]: community(v) for v in data["communities"]},
        compounds={v["id"]: Compound(**v) for v in data["compounds"]},
        grids={v["id"]: Grid(**v) for v in data["grids"]},
        property_companies={v["id"]: PropertyCompany(**v) for v in data["property_companies"]},
        departments={v["id"]: department(v) for v in data["departments"]},
        categories={v["id"]: category(v) for v in data["categories"]},
        routes=tuple(Route(**r) for r in data.get("routes", [])),
    )


def registry_document(registry: Registry) -> dict[str, Any]:
    """The file form of a registry: `parse_registry(registry_document(r)) == r`."""

    def plain(items: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for item in items.values():
            raw = asdict(item)
            out.append(
                {
                    k: (list(v) if isinstance(v, tuple) else v)
                    for k, v in raw.items()
                    if v is not None or k == "property_company"
                }
            )
        return out

    return {
        "format": REGISTRY_FORMAT,
        "version": registry.version,
        "sample": registry.sample,
        "notice": registry.notice,
        "district": {k: v for k, v in asdict(registry.district).items() if v is not None},
        "streets": plain(registry.streets),
        "communities": plain(registry.communities),
        "compounds": plain(registry.compounds),
        "grids": plain(registry.grids),
        "property_companies": plain(registry.property_companies),
        "departments": plain(registry.departments),
        "categories": plain(registry.categories),
        "routes": [{k: v for k, v in asdict(r).items() if v is not None} for r in registry.routes],
    }
