"""The local stack's faster TransactWriteItems keeps moto's outcomes: all or nothing, the same
cancellation reasons, the same refusal of one item twice."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from functions.local import moto_speed
from tests.conftest import TEST_ENV


@pytest.fixture(params=["moto", "faster"])
def table(request, monkeypatch):
    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    if request.param == "faster":
        from moto.dynamodb.models import DynamoDBBackend

        monkeypatch.setattr(
            DynamoDBBackend, "transact_write_items", moto_speed.transact_write_items
        )
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="t", Item={"k": {"S": "taken"}, "n": {"N": "1"}})
        yield client


def put(key, condition=True):
    op = {"TableName": "t", "Item": {"k": {"S": key}}}
    if condition:
        op["ConditionExpression"] = "attribute_not_exists(k)"
    return {"Put": op}


def keys(client):
    return sorted(i["k"]["S"] for i in client.scan(TableName="t")["Items"])


def test_a_transaction_applies_all_of_its_writes(table):
    table.transact_write_items(
        TransactItems=[
            put("a"),
            put("b"),
            {
                "Update": {
                    "TableName": "t",
                    "Key": {"k": {"S": "taken"}},
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )
    assert keys(table) == ["a", "b", "taken"]
    assert table.get_item(TableName="t", Key={"k": {"S": "taken"}})["Item"]["n"] == {"N": "2"}


def test_one_failed_condition_cancels_everything_with_reasons_in_order(table):
    with pytest.raises(ClientError) as caught:
        table.transact_write_items(TransactItems=[put("a"), put("taken"), put("b")])
    reasons = [r["Code"] for r in caught.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed", "None"]
    assert keys(table) == ["taken"]


def test_the_same_item_twice_is_refused(table):
    with pytest.raises(ClientError) as caught:
        table.transact_write_items(TransactItems=[put("a", False), put("a", False)])
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert keys(table) == ["taken"]
