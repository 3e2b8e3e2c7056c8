"""The registry in DynamoDB: one item per entry, read whole and cached for a short while."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from pynamodb.models import BatchWrite

from ..domain.clock import Clock
from ..domain.registry import Registry, build_registry, registry_document
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
HEADER_FIELDS = ("format", "version", "sample", "notice", "district")


class RegistryNotLoaded(RuntimeError):
    pass


class DynamoRegistryStore:
    def load(self) -> Registry:
        """Read the whole registry: one paginated Query on one partition."""
        document: dict[str, Any] = {kind: [] for kind in KINDS}
        header: dict[str, Any] | None = None
        for item in RegistryItem.query(SCOPE, consistent_read=True):
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


class CachedRegistry:
    """The registry as the functions read it: from memory, refreshed every `ttl`."""

    def __init__(self, store: DynamoRegistryStore, clock: Clock, ttl: timedelta) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._value: Registry | None = None
        self._loaded_at: datetime | None = None

    def current(self) -> Registry:
        now = self._clock.now()
        with self._lock:
            if self._value is None or self._loaded_at is None or now - self._loaded_at >= self._ttl:
                self._value = self._store.load()
                self._loaded_at = now
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None
