"""The registry in DynamoDB: one item per entry, read whole and cached for a short while."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from pynamodb.exceptions import DeleteError
from pynamodb.models import BatchWrite

from ..domain.calendar import WorkCalendar, YearCalendar
from ..domain.clock import Clock, iso, parse_iso
from ..domain.registry import Registry, build_registry, registry_document
from ..ports import CommonReply
from .tables import RegistryItem

SCOPE = "registry"
KINDS = (
    "streets",
    "communities",
    "compounds",
    "grids",
    "property_companies",
    "departments",
    "categories",
)
HEADER_FIELDS = ("format", "version", "sample", "notice", "district", "routes")


class RegistryNotLoaded(RuntimeError):
    pass


class DynamoRegistryStore:
    def load(self) -> Registry:
        """Read the whole registry: one paginated Query on one partition. Eventually
        consistent: the functions cache it for a minute anyway, at half the read cost."""
        document: dict[str, Any] = {kind: [] for kind in KINDS}
        header: dict[str, Any] | None = None
        for item in RegistryItem.query(SCOPE):
            if item.key == "meta":
                header = item.data
            else:
                # Keys are "{kind}#{position}#{id}": a Query returns each kind in file order.
                kind = item.key.split("#", 1)[0]
                document[kind].append(item.data)
        if header is None:
            raise RegistryNotLoaded("No registry has been loaded yet")
        document.update(header)
        return build_registry(document)

    def header(self) -> dict[str, Any] | None:
        """The loaded file's header (format, version, sample, notice, district), if any."""
        try:
            return dict(RegistryItem.get(SCOPE, "meta", consistent_read=True).data)
        except RegistryItem.DoesNotExist:
            return None

    def replace(self, registry: Registry) -> int:
        """Write every entry of `registry` and delete entries it no longer has.

        The header is written last, so a reader never sees a new version with old entries
        missing; a crash half-way leaves the old header and a superset of entries.
        """
        document = registry_document(registry)
        wanted = {
            f"{kind}#{position:05d}#{entry['id']}": entry
            for kind in KINDS
            for position, entry in enumerate(document[kind])
        }
        stale = [
            item
            for item in RegistryItem.query(SCOPE, attributes_to_get=["scope", "key"])
            if item.key != "meta" and item.key not in wanted
        ]
        with BatchWrite(RegistryItem) as batch:
            for key, entry in wanted.items():
                batch.save(RegistryItem(SCOPE, key, data=entry))
            for item in stale:
                batch.delete(item)
        RegistryItem(SCOPE, "meta", data={k: document[k] for k in HEADER_FIELDS}).save()
        return len(wanted)


class DynamoCalendarStore:
    """The working-day calendar: one item per year the district has entered."""

    SCOPE = "calendar"

    def load(self) -> WorkCalendar:
        years = {}
        for item in RegistryItem.query(self.SCOPE):
            data = item.data
            years[int(item.key)] = YearCalendar(
                year=int(item.key),
                holidays=frozenset(date.fromisoformat(d) for d in data["holidays"]),
                workdays=frozenset(date.fromisoformat(d) for d in data["workdays"]),
                source=str(data.get("source", "district")),
            )
        return WorkCalendar(years=years)

    def put(self, year: YearCalendar) -> None:
        RegistryItem(
            self.SCOPE,
            str(year.year),
            data={
                "holidays": sorted(d.isoformat() for d in year.holidays),
                "workdays": sorted(d.isoformat() for d in year.workdays),
                "source": year.source,
            },
        ).save()

    def years(self) -> list[int]:
        return [int(i.key) for i in RegistryItem.query(self.SCOPE, attributes_to_get=["key"])]


T = TypeVar("T")


class Cached(Generic[T]):
    """A value the functions read from memory, reloaded every `ttl` (registry, calendar)."""

    def __init__(self, load: Callable[[], T], clock: Clock, ttl: timedelta) -> None:
        self._load = load
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at: datetime | None = None

    def current(self) -> T:
        now = self._clock.now()
        with self._lock:
            if self._value is None or self._loaded_at is None or now - self._loaded_at >= self._ttl:
                self._value = self._load()
                self._loaded_at = now
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None


class DynamoApiKeyStore:
    """Open311 API keys (only the hash of each secret), in the registry table."""

    SCOPE = "open311-keys"

    def get(self, key_id: str) -> dict[str, Any] | None:
        try:
            return dict(RegistryItem.get(self.SCOPE, key_id).data)
        except RegistryItem.DoesNotExist:
            return None

    def put(self, key_id: str, data: dict[str, Any]) -> None:
        RegistryItem(self.SCOPE, key_id, data=data).save()

    def all(self) -> list[dict[str, Any]]:
        return [dict(i.data) for i in RegistryItem.query(self.SCOPE)]


class DynamoReplyStore:
    """Common replies in the registry table, one partition per scope ("replies#<scope>")."""

    @staticmethod
    def _partition(scope: str) -> str:
        return f"replies#{scope}"

    def of_scope(self, scope: str) -> list[CommonReply]:
        return [
            CommonReply(
                id=item.key,
                scope=scope,
                kind=str(item.data["kind"]),
                text=str(item.data["text"]),
                updated_at=parse_iso(str(item.data["updated_at"])),
                updated_by=str(item.data["updated_by"]),
            )
            for item in RegistryItem.query(self._partition(scope))
        ]

    def put(self, reply: CommonReply) -> None:
        RegistryItem(
            self._partition(reply.scope),
            reply.id,
            data={
                "kind": reply.kind,
                "text": reply.text,
                "updated_at": iso(reply.updated_at),
                "updated_by": reply.updated_by,
            },
        ).save()

    def delete(self, scope: str, reply_id: str) -> bool:
        try:
            # Only a reply of this scope: another scope's id is not found here.
            RegistryItem(self._partition(scope), reply_id).delete(
                condition=RegistryItem.key.exists()
            )
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
