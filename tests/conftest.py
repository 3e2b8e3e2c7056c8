"""Shared fixtures: moto-backed AWS for integration tests."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

import pytest

from tests.fakes import ROOT, SAMPLE_REGISTRY, TEST_KEYS, FixedClock

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
    **TEST_KEYS,
}


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
            from functions.core.adapters.registry_store import DynamoRegistryStore
            from functions.core.adapters.tables import bind_tables, ensure_tables
            from functions.core.config import Settings
            from functions.core.services.registry import load_registry

            settings = Settings.from_env(os.environ)
            bind_tables(settings)
            import boto3

            ensure_tables(settings, boto3.client("dynamodb"))
            boto3.client("s3").create_bucket(Bucket=settings.photo_bucket)
            load_registry(DynamoRegistryStore(), json.loads(SAMPLE_REGISTRY.read_text()))
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
            continue
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)
    s3 = boto3.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=aws.photo_bucket):
        for entry in page.get("Contents", []):
            s3.delete_object(Bucket=aws.photo_bucket, Key=entry["Key"])
    wired = bootstrap.Wiring(settings=aws, clock=clock, ids=SecureIds())
    bootstrap.override(wired)
    yield wired
    bootstrap.override(None)


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
