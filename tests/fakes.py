"""Fakes of the ports, for unit tests of the use cases (no AWS, no mocks)."""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.core.adapters.sessions import HmacResidentTokens
from functions.core.adapters.vault import AesGcmVault
from functions.core.config import Limits
from functions.core.domain.calendar import WorkCalendar
from functions.core.domain.cases import Case, CaseEvent
from functions.core.domain.metrics import Tally
from functions.core.domain.registry import Registry, parse_registry
from functions.core.ports import (
    CodeTaken,
    CounterHit,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    Notification,
    RateLimitHit,
    StoredPhoto,
)
from functions.core.services.intake import IntakeDeps
from functions.core.services.residents import CaseKeys
from functions.core.services.rules import Rules

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_REGISTRY = ROOT / "functions" / "local" / "data" / "sample-registry.json"
SESSION_KEY = b"t" * 32
TEST_KEYS = {
    "WHISTLE_ENCRYPTION_KEY": base64.b64encode(b"e" * 32).decode(),
    "WHISTLE_LOOKUP_KEY": base64.b64encode(b"l" * 32).decode(),
    "WHISTLE_SIGNING_KEY": base64.b64encode(b"s" * 32).decode(),
    "WHISTLE_SESSION_KEY": base64.b64encode(SESSION_KEY).decode(),
}


def sample_registry() -> Registry:
    return parse_registry(json.loads(SAMPLE_REGISTRY.read_text()))


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at = self.at + timedelta(**delta)


class SequenceIds:
    """Predictable ids; `digits` can be scripted to force code collisions."""

    def __init__(self, digits: list[str] | None = None) -> None:
        self._counter = itertools.count(1)
        self._digits = list(digits or [])

    def token(self, nbytes: int) -> str:
        return f"token{next(self._counter):0{nbytes}d}"

    def digits(self, count: int) -> str:
        if self._digits:
            return self._digits.pop(0)[:count].rjust(count, "0")
        return str(next(self._counter)).rjust(count, "0")[-count:]

    def uuid(self) -> str:
        return f"{next(self._counter):032x}"


class FakeRegistry:
    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry or sample_registry()

    def current(self) -> Registry:
        return self.registry


class FakeCaseStore:
    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}
        self.events: dict[str, list[CaseEvent]] = {}
        self.records: dict[str, IdempotencyRecord] = {}
        self.notifications: list[Notification] = []
        self.counters: dict[str, int] = {}
        self.writes = 0
        self.follower_items: dict[tuple[str, str], Any] = {}

    def add_reported(
        self,
        case: Case,
        record: IdempotencyRecord,
        now: datetime,
        hits: tuple[CounterHit, ...] = (),
    ) -> None:
        existing = self.records.get(record.key)
        if existing is not None and existing.expires_at >= now:
            raise IdempotencyKeyTaken(record.key)
        for hit in hits:
            if self.counters.get(hit.key, 0) >= hit.cap:
                raise RateLimitHit(hit)
        if case.code in self.cases:
            raise CodeTaken(case.code)
        for hit in hits:
            self.counters[hit.key] = self.counters.get(hit.key, 0) + 1
        self.writes += 1
        self.events[case.code] = list(case.new_events)
        case.new_events.clear()
        case.version = 1
        self.cases[case.code] = replace(case, new_events=[], notices=[])
        self.records[record.key] = record

    def save(
        self,
        case: Case,
        notifications: list[Notification],
        now: datetime,
        record=None,
        *,
        followers=(),
        others=(),
    ) -> None:
        from functions.core.domain.errors import Conflict

        for changed in (case, *others):
            stored = self.cases.get(changed.code)
            if stored is None or stored.version != changed.version:
                raise Conflict("stale", "stale_case")
        for follower in followers:
            kept = self.follower_items.get((follower.case_code, follower.phone.lookup))
            if (kept.version if kept else None) != follower.version:
                raise Conflict("stale", "stale_case")
        for follower in followers:
            follower.version = (follower.version or 0) + 1
            self.follower_items[(follower.case_code, follower.phone.lookup)] = replace(follower)
        for other in others:
            self.events[other.code].extend(other.new_events)
            other.new_events.clear()
            other.notices.clear()
            other.version = (other.version or 0) + 1
            self.cases[other.code] = replace(other, new_events=[], notices=[])
        if record is not None:
            if record.key in self.records:
                raise IdempotencyKeyTaken(record.key)
            self.records[record.key] = record
        self.writes += 1
        self.events[case.code].extend(case.new_events)
        self.notifications.extend(notifications)
        case.new_events.clear()
        case.notices.clear()
        case.version = (case.version or 0) + 1
        self.cases[case.code] = replace(case, new_events=[], notices=[])

    def followers(self, code: str, limit: int):
        found = [replace(f) for (c, _), f in self.follower_items.items() if c == code]
        return sorted(found, key=lambda f: f.joined_at)[:limit]

    def follower(self, code: str, lookup: str):
        found = self.follower_items.get((code, lookup))
        return replace(found) if found else None

    def followed_by(self, lookup: str, limit: int):
        found = [replace(f) for (_, p), f in self.follower_items.items() if p == lookup]
        return sorted(found, key=lambda f: f.joined_at, reverse=True)[:limit]

    def forget_followers(self, code: str) -> None:
        for key in [k for k in self.follower_items if k[0] == code]:
            del self.follower_items[key]

    def by_phone(self, lookup: str, limit: int) -> list[Case]:
        found = [c for c in self.cases.values() if c.phone.lookup and c.phone.lookup == lookup]
        return sorted(found, key=lambda c: c.created_at, reverse=True)[:limit]

    def get(self, code: str) -> Case | None:
        case = self.cases.get(code)
        return replace(case, new_events=[], notices=[]) if case else None

    def get_many(self, codes: list[str]) -> dict[str, Case]:
        return {c: case for c in codes if (case := self.get(c)) is not None}

    def idempotency(self, key: str) -> IdempotencyRecord | None:
        return self.records.get(key)

    def timeline(self, code: str) -> list[CaseEvent]:
        return list(self.events.get(code, []))

    def events_between(self, start: datetime, end: datetime, limit: int) -> list[CaseEvent]:
        found = [e for events in self.events.values() for e in events if start <= e.at <= end]
        return sorted(found, key=lambda e: (e.at, e.case_code, e.seq))[:limit]


class FakePhotoStore:
    def __init__(self) -> None:
        self.objects: dict[str, StoredPhoto] = {}
        self.data: dict[str, bytes] = {}
        self.presigned: list[dict[str, Any]] = []

    def stage(self, key: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """A photo as a presigned POST would have left it."""
        self.put(key, data, content_type)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = StoredPhoto(size=len(data), content_type=content_type)
        self.data[key] = data

    def read(self, key: str) -> bytes:
        return self.data[key]

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)
            self.data.pop(key, None)

    def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> dict[str, Any]:
        post = {"url": "https://photos.test/", "fields": {"key": key, "Content-Type": content_type}}
        self.presigned.append({"key": key, "content_type": content_type, "max_bytes": max_bytes})
        return post

    def stat(self, key: str) -> StoredPhoto | None:
        return self.objects.get(key)

    def url(self, key: str, expires_in: int) -> str:
        return f"https://photos.test/{key}?expires={expires_in}"


class FakeMetricStore:
    """Metric items in memory, keyed like the table: (scope, period)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Tally] = {}
        self.manifests: dict[str, dict[str, Any]] = {}
        self.events: dict[date, list[CaseEvent]] = {}
        self.fee_rows: dict[str, list[dict[str, Any]]] = {}
        self.settings: dict[str, dict[str, Any]] = {}
        self.campaign_totals: dict[str, dict[str, dict[str, Tally]]] = {}

    def day_events(self, day: date) -> list[CaseEvent]:
        return list(self.events.get(day, []))

    def period(self, period: str, prefix: str | None = None) -> dict[str, Tally]:
        return {
            scope: tally
            for (scope, p), tally in self.items.items()
            if p == period and (prefix is None or scope.startswith(prefix))
        }

    def backlog(self, period: str) -> dict[str, dict[str, int]]:
        return {s: t.backlog for s, t in self.period(period).items() if any(t.backlog.values())}

    def get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Tally]:
        return {key: self.items[key] for key in keys if key in self.items}

    def replace(
        self,
        period: str,
        tallies: dict[str, Tally],
        fixed: list[dict[str, Any]] | None = None,
        kept: dict[str, Any] | None = None,
    ) -> int:
        for key in [k for k in self.items if k[1] == period]:
            del self.items[key]
        self.items.update({(scope, period): tally for scope, tally in tallies.items()})
        self.manifests[period] = {"fixed": list(fixed or []), **(kept or {})}
        return len(tallies)

    def kept(self, days: list[str], name: str) -> dict[str, Any]:
        return {d: self.manifests[d][name] for d in days if name in self.manifests.get(d, {})}

    def fixed(self, days: list[str]) -> list[dict[str, Any]]:
        return [f for day in days for f in self.manifests.get(day, {}).get("fixed", [])]

    def put_fees(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            month = [
                r for r in self.fee_rows.get(row["month"], []) if r["compound"] != row["compound"]
            ]
            self.fee_rows[row["month"]] = [*month, dict(row)]

    def fees(self, month: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.fee_rows.get(month, [])]

    def setting(self, name: str) -> dict[str, Any] | None:
        return self.settings.get(name)

    def put_setting(self, name: str, data: dict[str, Any]) -> None:
        self.settings[name] = dict(data)

    def campaign_total(self, campaign: str, through: str | None) -> tuple[str, dict[str, Tally]]:
        kept = self.campaign_totals.get(campaign, {})
        day = through if through is not None else max(kept, default="")
        return (day, dict(kept[day])) if day in kept else ("", {})

    def put_campaign_total(self, campaign: str, through: str, tallies: dict[str, Tally]) -> None:
        self.campaign_totals.setdefault(campaign, {})[through] = dict(tallies)


class NoOverdue:
    def overdue(self, limit: int = 500) -> list[Any]:
        return []


class FakeCalendar:
    def __init__(self, calendar: WorkCalendar | None = None) -> None:
        self.calendar = calendar or WorkCalendar()

    def current(self) -> WorkCalendar:
        return self.calendar


def intake_deps(
    clock: FixedClock | None = None, ids: SequenceIds | None = None, limits: Limits | None = None
) -> IntakeDeps:
    registry = FakeRegistry()
    cases = FakeCaseStore()
    clock = clock or FixedClock(datetime.fromisoformat("2026-11-27T02:00:00+00:00"))
    vault = AesGcmVault(b"e" * 32, b"l" * 32)
    return IntakeDeps(
        clock=clock,
        ids=ids or SequenceIds(),
        registry=registry,
        cases=cases,
        photos=FakePhotoStore(),
        vault=vault,
        rules=Rules(registry, FakeCalendar()),
        counters=cases,
        limits=limits or Limits(),
        keys=CaseKeys(clock, vault, HmacResidentTokens(SESSION_KEY, 3600)),
    )


class TokenFactory:
    """Staff access tokens, minted as Whistle mints them (HS256, the stage's session key), for
    accounts it creates or updates in the bound account store with the scopes asked for.

    `token(user, scopes, now=…, **claims)`: extra claims override the signed ones (an `alg`
    goes into the header). Unbound, or with another key, it makes tokens Whistle refuses."""

    def __init__(self, key: bytes = SESSION_KEY) -> None:
        self.key = key
        self.accounts: Any = None

    def bind(self, accounts: Any) -> None:
        """Keep accounts in this store (the wiring's; None to stop)."""
        self.accounts = accounts

    def account(self, user: str, scopes: list[str], now: datetime) -> Any:
        """The account `user`, created or given exactly `scopes` (unknown scope text is
        ignored, as it would be in the store)."""
        from functions.core.domain.accounts import Account
        from functions.core.domain.staff import Scope

        parsed = tuple(sorted({s for s in (Scope.parse(t) for t in scopes) if s}))
        account = self.accounts.get(user)
        if account is None:
            account = Account(
                username=user,
                name=user,
                email=f"{user}@staff.test",
                scopes=parsed,
                password_hash="!",  # no password signs in as a minted account
                created_at=now,
                updated_at=now,
            )
            self.accounts.add(account)
        elif account.scopes != parsed:
            account.scopes = parsed
            account.updated_at = now
            self.accounts.save(account)
        return account

    def token(
        self, user: str, scopes: list[str], *, now: datetime | None = None, **overrides: Any
    ) -> str:
        from functions.core.adapters.sessions import AUDIENCE, ISSUER, encode

        now = now or datetime.now().astimezone()
        generation = 0
        if self.accounts is not None:
            generation = self.account(user, scopes, now).generation
        issued = int(now.timestamp())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user,
            "gen": generation,
            "iat": issued,
            "exp": issued + 900,
        }
        header = {"alg": overrides.pop("alg", "HS256"), "typ": "JWT"}
        claims.update(overrides)
        return encode(claims, self.key, header)
