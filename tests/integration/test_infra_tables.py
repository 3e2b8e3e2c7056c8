"""The CloudFormation tables are the PynamoDB models: created through moto's CloudFormation,
the data template yields tables whose keys and indexes are the models' own. What moto ignores
(point-in-time recovery, expiry) is checked in the template itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.core.adapters.tables import MODELS, TTL_ATTRIBUTES
from infra.tables import data_template, table_logical_id

PREFIX = "whistle-prod-"


def keys(schema: list[dict[str, str]]) -> dict[str, str]:
    return {k["AttributeName"]: k["KeyType"] for k in schema}


def model_shape(base: str) -> dict[str, Any]:
    """What a table created from the model must look like, from PynamoDB's own schema."""
    schema = MODELS[base]._get_schema()
    types = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    indexes = {
        i["index_name"]: (keys(i["key_schema"]), i["projection"]["ProjectionType"])
        for i in schema["global_secondary_indexes"]
    }
    local = {
        i["index_name"]: (keys(i["key_schema"]), i["projection"]["ProjectionType"])
        for i in schema["local_secondary_indexes"]
    }
    key_names = set(keys(schema["key_schema"]))
    for shape, _ in (*indexes.values(), *local.values()):
        key_names |= set(shape)
    return {
        "keys": keys(schema["key_schema"]),
        "types": {name: types[name] for name in key_names},
        "indexes": indexes,
        "local": local,
    }


def table_shape(described: dict[str, Any]) -> dict[str, Any]:
    return {
        "keys": keys(described["KeySchema"]),
        "types": {
            a["AttributeName"]: a["AttributeType"] for a in described["AttributeDefinitions"]
        },
        "indexes": {
            i["IndexName"]: (keys(i["KeySchema"]), i["Projection"]["ProjectionType"])
            for i in described.get("GlobalSecondaryIndexes") or []
        },
        "local": {
            i["IndexName"]: (keys(i["KeySchema"]), i["Projection"]["ProjectionType"])
            for i in described.get("LocalSecondaryIndexes") or []
        },
    }


@pytest.fixture(scope="module")
def created() -> Any:
    """The data template, created as a stack in moto's CloudFormation."""
    import boto3
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }.items():
            patch.setenv(name, value)
        with mock_aws():
            cloudformation = boto3.client("cloudformation")
            cloudformation.create_stack(
                StackName="whistle-prod-data", TemplateBody=json.dumps(data_template(PREFIX))
            )
            stack = cloudformation.describe_stacks(StackName="whistle-prod-data")["Stacks"][0]
            dynamodb = boto3.client("dynamodb")
            tables = {
                name: dynamodb.describe_table(TableName=name)["Table"]
                for name in dynamodb.list_tables()["TableNames"]
            }
            yield stack, tables


def test_the_stack_creates_one_table_per_model_and_nothing_else(created):
    stack, tables = created
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert set(tables) == {f"{PREFIX}{base}" for base in MODELS}


@pytest.mark.parametrize("base", sorted(MODELS))
def test_each_table_has_the_keys_and_indexes_of_its_model(created, base):
    _, tables = created
    described = tables[f"{PREFIX}{base}"]
    assert table_shape(described) == model_shape(base)
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert described["DeletionProtectionEnabled"] is True
    stream = getattr(MODELS[base].Meta, "stream_view_type", None)
    assert described.get("StreamSpecification", {}).get("StreamViewType") == stream


def test_the_stack_outputs_every_table_name_and_arn(created):
    stack, _ = created
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    for base in MODELS:
        assert outputs[f"{table_logical_id(base)}Name"] == f"{PREFIX}{base}"
        assert outputs[f"{table_logical_id(base)}Arn"].endswith(f":table/{PREFIX}{base}")


def test_every_table_keeps_its_data_when_the_stack_or_the_resource_goes():
    for resource in data_template(PREFIX)["Resources"].values():
        properties = resource["Properties"]
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate"
        assert resource["UpdateReplacePolicy"] == "Retain"
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }
        assert properties["DeletionProtectionEnabled"] is True


def test_tables_expire_items_by_exactly_the_attributes_the_models_name():
    resources = data_template(PREFIX)["Resources"]
    expiring = {
        base: resources[table_logical_id(base)]["Properties"]["TimeToLiveSpecification"]
        for base in MODELS
        if "TimeToLiveSpecification" in resources[table_logical_id(base)]["Properties"]
    }
    assert expiring == {
        base: {"AttributeName": attribute, "Enabled": True}
        for base, attribute in TTL_ATTRIBUTES.items()
    }
