"""DynamoDB requests per operation, and intake's server time against a bare TransactWriteItems.

Each operation is a function that performs it once through the app (HTTP routes through
Chalice's test client, scheduled jobs through their Lambda handler) while every AWS call is
recorded. To measure a new capability, write its function and add it to `OPERATIONS`; an entry
whose `run` is None is reported as not built yet.
"""

from __future__ import annotations

import copy
import json
import secrets
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .aws import Aws, Call, item_size, provisioned, summary

REPORT = {
    "category": "street_light",
    "compound": "x001",
    "address": "3栋2单元门口",
    "description": "路灯坏了一个星期，晚上很黑，老人出门不方便",
    "phone": "13812345678",
    "consent": True,
    "location": {"lat": 31.6886, "lng": 118.5108},
}
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 400


@dataclass
class Context:
    aws: Aws
    client: Any  # chalice.test.Client
    state: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    name: str
    run: Callable[[Context], None] | None
    note: str = ""


def new_key() -> str:
    return f"bench-{secrets.token_hex(12)}"


def post_case(ctx: Context, body: dict[str, Any], key: str) -> dict[str, Any]:
    response = ctx.client.http.post(
        "/cases",
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        body=json.dumps(body).encode(),
    )
    assert response.status_code == 201, response.body
    return dict(json.loads(response.body))


def upload(ctx: Context, key: str) -> str:
    """A photo as the phone uploads it: a presigned POST ticket, then straight to S3."""
    response = ctx.client.http.post(
        "/uploads",
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        body=json.dumps({"content_type": "image/jpeg", "size": len(JPEG)}).encode(),
    )
    assert response.status_code == 201, response.body
    object_key = json.loads(response.body)["key"]
    ctx.aws.client("s3").put_object(
        Bucket=ctx.aws.settings.photo_bucket, Key=object_key, Body=JPEG, ContentType="image/jpeg"
    )
    return str(object_key)


# -- the operations ----------------------------------------------------------------------------


def intake(ctx: Context) -> None:
    receipt = post_case(ctx, REPORT, new_key())
    ctx.state["case"] = receipt


def intake_with_photos(ctx: Context) -> None:
    key = ctx.state.pop("photo_key")
    post_case(ctx, {**REPORT, "photos": ctx.state.pop("photos")}, key)


def prepare_photos(ctx: Context) -> None:
    key = new_key()
    ctx.state["photo_key"] = key
    ctx.state["photos"] = [upload(ctx, key), upload(ctx, key)]


def intake_retry(ctx: Context) -> None:
    key = ctx.state.setdefault("retry_key", new_key())
    post_case(ctx, REPORT, key)


def prepare_retry(ctx: Context) -> None:
    ctx.state["retry_key"] = new_key()
    post_case(ctx, REPORT, ctx.state["retry_key"])


def upload_ticket(ctx: Context) -> None:
    response = ctx.client.http.post(
        "/uploads",
        headers={"Content-Type": "application/json", "Idempotency-Key": new_key()},
        body=json.dumps({"content_type": "image/jpeg", "size": 1000}).encode(),
    )
    assert response.status_code == 201


def resident_view(ctx: Context) -> None:
    case = ctx.state["case"]
    response = ctx.client.http.get(
        f"/cases/{case['code']}", headers={"X-Case-Token": case["token"]}
    )
    assert response.status_code == 200, response.body


def registry_read(ctx: Context) -> None:
    assert ctx.client.http.get("/registry").status_code == 200


def registry_refresh(ctx: Context) -> None:
    """The registry read once a function's cache has expired (every 60 s per warm function)."""
    from functions.core.bootstrap import wiring

    wiring().registry.invalidate()
    assert ctx.client.http.get("/registry").status_code == 200


def scheduled(name: str) -> Callable[[Context], None]:
    def run(ctx: Context) -> None:
        event = ctx.client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        ctx.client.lambda_.invoke(name, event)

    return run


NOT_BUILT = "not built yet (the case workflow brings it)"

OPERATIONS: list[Operation] = [
    Operation("intake: POST /cases (no photos)", intake, "registry cached"),
    Operation("intake: POST /cases (2 photos)", intake_with_photos, "HeadObject + CopyObject each"),
    Operation("intake retry: same key and body", intake_retry, "answers from the key's record"),
    Operation("upload ticket: POST /uploads", upload_ticket, "presigned locally"),
    Operation("resident view: GET /cases/{code}", resident_view),
    Operation("registry: GET /registry (cached)", registry_read),
    Operation("registry cache refresh (per function, per minute)", registry_refresh),
    Operation("transition: triage (handle locally / reject / merge / whistle)", None, NOT_BUILT),
    Operation("transition: dispatch (by the tick)", None, NOT_BUILT),
    Operation("transition: claim", None, NOT_BUILT),
    Operation("transition: return", None, NOT_BUILT),
    Operation("transition: extension asked / decided", None, NOT_BUILT),
    Operation("transition: resolve", None, NOT_BUILT),
    Operation("transition: rate and close / reopen", None, NOT_BUILT),
    Operation(
        "dispatch tick (nothing due)", scheduled("dispatch_tick"), "the job does no work yet"
    ),
    Operation("nightly job", scheduled("nightly_metrics"), "the job does no work yet"),
    Operation("dashboard read", None, "not built yet (the metrics capability brings it)"),
]
PREPARE: dict[str, Callable[[Context], None]] = {
    "intake: POST /cases (2 photos)": prepare_photos,
    "intake retry: same key and body": prepare_retry,
}


def count_requests(repeats: int = 3) -> list[dict[str, Any]]:
    """Each operation `repeats` times; the counts must agree (they are the figure reported)."""
    results: list[dict[str, Any]] = []
    with provisioned() as aws, aws.api() as client:
        ctx = Context(aws, client, {})
        intake(ctx)  # warm: the registry is read and cached once per function
        for operation in OPERATIONS:
            if operation.run is None:
                results.append({"name": operation.name, "built": False, "note": operation.note})
                continue
            seen = []
            for _ in range(repeats):
                if operation.name in PREPARE:
                    PREPARE[operation.name](ctx)
                with aws.recorder.recording() as calls:
                    operation.run(ctx)
                seen.append(summary(calls))
            counts = {json.dumps(s["operations"], sort_keys=True) for s in seen}
            results.append(
                {
                    "name": operation.name,
                    "built": True,
                    "note": operation.note,
                    **seen[-1],
                    "item_bytes": written_item_sizes(calls),
                    "stable": len(counts) == 1,
                }
            )
    return results


def written_item_sizes(calls: list[Call]) -> dict[str, int]:
    """Bytes of each item a transaction wrote, by table base name (storage estimates)."""
    prefix = "whistle-bench-"
    sizes: dict[str, int] = {}
    for call in calls:
        if call.operation != "TransactWriteItems":
            continue
        for entry in call.params["TransactItems"]:
            (_, body), *_ = entry.items()
            if "Item" in body:
                sizes[body["TableName"].removeprefix(prefix)] = item_size(body["Item"])
    return sizes


# -- intake vs a bare TransactWriteItems ---------------------------------------------------------


def _fresh_keys(params: dict[str, Any]) -> dict[str, Any]:
    """The same transaction with new key values of the same length (so every condition holds)."""
    from functions.core.adapters.tables import MODELS

    key_names: dict[str, set[str]] = {}
    for model in MODELS.values():
        schema = model._get_schema()
        key_names[model.Meta.table_name] = {k["AttributeName"] for k in schema["key_schema"]}
    fresh = copy.deepcopy(params)
    suffix = secrets.token_hex(8)
    for entry in fresh["TransactItems"]:
        (_, body), *_ = entry.items()
        item = body.get("Item") or body.get("Key")
        for name in key_names[body["TableName"]]:
            value = item[name]
            if "S" in value:
                value["S"] = value["S"][: -len(suffix)] + suffix
    return fresh


def time_intake_against_bare_write(
    over_http: bool, rounds: int, warmup: int = 30
) -> dict[str, Any]:
    """Medians of the POST /cases handler and of a bare TransactWriteItems of the same items,
    interleaved round by round on the same backend."""
    with provisioned(over_http=over_http) as aws, aws.api() as client:
        ctx = Context(aws, client, {})
        intake(ctx)
        with aws.recorder.recording() as calls:
            intake(ctx)
        (transaction,) = [c for c in calls if c.operation == "TransactWriteItems"]
        dynamodb = aws.client("dynamodb")
        handler: list[float] = []
        bare: list[float] = []
        for round_number in range(warmup + rounds):
            body = json.dumps(REPORT).encode()
            headers = {"Content-Type": "application/json", "Idempotency-Key": new_key()}
            started = time.perf_counter()
            response = client.http.post("/cases", headers=headers, body=body)
            elapsed_handler = time.perf_counter() - started
            assert response.status_code == 201
            params = _fresh_keys(transaction.params)
            started = time.perf_counter()
            dynamodb.transact_write_items(**params)
            elapsed_bare = time.perf_counter() - started
            if round_number >= warmup:
                handler.append(elapsed_handler)
                bare.append(elapsed_bare)
    handler_ms = statistics.median(handler) * 1000
    bare_ms = statistics.median(bare) * 1000
    return {
        "backend": "moto server over HTTP (localhost)" if over_http else "moto in-process",
        "rounds": rounds,
        "handler_ms": handler_ms,
        "bare_ms": bare_ms,
        "ratio": handler_ms / bare_ms,
        "handler_p90_ms": statistics.quantiles(handler, n=10)[-1] * 1000,
        "bare_p90_ms": statistics.quantiles(bare, n=10)[-1] * 1000,
        "items": len(transaction.params["TransactItems"]),
    }
