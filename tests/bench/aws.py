"""The benchmark's AWS: moto in this process (or a moto server over HTTP), provisioned like the
local stack, with every AWS API call recorded and its DynamoDB capacity estimated."""

from __future__ import annotations

import json
import math
import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from functions.core.domain.clock import CHINA_TZ
from tests.fakes import SAMPLE_REGISTRY, TEST_KEYS, FixedClock, TokenFactory

START = datetime(2026, 11, 24, 9, 0, tzinfo=CHINA_TZ)
"""The benchmark's clock starts on a Tuesday morning, China time: limits in working hours start
counting at once, and yesterday — the day the nightly job aggregates — is a working Monday."""

ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "WHISTLE_STAGE": "local",
    "WHISTLE_TABLE_PREFIX": "whistle-bench-",
    "WHISTLE_PHOTO_BUCKET": "whistle-bench-photos",
    "WHISTLE_PUBLIC_URL": "https://whistle.bench.example",
    # Staff tokens are minted for accounts in the benchmark's tables (tests.fakes.TokenFactory).
    # The benchmark files hundreds of reports from one address within an hour; the abuse
    # limits would answer 429 long before. The work per report is the same at any limit
    # (one BatchGetItem of the windows, one counter update per limit in the transaction).
    "WHISTLE_REPORTS_PER_PHONE": "1000000",
    "WHISTLE_REPORTS_PER_ADDRESS": "1000000",
    **TEST_KEYS,
}
CLEARED = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "WHISTLE_AWS_ENDPOINT", "WHISTLE_SECRETS_PARAMETER")


# -- recording -----------------------------------------------------------------------------------


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    response: dict[str, Any]


@dataclass
class Recorder:
    """Every AWS API call made while `recording`, with its parameters and response."""

    calls: list[Call] = field(default_factory=list)
    _active: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _original: Any = None

    def install(self) -> None:
        import botocore.client

        original = self._original = botocore.client.BaseClient._make_api_call
        recorder = self

        def recorded(client: Any, operation: str, params: Any) -> Any:
            response: dict[str, Any] = {}
            try:
                response = original(client, operation, params)
                return response
            finally:
                # A refused request (a cancelled transaction, say) is a request too.
                if recorder._active:
                    with recorder._lock:
                        service = client.meta.service_model.service_name
                        recorder.calls.append(Call(service, operation, params, response))

        botocore.client.BaseClient._make_api_call = recorded  # type: ignore[method-assign]

    def uninstall(self) -> None:
        import botocore.client

        if self._original is not None:
            botocore.client.BaseClient._make_api_call = self._original  # type: ignore[method-assign]
            self._original = None

    @contextmanager
    def recording(self) -> Iterator[list[Call]]:
        self.calls = []
        self._active = True
        try:
            yield self.calls
        finally:
            self._active = False


def summary(calls: list[Call]) -> dict[str, Any]:
    """Requests by service and operation, and DynamoDB capacity units they would consume."""
    by_operation = Counter(f"{c.service}:{c.operation}" for c in calls)
    dynamodb = [c for c in calls if c.service == "dynamodb"]
    return {
        "dynamodb_requests": len(dynamodb),
        "operations": dict(sorted(by_operation.items())),
        "wru": sum(write_units(c) for c in dynamodb),
        "rru": sum(read_units(c) for c in dynamodb),
        "other_requests": len(calls) - len(dynamodb),
    }


# -- DynamoDB sizes and capacity (https://docs.aws.amazon.com/amazondynamodb/latest/
#    developerguide/CapacityUnitCalculations.html) -------------------------------------------------


def value_size(value: dict[str, Any]) -> int:
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        digits = len(data.lstrip("-").replace(".", "").strip("0")) or 1
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in data.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in data)
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(value_size({"N": n}) for n in data)
    return len(json.dumps(data))


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(call: Call) -> float:
    op, params = call.operation, call.params

    def units(size: int) -> int:
        return max(1, math.ceil(size / 1024))

    if op == "PutItem":
        return units(item_size(params["Item"]))
    if op in ("UpdateItem", "DeleteItem"):
        # The item's size after the update is not in the request; the values written are.
        written = params.get("ExpressionAttributeValues") or {}
        return units(item_size(params.get("Key", {})) + item_size(written))
    if op == "BatchWriteItem":
        return sum(
            units(item_size(r["PutRequest"]["Item"])) if "PutRequest" in r else 1
            for requests in params["RequestItems"].values()
            for r in requests
        )
    if op == "TransactWriteItems":
        total = 0
        for entry in params["TransactItems"]:
            (_, body), *_ = entry.items()
            size = item_size(body.get("Item") or body.get("Key") or {})
            total += 2 * units(size)  # transactional writes cost twice
        return total
    return 0


def read_units(call: Call) -> float:
    op, params, response = call.operation, call.params, call.response
    consistent = bool(params.get("ConsistentRead"))

    def units(size: int) -> float:
        blocks = max(1, math.ceil(size / 4096))
        return blocks if consistent else blocks / 2

    if op == "GetItem":
        return units(item_size(response.get("Item") or {}))
    if op in ("Query", "Scan"):
        return units(sum(item_size(i) for i in response.get("Items", [])))
    if op == "BatchGetItem":
        return sum(
            units(item_size(i)) for items in response.get("Responses", {}).values() for i in items
        )
    if op == "TransactGetItems":
        return sum(
            2 * max(1, math.ceil(item_size(r.get("Item") or {}) / 4096))
            for r in response.get("Responses", [])
        )
    return 0


# -- the environment -----------------------------------------------------------------------------


@dataclass
class Robots:
    """Work-chat robots that accept every message. The sample registry's robot addresses are
    placeholders: nothing may leave this machine, so the sender posts here, and each post is
    recorded as a call (`webhook:POST`) beside the AWS calls."""

    recorder: Recorder
    posted: int = 0

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        self.posted += 1
        if self.recorder._active:
            with self.recorder._lock:
                self.recorder.calls.append(Call("webhook", "POST", {"url": url}, {}))
        return 200, b'{"errcode":0,"code":0}'


@dataclass
class Aws:
    settings: Any
    recorder: Recorder
    endpoint: str | None
    clock: FixedClock
    wiring: Any
    tokens: TokenFactory

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1")

    def api(self) -> Any:
        """The Chalice app's HTTP interface (as API Gateway calls it)."""
        from chalice.test import Client

        from app import app
        from tests.fakes import ROOT

        return Client(app, stage_name="local", project_dir=str(ROOT))

    def bearer(self, user: str, *groups: str) -> dict[str, str]:
        """An Authorization header for a staff member, as fresh as the benchmark's clock."""
        token = self.tokens.token(user, list(groups), now=self.clock.now())
        return {"Authorization": f"Bearer {token}"}

    def advance(self, delta: timedelta) -> None:
        """Move the clock, then reload the cached registry and calendar outside any
        recording: a reload is a per-function, per-minute cost counted on its own."""
        self.clock.advance(seconds=delta.total_seconds())
        self.warm()

    def warm(self) -> None:
        self.wiring.registry.current()
        self.wiring.calendar.current()
        self.wiring.campaigns_in_force.current()


@contextmanager
def provisioned(over_http: bool = False, start: datetime = START) -> Iterator[Aws]:
    """Tables from the models, the photo bucket, the sample registry and the working
    calendar, in moto: in this process, or behind moto's HTTP server on localhost (closer
    to a network backend). The clock is the benchmark's, staff tokens are signed by its key,
    and work-chat robots are stand-ins on this machine.

    moto's TransactWriteItems copies every table it touches before applying it (time in
    proportion to the table); the local stack's patch (functions.local.moto_speed) makes it
    cost what the touched items cost, as DynamoDB's does. It is installed here too, or a
    transition against 100,000 cases would take seconds."""
    saved = dict(os.environ)
    for name in CLEARED:
        os.environ.pop(name, None)
    os.environ.update(ENV)
    server = None
    mock = None
    recorder = Recorder()
    try:
        from functions.local import moto_speed

        moto_speed.install()
        endpoint = None
        if over_http:
            import logging

            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.ERROR)

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            os.environ["WHISTLE_AWS_ENDPOINT"] = endpoint
        else:
            from moto import mock_aws

            mock = mock_aws()
            mock.start()
        import boto3

        from functions.core import bootstrap
        from functions.core.adapters.registry_store import DynamoCalendarStore, DynamoRegistryStore
        from functions.core.adapters.tables import bind_tables, ensure_tables
        from functions.core.adapters.transports import Robots as RobotSender
        from functions.core.config import Settings
        from functions.core.domain.clock import SecureIds
        from functions.core.services.registry import load_registry
        from functions.local.stack import seed_calendar
        from tests.conftest import TOKENS

        settings = Settings.from_env(os.environ)
        bind_tables(settings)
        ensure_tables(settings, boto3.client("dynamodb", endpoint_url=endpoint))
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=settings.photo_bucket)
        boto3.client("ses", endpoint_url=endpoint).verify_email_identity(
            EmailAddress=settings.sender_email
        )
        load_registry(DynamoRegistryStore(), json.loads(SAMPLE_REGISTRY.read_text()))
        seed_calendar(DynamoCalendarStore())
        clock = FixedClock(start)
        wiring = bootstrap.Wiring(settings=settings, clock=clock, ids=SecureIds())
        TOKENS.bind(wiring.accounts)
        robots = Robots(recorder)
        wiring.__dict__["robots"] = RobotSender(settings, wiring.counters, post=robots.post)
        bootstrap.override(wiring)
        aws = Aws(settings, recorder, endpoint, clock, wiring, TOKENS)
        aws.warm()
        recorder.install()
        yield aws
    finally:
        from functions.core import bootstrap

        recorder.uninstall()
        bootstrap.override(None)
        from tests.conftest import TOKENS

        TOKENS.bind(None)
        if mock is not None:
            mock.stop()
        if server is not None:
            server.stop()
        os.environ.clear()
        os.environ.update(saved)
