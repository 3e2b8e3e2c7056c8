"""The case (工单): one reported problem, its state and its timeline of events.

Every change to a case is an event appended to its timeline; the timeline is the audit log
and the only input of the metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .registry import Category, Compound, Registry


class Status(StrEnum):
    SUBMITTED = "submitted"  # 待分拨: awaiting community triage
    REJECTED = "rejected"  # 不予受理
    MERGED = "merged"  # 合并: a duplicate of another case
    LOCAL = "local"  # 社区/物业/网格 自办: handled locally
    WHISTLED = "whistled"  # 吹哨: referred to a department, alert pending
    DISPATCHED = "dispatched"  # 派单: department alerted, claim clock running
    CLAIMED = "claimed"  # 认领: department accepted
    RESOLVED = "resolved"  # 办结: reported fixed, awaiting the resident's rating
    CLOSED = "closed"  # 关闭: rated, or unrated after 7 days


class Channel(StrEnum):
    RESIDENT = "resident"
    GRID = "grid"
    PROPERTY = "property"
    OPEN311 = "open311"


@dataclass(frozen=True)
class Actor:
    """Who caused an event: a role and, for staff, their id."""

    role: str
    id: str | None = None

    @staticmethod
    def resident() -> Actor:
        return Actor("resident")

    @staticmethod
    def system() -> Actor:
        return Actor("system")


@dataclass(frozen=True)
class SealedPhone:
    """A phone number as stored: encrypted, a keyed hash for look-ups, and the masked form."""

    ciphertext: str
    lookup: str
    masked: str


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a case's timeline: who, when, what, status before and after."""

    case_code: str
    seq: int
    at: datetime
    kind: str
    actor: Actor
    status_before: Status | None
    status_after: Status
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewReport:
    """A problem as a resident (or a grid worker, a property company, a 311 client) reports it."""

    category: str
    compound: str
    address: str
    description: str
    phone: str
    consent: bool
    photos: tuple[str, ...] = ()
    location: Location | None = None
    channel: Channel = Channel.RESIDENT
    reporter: str | None = None


@dataclass
class Case:
    code: str
    status: Status
    category: str
    compound: str
    community: str
    street: str
    address: str
    description: str
    phone: SealedPhone
    photos: tuple[str, ...]
    location: Location | None
    token_hash: str
    channel: Channel
    reporter: str | None
    created_at: datetime
    updated_at: datetime
    version: int | None = None
    event_count: int = 0
    new_events: list[CaseEvent] = field(default_factory=list)

    @classmethod
    def report(
        cls,
        *,
        code: str,
        report: NewReport,
        category: Category,
        compound: Compound,
        registry: Registry,
        phone: SealedPhone,
        photos: tuple[str, ...],
        token_hash: str,
        at: datetime,
    ) -> Case:
        community = registry.communities[compound.community]
        case = cls(
            code=code,
            status=Status.SUBMITTED,
            category=category.id,
            compound=compound.id,
            community=community.id,
            street=community.street,
            address=report.address.strip(),
            description=report.description.strip(),
            phone=phone,
            photos=photos,
            location=report.location,
            token_hash=token_hash,
            channel=report.channel,
            reporter=report.reporter,
            created_at=at,
            updated_at=at,
        )
        actor = (
            Actor(report.channel.value, report.reporter) if report.reporter else Actor.resident()
        )
        case._record(
            "reported",
            actor,
            at,
            before=None,
            after=Status.SUBMITTED,
            data={"channel": report.channel.value, "photos": len(photos)},
        )
        return case

    def _record(
        self,
        kind: str,
        actor: Actor,
        at: datetime,
        *,
        before: Status | None,
        after: Status,
        note: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> CaseEvent:
        event = CaseEvent(
            case_code=self.code,
            seq=self.event_count,
            at=at,
            kind=kind,
            actor=actor,
            status_before=before,
            status_after=after,
            note=note,
            data=data or {},
        )
        self.event_count += 1
        self.status = after
        self.updated_at = at
        self.new_events.append(event)
        return event
