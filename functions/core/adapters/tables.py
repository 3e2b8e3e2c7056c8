"""The DynamoDB tables, one PynamoDB model each. The models are the schema: local set-up,
tests and the CloudFormation template are all derived from them.
"""

from __future__ import annotations

import zlib
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ..config import Settings

DAY_SHARDS = 4
"""Write shards of the events-by-day index: a busy day's events spread over this many keys."""


class LocationAttribute(MapAttribute[str, float]):
    lat = NumberAttribute()
    lng = NumberAttribute()


class CommunityIndex(GlobalSecondaryIndex["CaseItem"]):
    """All cases of one community, newest last."""

    class Meta:
        index_name = "community-created"
        projection = KeysOnlyProjection()

    community = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class CaseItem(Model):
    """One case (工单)."""

    class Meta:
        table_name = "cases"
        billing_mode = "PAY_PER_REQUEST"

    code = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    category = UnicodeAttribute()
    compound = UnicodeAttribute()
    community = UnicodeAttribute()
    street = UnicodeAttribute()
    address = UnicodeAttribute()
    description = UnicodeAttribute()
    # Encrypted number and keyed hash; both removed by the retention purge.
    phone_cipher = UnicodeAttribute(null=True)
    phone_lookup = UnicodeAttribute(null=True)
    phone_masked = UnicodeAttribute()
    photos = ListAttribute(of=UnicodeAttribute, default=list)
    location = LocationAttribute(null=True)
    token_hash = UnicodeAttribute()
    channel = UnicodeAttribute()
    reporter = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    event_count = NumberAttribute(default=0)
    version = VersionAttribute()

    by_community = CommunityIndex()


class DayIndex(GlobalSecondaryIndex["EventItem"]):
    """Events of one China calendar day (per shard), in time order: the nightly job's input."""

    class Meta:
        index_name = "day-at"
        projection = AllProjection()

    day_shard = UnicodeAttribute(hash_key=True)
    at = UTCDateTimeAttribute(range_key=True)


class EventItem(Model):
    """One timeline event of a case."""

    class Meta:
        table_name = "case-events"
        billing_mode = "PAY_PER_REQUEST"

    case_code = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    at = UTCDateTimeAttribute()
    kind = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    actor_id = UnicodeAttribute(null=True)
    status_before = UnicodeAttribute(null=True)
    status_after = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    data = JSONAttribute(default=dict)
    day_shard = UnicodeAttribute()

    by_day = DayIndex()


def day_shard(day: str, case_code: str) -> str:
    return f"{day}#{zlib.crc32(case_code.encode()) % DAY_SHARDS}"


class IdempotencyItem(Model):
    """A request accepted under a client's Idempotency-Key. Expiry is checked in code; the
    table's TTL only cleans up."""

    class Meta:
        table_name = "idempotency"
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)
    fingerprint = UnicodeAttribute()
    case_code = UnicodeAttribute()
    sealed_token = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


class RegistryItem(Model):
    """One registry entry: `key` is "{kind}#{position}#{id}" (file order), or "meta" for the
    file's header."""

    class Meta:
        table_name = "registry"
        billing_mode = "PAY_PER_REQUEST"

    scope = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    data = JSONAttribute()


MODELS: dict[str, type[Model]] = {
    "cases": CaseItem,
    "case-events": EventItem,
    "idempotency": IdempotencyItem,
    "registry": RegistryItem,
}
"""Every table by its base name; the deployed name is the stage's prefix + base name."""

TTL_ATTRIBUTES = {"idempotency": "expires_at"}


def bind_tables(settings: Settings) -> None:
    """Point every model at this stage's tables and endpoint (and drop cached connections)."""
    for base, model in MODELS.items():
        model.Meta.table_name = settings.table_name(base)
        model.Meta.region = settings.region
        model.Meta.host = settings.endpoint_url
        model._connection = None


def connection(settings: Settings) -> Connection:
    """A low-level connection for transactions across tables."""
    return Connection(region=settings.region, host=settings.endpoint_url)


def ensure_tables(settings: Settings, client: Any) -> list[str]:
    """Create missing tables and missing global indexes (local stack and tests only).

    Returns the names of the tables it created. In AWS the tables come from CloudFormation.
    """
    bind_tables(settings)
    created = []
    existing = set(client.list_tables()["TableNames"])
    for base, model in MODELS.items():
        name = settings.table_name(base)
        if name not in existing:
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            if base in TTL_ATTRIBUTES:
                client.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={
                        "Enabled": True,
                        "AttributeName": TTL_ATTRIBUTES[base],
                    },
                )
            created.append(name)
            continue
        _add_missing_indexes(client, name, model)
    return created


def _add_missing_indexes(client: Any, name: str, model: type[Model]) -> None:
    described = client.describe_table(TableName=name)["Table"]
    present = {i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])}
    schema = model._get_schema()
    attribute_types = {
        a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]
    }
    for index in schema.get("global_secondary_indexes", []):
        if index["index_name"] in present:
            continue
        keys = [
            {"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]}
            for k in index["key_schema"]
        ]
        client.update_table(
            TableName=name,
            AttributeDefinitions=[
                {
                    "AttributeName": k["AttributeName"],
                    "AttributeType": attribute_types[k["AttributeName"]],
                }
                for k in keys
            ],
            GlobalSecondaryIndexUpdates=[
                {
                    "Create": {
                        "IndexName": index["index_name"],
                        "KeySchema": keys,
                        "Projection": index["projection"],
                    }
                }
            ],
        )
