"""Metric items and property-fee figures in DynamoDB."""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import date
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.models import BatchWrite
from pynamodb.transactions import TransactWrite

from ..domain.cases import CaseEvent
from ..domain.errors import Conflict
from ..domain.metrics import Tally
from .case_store import event_from_item
from .tables import DAY_SHARDS, FEE_CURRENT, EventItem, FeeItem, MetricItem

MANIFEST = "_scopes"  # per period: the scopes that have an item
SETTINGS = "_settings"  # the district's settings of the figures, one item each
CAMPAIGN_TOTAL = "_campaign#"  # + id, per day: a campaign's scopes summed from its first day


class DynamoMetricStore:
    def day_events(self, day: date) -> list[CaseEvent]:
        """One China calendar day's events: one Query per shard of the day index."""
        events: list[CaseEvent] = []
        for number in range(DAY_SHARDS):
            events.extend(
                event_from_item(i) for i in EventItem.by_day.query(f"{day.isoformat()}#{number}")
            )
        events.sort(key=lambda e: (e.at, e.case_code, e.seq))
        return events

    def period(self, period: str, prefix: str | None = None) -> dict[str, Tally]:
        """Every scope's items of a period: the period's list of scopes, then a BatchGetItem
        (a fixed number of reads for the registry's size, whatever the number of cases)."""
        scopes = [s for s in self.scopes(period) if prefix is None or s.startswith(prefix)]
        found = self.get_many([(scope, period) for scope in scopes])
        return {scope: tally for (scope, _), tally in found.items()}

    def scopes(self, period: str) -> list[str]:
        return list(self._manifest(period).get("scopes", []))

    def backlog(self, period: str) -> dict[str, dict[str, int]]:
        """Every scope's backlog at the end of a period, from the period's list of scopes
        alone (one read, however many scopes)."""
        return dict(self._manifest(period).get("backlog", {}))

    def _manifest(self, period: str) -> dict[str, Any]:
        try:
            return dict(MetricItem.get(MANIFEST, period).data)
        except MetricItem.DoesNotExist:
            return {}

    def get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Tally]:
        found = {}
        for item in MetricItem.batch_get(keys):
            found[(item.scope, item.period)] = Tally.from_dict(item.data)
        return found

    def replace(
        self,
        period: str,
        tallies: dict[str, Tally],
        fixed: list[dict[str, Any]] | None = None,
        kept: dict[str, Any] | None = None,
    ) -> int:
        """Make `tallies` the period's items: overwrite, and delete scopes no longer present
        (a re-run gives the same items as the first run). The list of scopes is written last,
        so a reader never finds a scope without its item; a day's list also carries the day's
        resolutions for the public board."""
        stale = [s for s in self.scopes(period) if s not in tallies]
        with BatchWrite(MetricItem) as batch:
            for scope, tally in tallies.items():
                batch.save(MetricItem(scope, period, data=tally.as_dict()))
            for scope in stale:
                batch.delete(MetricItem(scope, period))
        manifest: dict[str, Any] = {
            "scopes": sorted(tallies),
            "backlog": {
                s: t.backlog for s, t in sorted(tallies.items()) if any(t.backlog.values())
            },
        }
        if fixed is not None:
            manifest["fixed"] = fixed
        manifest.update(kept or {})  # a day's reports by place and its hotspots
        MetricItem(MANIFEST, period, data=manifest).save()
        return len(tallies)

    def fixed(self, days: list[str]) -> list[dict[str, Any]]:
        """The resolutions the nightly job kept for each of these days: one BatchGetItem."""
        found: list[dict[str, Any]] = []
        for item in MetricItem.batch_get([(MANIFEST, day) for day in days]):
            found.extend(dict(f) for f in item.data.get("fixed", []))
        return found

    def kept(self, days: list[str], name: str) -> dict[str, Any]:
        """What the nightly job kept under `name` with each of these days (one BatchGetItem
        per 100 days)."""
        found: dict[str, Any] = {}
        for start in range(0, len(days), 100):
            keys = [(MANIFEST, day) for day in days[start : start + 100]]
            for item in MetricItem.batch_get(keys):
                if name in item.data:
                    found[item.period] = item.data[name]
        return found

    def raw(self, scope: str, period: str) -> dict[str, Any] | None:
        try:
            return dict(MetricItem.get(scope, period).data)
        except MetricItem.DoesNotExist:
            return None

    def setting(self, name: str) -> dict[str, Any] | None:
        return self.raw(SETTINGS, name)

    def put_setting(self, name: str, data: dict[str, Any]) -> None:
        MetricItem(SETTINGS, name, data=data).save()

    # -- campaigns ---------------------------------------------------------------------------

    def campaign_total(self, campaign: str, through: str | None) -> tuple[str, dict[str, Tally]]:
        """One GetItem for a given day; one Query (newest first, one item) for the latest."""
        key = CAMPAIGN_TOTAL + campaign
        if through is not None:
            data = self.raw(key, through)
            found = (through, data) if data is not None else None
        else:
            latest = list(MetricItem.query(key, scan_index_forward=False, limit=1))
            found = (latest[0].period, dict(latest[0].data)) if latest else None
        if found is None:
            return "", {}
        day, data = found
        return day, {s: Tally.from_dict(t) for s, t in data.get("tallies", {}).items()}

    def put_campaign_total(self, campaign: str, through: str, tallies: dict[str, Tally]) -> None:
        data = {"tallies": {s: tallies[s].as_dict() for s in sorted(tallies)}}
        MetricItem(CAMPAIGN_TOTAL + campaign, through, data=data).save()

    # -- fees --------------------------------------------------------------------------------

    def put_fees(self, rows: list[dict[str, Any]]) -> None:
        """All rows or none, however many: the rows are written as a new generation of each
        month they touch (the month's other compounds carried over), then ONE transaction
        switches every such month to it — only if no other upload switched one meanwhile
        (409). Until the switch, readers see the previous figures; an upload that fails or
        dies before it leaves an unreachable generation, removed by the next upload."""
        generation = secrets.token_hex(8)
        by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_month[row["month"]].append(row)
        seen: dict[str, str | None] = {}
        staged: list[FeeItem] = []
        for month, month_rows in by_month.items():
            pointer, current = _generation(list(FeeItem.query(month, consistent_read=True)))
            seen[month] = pointer
            figures = {_compound(item): _fee_row(item) for item in current}
            figures.update({r["compound"]: r for r in month_rows})
            staged.extend(
                FeeItem(
                    month,
                    f"{generation}#{compound}",
                    billed=row["billed"],
                    collected=row["collected"],
                    updated_by=row["updated_by"],
                    updated_at=row["updated_at"],
                    generation=generation,
                )
                for compound, row in sorted(figures.items())
            )
        with BatchWrite(FeeItem) as batch:
            for item in staged:
                batch.save(item)
        stamp = rows[0] if rows else {"updated_by": "", "updated_at": ""}
        try:
            with TransactWrite(connection=FeeItem._get_connection().connection) as switch:
                for month, previous in seen.items():
                    switch.save(
                        FeeItem(
                            month,
                            FEE_CURRENT,
                            billed=0,
                            collected=0,
                            updated_by=stamp["updated_by"],
                            updated_at=stamp["updated_at"],
                            generation=generation,
                        ),
                        condition=(
                            FeeItem.generation == previous
                            if previous
                            else FeeItem.compound.does_not_exist()
                        ),
                    )
        except TransactWriteError as error:
            self._remove(staged)
            reasons = error.cancellation_reasons or []
            if not any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
                raise
            raise Conflict(
                "Fee figures of these months were uploaded meanwhile; upload the file again.",
                "fees_changed",
            ) from error
        for month in seen:
            self._remove(
                [
                    item
                    for item in FeeItem.query(month, consistent_read=True)
                    if item.compound != FEE_CURRENT and item.generation != generation
                ]
            )

    @staticmethod
    def _remove(items: list[FeeItem]) -> None:
        with BatchWrite(FeeItem) as batch:
            for item in items:
                batch.delete(item)

    def fees(self, month: str) -> list[dict[str, Any]]:
        """The month's figures of its current generation (one Query)."""
        _, current = _generation(list(FeeItem.query(month)))
        return [
            {"compound": _compound(i), "billed": float(i.billed), "collected": float(i.collected)}
            for i in current
        ]


def _generation(items: list[FeeItem]) -> tuple[str | None, list[FeeItem]]:
    """A month's current generation and its rows (without a pointer: the rows written before
    generations existed)."""
    pointer = next((i.generation for i in items if i.compound == FEE_CURRENT), None)
    return pointer, [i for i in items if i.compound != FEE_CURRENT and i.generation == pointer]


def _compound(item: FeeItem) -> str:
    return item.compound.rsplit("#", 1)[-1]


def _fee_row(item: FeeItem) -> dict[str, Any]:
    return {
        "compound": _compound(item),
        "billed": float(item.billed),
        "collected": float(item.collected),
        "updated_by": item.updated_by,
        "updated_at": item.updated_at,
    }
