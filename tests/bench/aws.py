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
from typing import Any

from tests.fakes import SAMPLE_REGISTRY, TEST_KEYS

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
class Aws:
    settings: Any
    recorder: Recorder
    endpoint: str | None

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1")

    def api(self) -> Any:
        """The Chalice app's HTTP interface (as API Gateway calls it)."""
        from chalice.test import Client

        from app import app
        from tests.fakes import ROOT

        return Client(app, stage_name="local", project_dir=str(ROOT))


@contextmanager
def provisioned(over_http: bool = False) -> Iterator[Aws]:
    """Tables from the models, the photo bucket and the sample registry, in moto: in this
    process, or behind moto's HTTP server on localhost (closer to a network backend)."""
    saved = dict(os.environ)
    for name in CLEARED:
        os.environ.pop(name, None)
    os.environ.update(ENV)
    server = None
    mock = None
    recorder = Recorder()
    try:
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
        from functions.core.adapters.registry_store import DynamoRegistryStore
        from functions.core.adapters.tables import bind_tables, ensure_tables
        from functions.core.config import Settings
        from functions.core.domain.clock import SecureIds, SystemClock
        from functions.core.services.registry import load_registry

        settings = Settings.from_env(os.environ)
        bind_tables(settings)
        ensure_tables(settings, boto3.client("dynamodb", endpoint_url=endpoint))
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=settings.photo_bucket)
        load_registry(DynamoRegistryStore(), json.loads(SAMPLE_REGISTRY.read_text()))
        bootstrap.override(
            bootstrap.Wiring(settings=settings, clock=SystemClock(), ids=SecureIds())
        )
        recorder.install()
        yield Aws(settings, recorder, endpoint)
    finally:
        from functions.core import bootstrap

        recorder.uninstall()
        bootstrap.override(None)
        if mock is not None:
            mock.stop()
        if server is not None:
            server.stop()
        os.environ.clear()
        os.environ.update(saved)
