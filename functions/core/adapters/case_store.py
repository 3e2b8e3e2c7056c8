"""Cases, their timelines, notifications and idempotency records in DynamoDB."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.models import BatchWrite
from pynamodb.transactions import TransactWrite

from ..config import Settings
from ..domain.cases import (
    OPEN,
    Actor,
    Case,
    CaseEvent,
    Channel,
    Location,
    SealedPhone,
    Stage,
    Status,
    Timer,
    TimerKind,
)
from ..domain.clock import CHINA_TZ, china_date, iso, parse_iso
from ..domain.errors import Conflict
from ..domain.followers import Follower, Joined
from ..domain.lists import CaseFilter
from ..ports import (
    CodeTaken,
    CounterHit,
    IdempotencyKeyTaken,
    IdempotencyRecord,
    ListRead,
    Notification,
    Page,
    RateLimitHit,
)
from .notification_store import notification_item
from .tables import (
    DAY_SHARDS,
    DUE_SHARDS,
    CaseItem,
    CounterItem,
    EventItem,
    FollowerItem,
    IdempotencyItem,
    LocationAttribute,
    NotificationItem,
    connection,
    day_shard,
    shard,
)


class StaleCase(Conflict):
    pass


class DynamoCaseStore:
    def __init__(self, settings: Settings) -> None:
        self._connection = connection(settings)

    # -- writes ------------------------------------------------------------------------------

    def add_reported(
        self,
        case: Case,
        record: IdempotencyRecord,
        now: datetime,
        hits: tuple[CounterHit, ...] = (),
    ) -> None:
        case_item = case_to_item(case)
        events = [event_to_item(e) for e in case.new_events]
        try:
            with TransactWrite(connection=self._connection) as transaction:
                # A new code only: never overwrite another resident's case.
                transaction.save(case_item, condition=CaseItem.code.does_not_exist())
                for event in events:
                    transaction.save(event, condition=EventItem.seq.does_not_exist())
                # The key is free, or its record has expired (TTL deletes lazily, so an
                # expired record may still be there).
                transaction.save(
                    idempotency_item(record),
                    condition=IdempotencyItem.key.does_not_exist()
                    | (IdempotencyItem.expires_at < now),
                )
                for hit in hits:
                    # The sliding-window cap was worked out from the previous window's count.
                    transaction.update(
                        CounterItem(hit.key),
                        actions=[
                            CounterItem.hits.add(1),
                            CounterItem.expires_at.set(hit.expires_at),
                        ],
                        condition=CounterItem.hits.does_not_exist() | (CounterItem.hits < hit.cap),
                    )
                _move_tallies(transaction, case)
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            puts = 2 + len(events)
            if len(reasons) > puts - 1 and _failed(reasons[puts - 1]):
                raise IdempotencyKeyTaken(record.key) from error
            for index, hit in enumerate(hits):
                if len(reasons) > puts + index and _failed(reasons[puts + index]):
                    raise RateLimitHit(hit) from error
            if reasons and _failed(reasons[0]):
                raise CodeTaken(case.code) from error
            raise
        case.version = case_item.version
        case.tallied_as = (case.status, case.department)
        case.new_events.clear()

    def save(
        self,
        case: Case,
        notifications: list[Notification],
        now: datetime,
        record: IdempotencyRecord | None = None,
        *,
        followers: Sequence[Follower] = (),
        others: Sequence[Case] = (),
    ) -> None:
        """Store a transition atomically: the case (only if nobody changed it since it was
        read), its new events, the notifications it asked for and, for a retried request,
        its idempotency record. `followers` are the follower items it adds or changes and
        `others` further cases it changes (a merge: the case it joins). Raises StaleCase
        when a case or a follower changed meanwhile."""
        # The whole item is written, so a dispatch tick's lease ends with its save.
        cases = [case, *others]
        case_items = [case_to_item(c) for c in cases]
        events = [event_to_item(e) for c in cases for e in c.new_events]
        follower_items = [follower_to_item(f) for f in followers]
        try:
            with TransactWrite(connection=self._connection) as transaction:
                # The version condition (added by PynamoDB) is the optimistic lock; for a
                # new follower it is "no such item yet", so a resident joins once.
                for case_item in case_items:
                    transaction.save(case_item)
                for event in events:
                    transaction.save(event, condition=EventItem.seq.does_not_exist())
                for follower_item in follower_items:
                    transaction.save(follower_item)
                for notification in notifications:
                    transaction.save(
                        notification_item(notification),
                        condition=NotificationItem.id.does_not_exist(),
                    )
                for changed in cases:
                    _move_tallies(transaction, changed)
                if record is not None:
                    transaction.save(
                        idempotency_item(record),
                        condition=IdempotencyItem.key.does_not_exist()
                        | (IdempotencyItem.expires_at < now),
                    )
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            if record is not None and reasons and _failed(reasons[-1]):
                raise IdempotencyKeyTaken(record.key) from error
            if any(_failed(r) for r in reasons[: len(cases) + len(events) + len(followers)]):
                raise StaleCase(
                    "The case was changed by someone else; reload it and try again.",
                    "stale_case",
                ) from error
            raise
        for changed, case_item in zip(cases, case_items, strict=True):
            changed.version = case_item.version
            changed.tallied_as = (changed.status, changed.department)
            changed.new_events.clear()
            changed.notices.clear()
        for follower, follower_item in zip(followers, follower_items, strict=True):
            follower.version = follower_item.version

    def lease(self, code: str, timer_at: str, until: datetime, now: datetime) -> Case | None:
        """Take the case for one timer: only if that timer is still the one due and no other
        tick holds a live lease. None when another tick got there first.

        The lease leaves the version alone, so a staff action taken meanwhile still wins and
        the tick's save fails as stale instead of overwriting it."""
        try:
            response = CaseItem._get_connection().update_item(
                code,
                actions=[CaseItem.lease_until.set(iso(until))],
                # Same timer still pending, and no live lease of another tick.
                condition=(CaseItem.timer_at == timer_at)
                & (CaseItem.lease_until.does_not_exist() | (CaseItem.lease_until < iso(now))),
                return_values="ALL_NEW",
            )
        except UpdateError as error:
            if _condition_failed(error):
                return None
            raise
        return case_from_item(CaseItem.from_raw_data(response["Attributes"]))

    # -- reads -------------------------------------------------------------------------------

    def idempotency(self, key: str) -> IdempotencyRecord | None:
        try:
            item = IdempotencyItem.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        return IdempotencyRecord(
            key=item.key,
            fingerprint=item.fingerprint,
            case_code=item.case_code,
            sealed_token=item.sealed_token,
            created_at=item.created_at,
            expires_at=item.expires_at,
            response=item.response,
        )

    def get(self, code: str) -> Case | None:
        try:
            item = CaseItem.get(code, consistent_read=True)
        except DoesNotExist:
            return None
        return case_from_item(item)

    def get_many(self, codes: list[str]) -> dict[str, Case]:
        """BatchGetItem, 100 codes a request (PynamoDB splits and retries unprocessed keys)."""
        unique = list(dict.fromkeys(codes))
        return {
            item.code: case_from_item(item)
            for item in CaseItem.batch_get(unique, consistent_read=True)
        }

    def timeline(self, code: str) -> list[CaseEvent]:
        return [event_from_item(i) for i in EventItem.query(code, consistent_read=True)]

    def events_between(self, start: datetime, end: datetime, limit: int) -> list[CaseEvent]:
        """Every case's events in a window, oldest first: one Query per China day and shard of
        the day index, so a window costs the same however long the cases' histories are."""
        events: list[CaseEvent] = []
        day, last = start.astimezone(CHINA_TZ).date(), end.astimezone(CHINA_TZ).date()
        while day <= last:
            for number in range(DAY_SHARDS):
                query = EventItem.by_day.query(
                    f"{day.isoformat()}#{number}", EventItem.at.between(start, end), limit=limit
                )
                events.extend(event_from_item(i) for i in query)
            day += timedelta(days=1)
        events.sort(key=lambda e: (e.at, e.case_code, e.seq))
        return events[:limit]

    def compound_cases(self, compound: str, limit: int, cursor: str | None) -> Page:
        return _page(CaseItem.by_compound, compound, False, limit, cursor)

    def district_cases(self, district: str, limit: int, cursor: str | None) -> Page:
        return _page(CaseItem.by_district, district, False, limit, cursor)

    def pending_extensions(self, limit: int, cursor: str | None) -> Page:
        """Cases whose extension request awaits the district, the nearest deadline first."""
        return _page(CaseItem.extensions, "pending", True, limit, cursor)

    def recent_in_compound(self, compound: str, since: datetime, limit: int) -> list[Case]:
        query = CaseItem.by_compound.query(
            compound, CaseItem.created_at >= iso(since), scan_index_forward=False, limit=limit
        )
        return [case_from_item(i) for i in query]

    def created_between(
        self, district: str, start: datetime, end: datetime, limit: int
    ) -> list[Case]:
        """Cases reported in a window, newest first (one paginated Query)."""
        query = CaseItem.by_district.query(
            district,
            CaseItem.created_at.between(iso(start), iso(end)),
            scan_index_forward=False,
            limit=limit,
        )
        return [case_from_item(i) for i in query]

    def overdue(self, limit: int = 500) -> list[Case]:
        """Open cases past a limit, the longest overdue first (the live overdue list)."""
        return [case_from_item(i) for i in CaseItem.overdue.query("overdue", limit=limit)]

    def due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """(code, timer_at) of cases whose timer is due: one Query per shard, never a Scan."""
        found: list[tuple[str, str]] = []
        for number in range(DUE_SHARDS):
            for item in CaseItem.due.query(
                f"DUE#{number}", CaseItem.timer_at <= iso(now), limit=limit
            ):
                found.append((item.code, str(item.timer_at)))
        found.sort(key=lambda pair: pair[1])
        return found[:limit]

    def by_phone(self, lookup: str, limit: int) -> list[Case]:
        query = CaseItem.by_phone.query(lookup, scan_index_forward=False, limit=limit)
        return [case_from_item(item) for item in query]

    # -- searchable work lists ---------------------------------------------------------------

    def search(
        self,
        scope: str,
        key: str,
        case_filter: CaseFilter,
        newest_first: bool,
        limit: int,
        start: dict[str, Any] | None,
        budget: int,
    ) -> ListRead:
        """A Query of the scope's report-order index with the filter as its FilterExpression.
        DynamoDB applies a filter after reading, so each request reads at most SEARCH_READ
        items; at most `budget` requests are made, whatever the history holds. The next key
        is the last match returned when the page filled up, else where DynamoDB stopped."""
        index = _HISTORY_INDEXES[scope]
        query = index.query(
            key,
            filter_condition=_condition(case_filter),
            scan_index_forward=not newest_first,
            page_size=SEARCH_READ,
            last_evaluated_key=start,
        )
        pages, read = query.page_iter, ListRead()
        key_names = list(pages.key_names)
        while read.requests < budget:
            try:
                page = next(pages)
            except StopIteration:
                break
            read.requests += 1
            raw_items = page.get("Items", [])
            for raw in raw_items:
                read.items.append(case_from_item(CaseItem.from_raw_data(raw)))
                if len(read.items) == limit:
                    read.next_key = {name: raw[name] for name in key_names}
                    read.reached = raw["created_at"]["S"]
                    return read
            read.next_key = pages.last_evaluated_key
            if read.next_key:
                read.reached = read.next_key["created_at"]["S"]
            if not read.next_key:
                break
        return read

    def open_in_scope(self, scope: str, key: str) -> ListRead:
        read = ListRead()
        query = _OPEN_INDEXES[scope].query(key, page_size=OPEN_READ)
        for page in query.page_iter:
            read.requests += 1
            read.items.extend(
                case_from_item(CaseItem.from_raw_data(raw)) for raw in page.get("Items", [])
            )
        return read

    def tallies(self, scope: str, category: str | None) -> dict[str, int]:
        keys = [_tally_key(scope, status.value, category) for status in Status]
        counts = {str(item.key): int(item.hits or 0) for item in CounterItem.batch_get(keys)}
        return {
            status.value: counts.get(_tally_key(scope, status.value, category), 0)
            for status in Status
        }

    def rebuild_list_index(self) -> int:
        """Once, for cases stored before the searchable lists: set the open-index keys and
        recount every per-stage tally from the cases themselves. An explicit admin job and
        the one Scan of the table (its cost is the table's size); run it while nobody works,
        as a transition stored meanwhile would be counted twice or not at all."""
        counts: dict[str, int] = {}
        cases = 0
        for item in CaseItem.scan():
            case = case_from_item(item)
            cases += 1
            for key in tally_keys(case, case.status, case.department):
                counts[key] = counts.get(key, 0) + 1
            fresh = case_to_item(case)
            if (item.open_community, item.open_district) != (
                fresh.open_community,
                fresh.open_district,
            ):
                # Only the list keys, and only on the version read (PynamoDB adds the
                # condition): a change stored meanwhile is never overwritten.
                item.update(
                    actions=[
                        CaseItem.open_community.set(fresh.open_community)
                        if fresh.open_community
                        else CaseItem.open_community.remove(),
                        CaseItem.open_district.set(fresh.open_district)
                        if fresh.open_district
                        else CaseItem.open_district.remove(),
                    ]
                )
        for key, count in counts.items():
            CounterItem(key).update(actions=[CounterItem.hits.set(count)])
        return cases

    def recent_in_community(self, community: str, since: datetime) -> list[Case]:
        query = CaseItem.by_community.query(
            community, CaseItem.created_at >= iso(since), scan_index_forward=False
        )
        return [case_from_item(i) for i in query]

    # -- followers ---------------------------------------------------------------------------

    def followers(self, code: str, limit: int) -> list[Follower]:
        """The earliest `limit` followers of a case, in the order they joined (one Query:
        a page holds hundreds of followers)."""
        query = FollowerItem.query(code, consistent_read=True)
        return sorted((follower_from_item(i) for i in query), key=lambda f: f.joined_at)[:limit]

    def follower(self, code: str, lookup: str) -> Follower | None:
        try:
            return follower_from_item(FollowerItem.get(code, lookup, consistent_read=True))
        except DoesNotExist:
            return None

    def followed_by(self, lookup: str, limit: int) -> list[Follower]:
        """What the phone of this keyed hash follows, the latest first (one Query)."""
        query = FollowerItem.by_phone.query(lookup, scan_index_forward=False, limit=limit)
        return [follower_from_item(i) for i in query]

    def forget_followers(self, code: str) -> None:
        """Retention ended: the followers' numbers go with the reporter's (deleting is
        idempotent, so a purge that runs twice is harmless)."""
        with BatchWrite(FollowerItem) as batch:
            for item in FollowerItem.query(code, consistent_read=True):
                batch.delete(item)


def _page(index: Any, key: str, forward: bool, limit: int, cursor: str | None) -> Page:
    start = _decode_cursor(cursor)
    query = index.query(key, scan_index_forward=forward, limit=limit, last_evaluated_key=start)
    items = [case_from_item(i) for i in query]
    return Page(items=items, cursor=_encode_cursor(query.last_evaluated_key))


SEARCH_READ = 250
"""Items one list Query reads (DynamoDB's Limit counts items read, before the filter)."""
OPEN_READ = 1000


_HISTORY_INDEXES: dict[str, Any] = {
    "community": CaseItem.by_community,
    "department": CaseItem.by_department,
    "district": CaseItem.by_district,
}
_OPEN_INDEXES: dict[str, Any] = {
    "inbox": CaseItem.inbox,
    "work": CaseItem.department_open,
    "community": CaseItem.community_open,
    "department": CaseItem.department_open,
    "district": CaseItem.district_open,
}


def _condition(case_filter: CaseFilter) -> Any:
    """The filter as a DynamoDB FilterExpression (None when it asks for nothing)."""
    parts: list[Any] = []
    if case_filter.statuses:
        parts.append(CaseItem.status.is_in(*sorted(s.value for s in case_filter.statuses)))
    for attribute, value in (
        (CaseItem.category, case_filter.category),
        (CaseItem.community, case_filter.community),
        (CaseItem.department, case_filter.department),
    ):
        if value:
            parts.append(attribute == value)
    if case_filter.overdue:
        parts.append(CaseItem.overdue_flag.exists())
    if case_filter.min_waiting > 1:
        parts.append(CaseItem.residents_waiting >= case_filter.min_waiting)
    for word in case_filter.words:
        parts.append(
            CaseItem.code.contains(word)
            | CaseItem.address.contains(word)
            | CaseItem.description.contains(word)
        )
    condition = None
    for part in parts:
        condition = part if condition is None else condition & part
    return condition


def _tally_key(scope: str, status: str, category: str | None) -> str:
    return f"list#{scope}#{status}" + (f"#{category}" if category else "")


def tally_keys(case: Case, status: Status, department: str | None) -> list[str]:
    scopes = [f"district:{case.district or 'district'}", f"community:{case.community}"]
    if department:
        scopes.append(f"department:{department}")
    return [
        _tally_key(scope, status.value, category)
        for scope in scopes
        for category in (None, case.category)
    ]


def _move_tallies(transaction: TransactWrite, case: Case) -> None:
    """Move the case between the per-stage tallies of its scopes, in the transaction that
    stores the change, so the counts a list shows never drift from the cases."""
    moves: dict[str, int] = {}
    if case.tallied_as is not None:
        for key in tally_keys(case, *case.tallied_as):
            moves[key] = moves.get(key, 0) - 1
    for key in tally_keys(case, case.status, case.department):
        moves[key] = moves.get(key, 0) + 1
    for key, delta in sorted(moves.items()):
        if delta:
            transaction.update(CounterItem(key), actions=[CounterItem.hits.add(delta)])


def _encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


def _decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    import base64
    import binascii
    import json

    from ..domain.errors import invalid

    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error):
        raise invalid("cursor", "invalid_cursor", "The page cursor is not valid.") from None
    if not isinstance(value, dict):
        raise invalid("cursor", "invalid_cursor", "The page cursor is not valid.")
    return value


def _failed(reason: Any) -> bool:
    return reason is not None and reason.code == "ConditionalCheckFailed"


def _condition_failed(error: UpdateError) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


# -- mapping ---------------------------------------------------------------------------------


def _opt_iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


def _opt_time(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def case_to_item(case: Case) -> CaseItem:
    timer = case.timer
    item = CaseItem(
        case.code,
        status=case.status.value,
        category=case.category,
        compound=case.compound,
        community=case.community,
        street=case.street,
        district=case.district or "district",
        address=case.address,
        description=case.description,
        urgent=case.urgent,
        phone_cipher=case.phone.ciphertext or None,
        phone_lookup=case.phone.lookup or None,
        phone_masked=case.phone.masked,
        photos=list(case.photos),
        location=(
            LocationAttribute(lat=case.location.lat, lng=case.location.lng)
            if case.location
            else None
        ),
        token_hash=case.token_hash,
        channel=case.channel.value,
        reporter=case.reporter,
        created_at=iso(case.created_at),
        updated_at=iso(case.updated_at),
        department=case.department,
        co_departments=list(case.co_departments),
        handler=case.handler,
        local_by=case.local_by,
        merged_into=case.merged_into,
        stage=case.stage.value if case.stage else None,
        stage_started=_opt_iso(case.stage_started),
        deadline=_opt_iso(case.deadline),
        deadline_estimated=case.deadline_estimated,
        reminded=case.reminded,
        escalations=case.escalations,
        escalated_at=_opt_iso(case.escalated_at),
        extension=case.extension,
        resolution=case.resolution,
        rating=case.rating,
        public_summary=case.public_summary,
        reopen_count=case.reopen_count,
        resident_told=list(case.resident_told),
        resident_quiet=case.resident_quiet,
        dispatched_at=_opt_iso(case.dispatched_at),
        closed_at=_opt_iso(case.closed_at),
        timer_kind=timer.kind.value if timer else None,
        timer_at=iso(timer.at) if timer else None,
        timer_shard=shard("DUE", case.code, DUE_SHARDS) if timer else None,
        inbox_community=case.community if case.status is Status.SUBMITTED else None,
        open_department=(
            case.department
            if case.department and case.status in (Status.DISPATCHED, Status.CLAIMED)
            else None
        ),
        overdue_flag="overdue" if case.overdue and case.status in OPEN else None,
        extension_flag="pending" if case.extension is not None else None,
        event_count=case.event_count,
        client_reference=case.client_reference,
        open_community=case.community if case.status in OPEN else None,
        open_district=(case.district or "district") if case.status in OPEN else None,
        # Stored for the work lists' filter and sort: 1 + followers + merged cases.
        residents_waiting=case.residents_waiting,
        followers=case.followers,
        merged_in=case.merged_in,
        urged_at=_opt_iso(case.urged_at),
        resident_photos=list(case.resident_photos),
        campaign=case.campaign,
    )
    if case.version is not None:
        item.version = case.version
    return item


def case_from_item(item: CaseItem) -> Case:
    location = item.location
    timer = (
        Timer(TimerKind(item.timer_kind), parse_iso(item.timer_at))
        if item.timer_kind and item.timer_at
        else None
    )
    return Case(
        code=item.code,
        status=Status(item.status),
        category=item.category,
        compound=item.compound,
        community=item.community,
        street=item.street,
        address=item.address,
        description=item.description,
        phone=SealedPhone(item.phone_cipher or "", item.phone_lookup or "", item.phone_masked),
        photos=tuple(str(p) for p in item.photos or ()),
        location=Location(float(location.lat), float(location.lng)) if location else None,
        token_hash=item.token_hash,
        channel=Channel(item.channel),
        reporter=item.reporter,
        created_at=parse_iso(item.created_at),
        updated_at=parse_iso(item.updated_at),
        urgent=bool(item.urgent),
        district=item.district,
        department=item.department,
        co_departments=tuple(str(d) for d in item.co_departments or ()),
        handler=item.handler,
        local_by=item.local_by,
        merged_into=item.merged_into,
        stage=Stage(item.stage) if item.stage else None,
        stage_started=_opt_time(item.stage_started),
        deadline=_opt_time(item.deadline),
        deadline_estimated=bool(item.deadline_estimated),
        reminded=bool(item.reminded),
        escalations=int(item.escalations or 0),
        escalated_at=_opt_time(item.escalated_at),
        timer=timer,
        extension=item.extension,
        resolution=item.resolution,
        rating=item.rating,
        public_summary=item.public_summary,
        reopen_count=int(item.reopen_count or 0),
        resident_told=tuple(str(t) for t in item.resident_told or ()),
        resident_quiet=bool(item.resident_quiet),
        dispatched_at=_opt_time(item.dispatched_at),
        closed_at=_opt_time(item.closed_at),
        version=item.version,
        event_count=int(item.event_count),
        client_reference=item.client_reference,
        followers=int(item.followers or 0),
        merged_in=int(item.merged_in or 0),
        urged_at=_opt_time(item.urged_at),
        resident_photos=tuple(str(p) for p in item.resident_photos or ()),
        campaign=item.campaign,
    )


def follower_to_item(follower: Follower) -> FollowerItem:
    item = FollowerItem(
        follower.case_code,
        follower.phone.lookup,
        phone_cipher=follower.phone.ciphertext or None,
        phone_masked=follower.phone.masked,
        joined_at=iso(follower.joined_at),
        joined=follower.joined.value,
        from_case=follower.from_case,
        note=follower.note,
        photos=list(follower.photos),
        told=list(follower.told),
        quiet=follower.quiet,
        rating=follower.rating,
    )
    if follower.version is not None:
        item.version = follower.version
    return item


def follower_from_item(item: FollowerItem) -> Follower:
    return Follower(
        case_code=item.case_code,
        phone=SealedPhone(item.phone_cipher or "", item.phone_lookup, item.phone_masked),
        joined_at=parse_iso(item.joined_at),
        joined=Joined(item.joined),
        from_case=item.from_case,
        note=item.note,
        photos=tuple(str(p) for p in item.photos or ()),
        told=tuple(str(t) for t in item.told or ()),
        quiet=bool(item.quiet),
        rating=item.rating,
        version=item.version,
    )


def event_to_item(event: CaseEvent) -> EventItem:
    return EventItem(
        event.case_code,
        event.seq,
        at=event.at,
        kind=event.kind,
        actor_role=event.actor.role,
        actor_id=event.actor.id,
        status_before=event.status_before.value if event.status_before else None,
        status_after=event.status_after.value,
        note=event.note,
        data=event.data,
        day_shard=day_shard(china_date(event.at), event.case_code),
    )


def event_from_item(item: EventItem) -> CaseEvent:
    return CaseEvent(
        case_code=item.case_code,
        seq=int(item.seq),
        at=item.at,
        kind=item.kind,
        actor=Actor(item.actor_role, item.actor_id),
        status_before=Status(item.status_before) if item.status_before else None,
        status_after=Status(item.status_after),
        note=item.note,
        data=dict(item.data or {}),
    )


def idempotency_item(record: IdempotencyRecord) -> IdempotencyItem:
    return IdempotencyItem(
        record.key,
        fingerprint=record.fingerprint,
        case_code=record.case_code,
        sealed_token=record.sealed_token,
        created_at=record.created_at,
        expires_at=record.expires_at,
        response=record.response,
    )
