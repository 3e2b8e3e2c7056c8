"""Shared fixtures: moto-backed AWS for integration tests."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

import pytest

from tests.fakes import ROOT, SAMPLE_REGISTRY, TEST_KEYS, FixedClock, TokenFactory

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "WHISTLE_STAGE": "local",
    "WHISTLE_TABLE_PREFIX": "whistle-local-",
    "WHISTLE_PHOTO_BUCKET": "whistle-local-photos",
    "WHISTLE_PUBLIC_URL": "https://whistle.test",
    "WHISTLE_PASSWORD_COST": "4",  # cheap scrypt in tests; production's is 17
    **TEST_KEYS,
}

TOKENS = TokenFactory()


@pytest.fixture(scope="module")
def aws() -> Any:
    """An in-process AWS (moto) for one test module, provisioned like the local stack:
    tables from the models, the photo bucket and the sample registry."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as patch:
        for name in (
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL",
            "WHISTLE_AWS_ENDPOINT",
            "WHISTLE_SECRETS_PARAMETER",
        ):
            patch.delenv(name, raising=False)
        for name, value in TEST_ENV.items():
            patch.setenv(name, value)
        with mock_aws():
            import boto3

            from functions.core.adapters.registry_store import DynamoRegistryStore
            from functions.core.adapters.tables import bind_tables, ensure_tables
            from functions.core.config import Settings
            from functions.core.services.registry import load_registry

            settings = Settings.from_env(os.environ)
            bind_tables(settings)
            ensure_tables(settings, boto3.client("dynamodb"))
            boto3.client("s3").create_bucket(Bucket=settings.photo_bucket)
            boto3.client("ses").verify_email_identity(EmailAddress=settings.sender_email)
            load_registry(DynamoRegistryStore(), json.loads(SAMPLE_REGISTRY.read_text()))
            from functions.core.adapters.registry_store import DynamoCalendarStore
            from functions.local.stack import seed_calendar

            seed_calendar(DynamoCalendarStore())
            yield settings


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.fromisoformat("2026-11-27T02:00:00+00:00"))


@pytest.fixture
def wiring(aws: Any, clock: FixedClock) -> Any:
    """The real adapters on moto with a test clock; cases, events, keys and photos of earlier
    tests are removed, the registry is shared."""
    import boto3

    from functions.core import bootstrap
    from functions.core.adapters.tables import MODELS, bind_tables
    from functions.core.domain.clock import SecureIds

    bind_tables(aws)
    for base, model in MODELS.items():
        if base == "registry":
            continue  # registry and calendar are shared by the module's tests
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)
    s3 = boto3.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=aws.photo_bucket):
        for entry in page.get("Contents", []):
            s3.delete_object(Bucket=aws.photo_bucket, Key=entry["Key"])
    wired = bootstrap.Wiring(settings=aws, clock=clock, ids=SecureIds())
    TOKENS.bind(wired.accounts)  # minted tokens are for accounts in this test's store
    bootstrap.override(wired)
    yield wired
    bootstrap.override(None)
    TOKENS.bind(None)


@pytest.fixture
def api(wiring: Any) -> Any:
    """The Chalice app's HTTP interface, as API Gateway would call it."""
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        yield client.http


class AwsCalls:
    """Every AWS API call made while the fixture is active, as (service, operation)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def of(self, service: str) -> list[str]:
        return [op for s, op in self.calls if s == service]

    def clear(self) -> None:
        self.calls.clear()


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> AwsCalls:
    import botocore.client

    recorder = AwsCalls()
    original = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation_name: str, api_params: Any) -> Any:
        recorder.calls.append((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return recorder


def bearer(user: str, *groups: str, clock: FixedClock | None = None) -> dict[str, str]:
    """An Authorization header for a staff member holding the scopes `groups`."""
    if clock is None:
        from functions.core import bootstrap

        now = bootstrap.wiring().clock.now()  # tokens are as fresh as the test's clock says
    else:
        now = clock.now()
    return {"Authorization": f"Bearer {TOKENS.token(user, list(groups), now=now)}"}


@pytest.fixture
def robots(wiring: Any) -> Any:
    """Replace the network under the robot sender with recording robots."""
    from functions.core.adapters.transports import Robots as RobotSender
    from tests.integration.flows import Robots

    fake = Robots()
    wiring.__dict__["robots"] = RobotSender(wiring.settings, wiring.counters, post=fake.post)
    wiring.__dict__.pop("transport", None)
    return fake


@pytest.fixture
def one_aws_call_at_a_time(monkeypatch):
    """moto's in-process backends are not thread-safe (DynamoDB is, per item): serialise each
    AWS call, while the ticks' own work between calls still interleaves freely."""
    import threading

    import botocore.client

    lock = threading.Lock()
    original = botocore.client.BaseClient._make_api_call

    def serialised(self, operation, params):
        with lock:
            return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", serialised)
