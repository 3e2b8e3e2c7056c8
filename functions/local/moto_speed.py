"""A faster TransactWriteItems for the local stack's moto.

moto backs up every table a transaction touches with a deep copy before applying it, so each
transaction costs time in proportion to the whole table: a local stack with a year of cases
slows to seconds per report. This version has the same outcome — all or nothing, the same
cancellation reasons — at the cost of the items it touches: it checks every condition first
and changes nothing if one fails (the items of one transaction are distinct, so no operation's
condition depends on another's effect), then applies the operations, restoring the touched
items if one of them still fails.

It is installed by the local stack only; the tests run moto as released.
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """DynamoDBBackend.transact_write_items, at the cost of the items it touches."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    operations = []
    seen: set[tuple[str, str]] = set()
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        table = self.get_table(op["TableName"])
        if op_type == "Put":
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        identity = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        operations.append((op_type, op, key))

    errors: list[Any] = []
    for _, op, key in operations:
        current = self.get_item(op["TableName"], key)
        expression = op.get("ConditionExpression")
        failed = False
        if expression is not None:
            condition = get_filter_expression(
                expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            failed = not condition.expr(current)
        if failed:
            original = None
            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                original = current.to_json()["Attributes"]
            errors.append(("ConditionalCheckFailed", "The conditional request failed", original))
        else:
            errors.append((None, None, None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    backups = []
    try:
        for op_type, op, key in operations:
            name = op["TableName"]
            if op_type == "ConditionCheck":
                continue
            existing = self.get_item(name, key)
            backups.append((name, key, existing.to_json()["Attributes"] if existing else None))
            names = op.get("ExpressionAttributeNames")
            values = op.get("ExpressionAttributeValues")
            if op_type == "Put":
                self.put_item(
                    name,
                    op["Item"],
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    name, key, expression_attribute_names=names, expression_attribute_values=values
                )
            else:
                self.update_item(
                    name,
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=names,
                    expression_attribute_values=values,
                )
    except Exception:
        for name, key, attributes in reversed(backups):
            if attributes is None:
                self.delete_item(name, key)
            else:
                self.put_item(name, attributes)
        raise
