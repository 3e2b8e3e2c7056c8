"""The benchmark's capacity estimates follow DynamoDB's published rules (the cost estimate in
BENCHMARKS.md rests on them)."""

from __future__ import annotations

from tests.bench.aws import Call, item_size, read_units, write_units


def item(text_bytes: int) -> dict[str, dict[str, str]]:
    return {"pk": {"S": "k"}, "body": {"S": "x" * text_bytes}}


def test_an_item_is_the_size_of_its_names_and_values():
    assert item_size({"code": {"S": "YS-1"}, "n": {"N": "123"}, "ok": {"BOOL": True}}) == (
        4 + 4 + 1 + 3 + 2 + 1
    )


def test_a_write_costs_one_unit_per_kilobyte_and_a_transaction_twice():
    assert write_units(Call("dynamodb", "PutItem", {"Item": item(100)}, {})) == 1
    assert write_units(Call("dynamodb", "PutItem", {"Item": item(1500)}, {})) == 2
    transaction = {
        "TransactItems": [{"Put": {"TableName": "t", "Item": item(100)}} for _ in range(3)]
    }
    assert write_units(Call("dynamodb", "TransactWriteItems", transaction, {})) == 6


def test_a_read_costs_one_unit_per_4_kb_read_and_half_when_eventually_consistent():
    found = {"Items": [item(3000), item(2000)]}
    assert read_units(Call("dynamodb", "Query", {"ConsistentRead": True}, found)) == 2
    assert read_units(Call("dynamodb", "Query", {}, found)) == 1
    assert read_units(Call("dynamodb", "GetItem", {"ConsistentRead": True}, {})) == 1
