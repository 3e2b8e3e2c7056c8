"""DynamoDB tables as CloudFormation, generated from the PynamoDB models.

The models in `functions/core/adapters/tables.py` are the schema (STYLE rule 5): a table or an
index added there appears here without anyone restating its keys. What the models do not say
is a rule for every table: on-demand billing, point-in-time recovery, deletion protection and a
`Retain` policy (the data outlives a deleted stack), expiry by the attribute named in
`TTL_ATTRIBUTES`, and a stream where a model's `Meta.stream_view_type` asks for one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pynamodb.models import Model

from functions.core.adapters.tables import MODELS, TTL_ATTRIBUTES

from .cfn import logical_id

TEMPLATE_VERSION = "2010-09-09"


def table_logical_id(base: str) -> str:
    return logical_id(base, "Table")


def _keys(schema: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    # DynamoDB wants the partition key first; PynamoDB lists keys in attribute order.
    ordered = sorted(schema, key=lambda k: k["KeyType"] != "HASH")
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in ordered]


def _projection(projection: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"ProjectionType": projection["ProjectionType"]}
    if projection.get("NonKeyAttributes"):
        result["NonKeyAttributes"] = list(projection["NonKeyAttributes"])
    return result


def table_properties(base: str, model: type[Model], table_prefix: str) -> dict[str, Any]:
    """The `AWS::DynamoDB::Table` properties of one model."""
    # PynamoDB's schema, as it would create the table (typed dicts; read as plain mappings).
    schema: dict[str, Any] = dict(model._get_schema())
    used: set[str] = {k["AttributeName"] for k in schema["key_schema"]}
    properties: dict[str, Any] = {
        "TableName": f"{table_prefix}{base}",
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _keys(schema["key_schema"]),
    }
    indexes = []
    for index in schema.get("global_secondary_indexes", []):
        used.update(k["AttributeName"] for k in index["key_schema"])
        indexes.append(
            {
                "IndexName": index["index_name"],
                "KeySchema": _keys(index["key_schema"]),
                "Projection": _projection(index["projection"]),
            }
        )
    local_indexes = []
    for index in schema.get("local_secondary_indexes", []):
        used.update(k["AttributeName"] for k in index["key_schema"])
        local_indexes.append(
            {
                "IndexName": index["index_name"],
                "KeySchema": _keys(index["key_schema"]),
                "Projection": _projection(index["projection"]),
            }
        )
    # CloudFormation rejects attribute definitions that no key uses.
    properties["AttributeDefinitions"] = sorted(
        (
            {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
            for a in schema["attribute_definitions"]
            if a["AttributeName"] in used
        ),
        key=lambda a: a["AttributeName"],
    )
    if indexes:
        properties["GlobalSecondaryIndexes"] = sorted(indexes, key=lambda i: i["IndexName"])
    if local_indexes:
        properties["LocalSecondaryIndexes"] = sorted(local_indexes, key=lambda i: i["IndexName"])
    properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    properties["DeletionProtectionEnabled"] = True
    if base in TTL_ATTRIBUTES:
        properties["TimeToLiveSpecification"] = {
            "AttributeName": TTL_ATTRIBUTES[base],
            "Enabled": True,
        }
    stream = getattr(model.Meta, "stream_view_type", None)
    if stream:
        properties["StreamSpecification"] = {"StreamViewType": stream}
    return properties


def table_resources(table_prefix: str, protected: Any = True) -> dict[str, Any]:
    """One `AWS::DynamoDB::Table` per model, kept when the stack or the resource goes away,
    but not when the stack's creation is rolled back (`RetainExceptOnCreate`): a first
    deployment that fails leaves nothing behind that the next one would collide with.
    `protected` is the tables' deletion protection (a condition in the application stack,
    off while the stack is first created, so that such a rollback can delete them)."""
    unknown_ttl = set(TTL_ATTRIBUTES) - set(MODELS)
    if unknown_ttl:
        raise ValueError(f"TTL_ATTRIBUTES names tables without a model: {sorted(unknown_ttl)}")
    return {
        table_logical_id(base): {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                **table_properties(base, model, table_prefix),
                "DeletionProtectionEnabled": protected,
            },
        }
        for base, model in MODELS.items()
    }


def data_template(table_prefix: str) -> dict[str, Any]:
    """The data resources alone: every table, with its name and ARN as outputs."""
    resources = table_resources(table_prefix)
    outputs: dict[str, Any] = {}
    for name, resource in resources.items():
        outputs[f"{name}Name"] = {"Value": {"Ref": name}}
        outputs[f"{name}Arn"] = {"Value": {"Fn::GetAtt": [name, "Arn"]}}
        if "StreamSpecification" in resource["Properties"]:
            outputs[f"{name}StreamArn"] = {"Value": {"Fn::GetAtt": [name, "StreamArn"]}}
    return {
        "AWSTemplateFormatVersion": TEMPLATE_VERSION,
        "Description": "Whistle data: DynamoDB tables generated from the PynamoDB models",
        "Resources": resources,
        "Outputs": outputs,
    }
