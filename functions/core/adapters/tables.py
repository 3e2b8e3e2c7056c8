"""The DynamoDB tables, one PynamoDB model each. The models are the schema: local set-up,
tests and the CloudFormation template are all derived from them.
"""

from __future__ import annotations

import zlib
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
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
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ..config import Settings

DAY_SHARDS = 4
"""Write shards of the events-by-day index: a busy day's events spread over this many keys."""


class LocationAttribute(MapAttribute[str, float]):
    lat = NumberAttribute()
    lng = NumberAttribute()


def _index(name: str, hash_key: str, range_key: str, model: str) -> type[GlobalSecondaryIndex[Any]]:
    """A global index with every attribute projected (lists render without a second read)."""
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    attributes: dict[str, Any] = {
        "Meta": meta,
        hash_key: UnicodeAttribute(hash_key=True),
        range_key: UnicodeAttribute(range_key=True),
    }
    return type(f"{name.title().replace('-', '')}Index", (GlobalSecondaryIndex,), attributes)


DUE_SHARDS = 4
"""Write shards of the due-timer index: DUE#0 … DUE#3 (a tick queries each)."""

PENDING_SHARDS = 4


class CaseItem(Model):
    """One case (工单). Sparse attributes (set only while they apply) feed the work lists:
    `inbox_community` while awaiting triage, `open_department` while a department holds it,
    `timer_shard` while a timer is pending."""

    class Meta:
        table_name = "cases"
        billing_mode = "PAY_PER_REQUEST"

    code = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    category = UnicodeAttribute()
    compound = UnicodeAttribute()
    community = UnicodeAttribute()
    street = UnicodeAttribute()
    district = UnicodeAttribute()
    address = UnicodeAttribute()
    description = UnicodeAttribute()
    urgent = BooleanAttribute(default=False)
    # Encrypted number and keyed hash; both removed by the retention purge.
    phone_cipher = UnicodeAttribute(null=True)
    phone_lookup = UnicodeAttribute(null=True)
    phone_masked = UnicodeAttribute()
    photos = ListAttribute(of=UnicodeAttribute, default=list)
    location = LocationAttribute(null=True)
    token_hash = UnicodeAttribute()
    channel = UnicodeAttribute()
    reporter = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()  # ISO-8601 UTC, sortable
    updated_at = UnicodeAttribute()
    department = UnicodeAttribute(null=True)
    co_departments = ListAttribute(of=UnicodeAttribute, default=list)
    handler = UnicodeAttribute(null=True)
    local_by = UnicodeAttribute(null=True)
    merged_into = UnicodeAttribute(null=True)
    stage = UnicodeAttribute(null=True)
    stage_started = UnicodeAttribute(null=True)
    deadline = UnicodeAttribute(null=True)
    deadline_estimated = BooleanAttribute(default=False)
    reminded = BooleanAttribute(default=False)
    escalations = NumberAttribute(default=0)
    escalated_at = UnicodeAttribute(null=True)
    extension = JSONAttribute(null=True)
    resolution = JSONAttribute(null=True)
    rating = JSONAttribute(null=True)
    public_summary = UnicodeAttribute(null=True)
    reopen_count = NumberAttribute(default=0)
    resident_told = ListAttribute(of=UnicodeAttribute, default=list)
    resident_quiet = BooleanAttribute(default=False)  # only the essential SMS
    dispatched_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    timer_kind = UnicodeAttribute(null=True)
    timer_at = UnicodeAttribute(null=True)
    timer_shard = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True)
    inbox_community = UnicodeAttribute(null=True)
    open_department = UnicodeAttribute(null=True)
    overdue_flag = UnicodeAttribute(null=True)  # "overdue" while a stage's limit has passed
    extension_flag = UnicodeAttribute(null=True)  # "pending" while an extension awaits the district
    event_count = NumberAttribute(default=0)
    client_reference = UnicodeAttribute(null=True)
    # Work lists: the community and the district while the case is open (sparse), and how many
    # residents wait on it (a filter and a sort of the lists).
    open_community = UnicodeAttribute(null=True)
    open_district = UnicodeAttribute(null=True)
    residents_waiting = NumberAttribute(default=1)
    followers = NumberAttribute(default=0)
    merged_in = NumberAttribute(default=0)
    urged_at = UnicodeAttribute(null=True)
    resident_photos = ListAttribute(of=UnicodeAttribute, default=list)
    campaign = UnicodeAttribute(null=True)  # the campaign (专项行动) it belongs to
    version = VersionAttribute()

    by_community = _index("community-created", "community", "created_at", "CaseItem")()
    inbox = _index("inbox-created", "inbox_community", "created_at", "CaseItem")()
    by_department = _index("department-created", "department", "created_at", "CaseItem")()
    department_open = _index("department-deadline", "open_department", "deadline", "CaseItem")()
    by_compound = _index("compound-created", "compound", "created_at", "CaseItem")()
    by_district = _index("district-created", "district", "created_at", "CaseItem")()
    due = _index("due-timer", "timer_shard", "timer_at", "CaseItem")()
    overdue = _index("overdue-deadline", "overdue_flag", "deadline", "CaseItem")()
    extensions = _index("extension-deadline", "extension_flag", "deadline", "CaseItem")()
    # "My cases": a resident signed in by phone finds every case of the number's keyed hash
    # (sparse: cases without a number, and purged ones, are not in it).
    by_phone = _index("phone-created", "phone_lookup", "created_at", "CaseItem")()
    # The open cases of a community and of the district: what "due soonest" and "most residents
    # waiting" sort, read whole (their size is the work at hand, not the history).
    community_open = _index("community-open", "open_community", "created_at", "CaseItem")()
    district_open = _index("district-open", "open_district", "created_at", "CaseItem")()


class FollowerItem(Model):
    """One follower of a case (关注的居民: "me too", or come with a merged case), under the
    case's code and the phone's keyed hash — so joining twice is the same item. The number is
    sealed as a case's is."""

    class Meta:
        table_name = "case-followers"
        billing_mode = "PAY_PER_REQUEST"

    case_code = UnicodeAttribute(hash_key=True)
    phone_lookup = UnicodeAttribute(range_key=True)
    phone_cipher = UnicodeAttribute(null=True)
    phone_masked = UnicodeAttribute()
    joined_at = UnicodeAttribute()  # ISO-8601 UTC, sortable
    joined = UnicodeAttribute()  # me_too | merged_reporter | merged_follower
    from_case = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    photos = ListAttribute(of=UnicodeAttribute, default=list)
    told = ListAttribute(of=UnicodeAttribute, default=list)
    quiet = BooleanAttribute(default=False)
    rating = JSONAttribute(null=True)
    version = VersionAttribute()

    # "My cases" of a signed-in resident includes the cases the number follows.
    by_phone = _index("phone-joined", "phone_lookup", "joined_at", "FollowerItem")()


def shard(prefix: str, key: str, shards: int) -> str:
    return f"{prefix}#{zlib.crc32(key.encode()) % shards}"


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


class NotificationItem(Model):
    """One email, SMS or robot message (the transactional outbox). `pending_shard` is set
    while it waits to be sent, so senders find work without a Scan."""

    class Meta:
        table_name = "notifications"
        billing_mode = "PAY_PER_REQUEST"

    id = UnicodeAttribute(hash_key=True)
    case_code = UnicodeAttribute()
    channel = UnicodeAttribute()  # email | sms | webhook
    recipient = UnicodeAttribute()  # address, webhook URL, or a sealed phone number
    recipient_display = UnicodeAttribute()
    webhook_kind = UnicodeAttribute(null=True)
    department = UnicodeAttribute(null=True)
    template = UnicodeAttribute()
    params = JSONAttribute(null=True)  # the SMS template's parameters
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    link = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # pending | sending | sent | dead
    attempts = NumberAttribute(default=0)
    next_attempt_at = UnicodeAttribute()
    lease_until = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)
    pending_shard = UnicodeAttribute(null=True)
    # While dead and not resent: "dead" (failed every attempt) or "uncertain" (its sender
    # stopped while sending). The district page lists both; the dashboard counts them.
    dead_flag = UnicodeAttribute(null=True)
    resend_of = UnicodeAttribute(null=True)  # the dead message this one sends again
    resent_as = UnicodeAttribute(null=True)  # set on a dead message once it was resent

    pending = _index("pending-next", "pending_shard", "next_attempt_at", "NotificationItem")()
    dead = _index("dead-created", "dead_flag", "created_at", "NotificationItem")()
    by_case = _index("case-created", "case_code", "created_at", "NotificationItem")()


class CounterItem(Model):
    """Fixed-window counters for rate limits (intake per phone and per address, robots per
    minute). Expired windows are deleted by the table's TTL; code never trusts an expired one."""

    class Meta:
        table_name = "counters"
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)
    hits = NumberAttribute(default=0)
    expires_at = TTLAttribute()
    # A resident's sign-in (key "sign-in#…"): the keyed hash of the code sent; `hits` counts
    # the tries.
    secret = UnicodeAttribute(null=True)


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
    response = JSONAttribute(null=True)  # what a retried staff request is answered with


class RegistryItem(Model):
    """One registry entry: `key` is "{kind}#{position}#{id}" (file order), or "meta" for the
    file's header."""

    class Meta:
        table_name = "registry"
        billing_mode = "PAY_PER_REQUEST"

    scope = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    data = JSONAttribute()


class MetricItem(Model):
    """One scope's counts for one period (a day, month, quarter or year), written by the
    nightly job; the dashboard reads nothing else but the live overdue list."""

    class Meta:
        table_name = "metrics"
        billing_mode = "PAY_PER_REQUEST"

    scope = UnicodeAttribute(hash_key=True)  # district | street:ID | community:ID | … | _scopes
    period = UnicodeAttribute(range_key=True)  # 2026-11-26 | 2026-11 | 2026-Q4 | 2026
    data = JSONAttribute()


class FeeItem(Model):
    """A compound's property fees for one month (物业费收缴), entered or uploaded as CSV."""

    class Meta:
        table_name = "fees"
        billing_mode = "PAY_PER_REQUEST"

    month = UnicodeAttribute(hash_key=True)  # 2026-11
    # "{generation}#{compound}"; the month's pointer to its current generation is FEE_CURRENT.
    # (Rows written before generations existed are the bare compound id.)
    compound = UnicodeAttribute(range_key=True)
    billed = NumberAttribute()  # yuan
    collected = NumberAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    generation = UnicodeAttribute(null=True)


FEE_CURRENT = "~current"  # sorts after every generation id (hex) and compound id


class _HashIndex(GlobalSecondaryIndex["AccountItem"]):
    class Meta:
        projection = AllProjection()


class WeComIndex(_HashIndex):
    """Which account a WeCom (企业微信) user id is linked to."""

    class Meta(_HashIndex.Meta):
        index_name = "wecom-user"

    wecom_user = UnicodeAttribute(hash_key=True)


class DingTalkIndex(_HashIndex):
    """Which account a DingTalk (钉钉) user id is linked to."""

    class Meta(_HashIndex.Meta):
        index_name = "dingtalk-user"

    dingtalk_user = UnicodeAttribute(hash_key=True)


class AccountItem(Model):
    """One staff account (工作人员账号). The password is kept as a scrypt hash and the TOTP
    secret sealed with the vault; `generation` is named by every token issued to it."""

    class Meta:
        table_name = "staff-accounts"
        billing_mode = "PAY_PER_REQUEST"

    username = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    scopes = ListAttribute(of=UnicodeAttribute, default=list)
    enabled = BooleanAttribute(default=True)
    password_hash = UnicodeAttribute()
    must_change_password = BooleanAttribute(default=False)
    totp_secret = UnicodeAttribute(null=True)
    totp_pending = UnicodeAttribute(null=True)
    totp_last_step = NumberAttribute(default=0)
    wecom_user = UnicodeAttribute(null=True)  # sparse: set while linked
    dingtalk_user = UnicodeAttribute(null=True)
    generation = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    listed = UnicodeAttribute(default="staff")  # one key for the whole list (no Scan)
    version = VersionAttribute()

    in_list = _index("list-username", "listed", "username", "AccountItem")()
    by_wecom = WeComIndex()
    by_dingtalk = DingTalkIndex()


class SessionItem(Model):
    """One refresh token of a staff sign-in, by the SHA-256 of the token. `used_at` is set
    when it is exchanged for the next one; the end of the sign-in is checked in code, the
    table's TTL only cleans up."""

    class Meta:
        table_name = "staff-sessions"
        billing_mode = "PAY_PER_REQUEST"

    token_hash = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    generation = NumberAttribute()
    issued_at = UTCDateTimeAttribute()
    ends_at = UTCDateTimeAttribute()
    used_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute()


MODELS: dict[str, type[Model]] = {
    "cases": CaseItem,
    "case-events": EventItem,
    "idempotency": IdempotencyItem,
    "registry": RegistryItem,
    "notifications": NotificationItem,
    "counters": CounterItem,
    "metrics": MetricItem,
    "fees": FeeItem,
    "staff-accounts": AccountItem,
    "staff-sessions": SessionItem,
    "case-followers": FollowerItem,
}
"""Every table by its base name; the deployed name is the stage's prefix + base name."""

TTL_ATTRIBUTES = {
    "idempotency": "expires_at",
    "counters": "expires_at",
    "staff-sessions": "expires_at",
}


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
