"""Cases, their timelines and idempotency records in DynamoDB."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from ..config import Settings
from ..domain.cases import Actor, Case, CaseEvent, Channel, Location, SealedPhone, Status
from ..domain.clock import china_date
from ..ports import CodeTaken, IdempotencyKeyTaken, IdempotencyRecord
from .tables import CaseItem, EventItem, IdempotencyItem, LocationAttribute, connection, day_shard


class DynamoCaseStore:
    def __init__(self, settings: Settings) -> None:
        self._connection = connection(settings)

    def add_reported(self, case: Case, record: IdempotencyRecord, now: datetime) -> None:
        case_item = case_to_item(case)
        events = [event_to_item(e) for e in case.new_events]
        with_key = IdempotencyItem(
            record.key,
            fingerprint=record.fingerprint,
            case_code=record.case_code,
            sealed_token=record.sealed_token,
            created_at=record.created_at,
            expires_at=record.expires_at,
        )
        try:
            with TransactWrite(connection=self._connection) as transaction:
                # A new code only: never overwrite another resident's case.
                transaction.save(case_item, condition=CaseItem.code.does_not_exist())
                for event in events:
                    transaction.save(event, condition=EventItem.seq.does_not_exist())
                # The key is free, or its record has expired (TTL deletes lazily, so an
                # expired record may still be there).
                transaction.save(
                    with_key,
                    condition=IdempotencyItem.key.does_not_exist()
                    | (IdempotencyItem.expires_at < now),
                )
        except TransactWriteError as error:
            reasons = error.cancellation_reasons
            if reasons and reasons[-1] is not None and reasons[-1].code == "ConditionalCheckFailed":
                raise IdempotencyKeyTaken(record.key) from error
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                raise CodeTaken(case.code) from error
            raise
        case.version = case_item.version
        case.new_events.clear()

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
        )

    def get(self, code: str) -> Case | None:
        try:
            item = CaseItem.get(code, consistent_read=True)
        except DoesNotExist:
            return None
        return case_from_item(item)

    def timeline(self, code: str) -> list[CaseEvent]:
        return [event_from_item(i) for i in EventItem.query(code, consistent_read=True)]


def case_to_item(case: Case) -> CaseItem:
    item = CaseItem(
        case.code,
        status=case.status.value,
        category=case.category,
        compound=case.compound,
        community=case.community,
        street=case.street,
        address=case.address,
        description=case.description,
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
        created_at=case.created_at,
        updated_at=case.updated_at,
        event_count=case.event_count,
    )
    if case.version is not None:
        item.version = case.version
    return item


def case_from_item(item: CaseItem) -> Case:
    location = item.location
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
        created_at=item.created_at,
        updated_at=item.updated_at,
        version=item.version,
        event_count=int(item.event_count),
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
