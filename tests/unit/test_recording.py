"""The local stack's write-ahead log: repair after a hard kill, compaction on a clean stop."""

import base64
import json

from functions.local.recording import compact, is_read, repair


def entry(method="POST", url="http://127.0.0.1:8001/", target=None, body=b""):
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target:
        headers["X-Amz-Target"] = target
    return {
        "headers": headers,
        "method": method,
        "url": url,
        "body": base64.b64encode(body).decode(),
        "body_encoded": True,
    }


def test_a_torn_last_line_is_cut_and_complete_lines_are_kept(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text('{"a": 1}\n{"b": 2}\n{"c": ')
    assert repair(log) == len('{"c": ')
    assert log.read_text() == '{"a": 1}\n{"b": 2}\n'
    assert repair(log) == 0


def test_reads_are_recognised_and_writes_are_not():
    assert is_read(entry(target="DynamoDB_20120810.GetItem"))
    assert is_read(entry(target="DynamoDB_20120810.Query"))
    assert not is_read(entry(target="DynamoDB_20120810.TransactWriteItems"))
    assert not is_read(entry(target="DynamoDB_20120810.CreateTable"))
    assert is_read(
        entry(method="GET", url="http://127.0.0.1:8001/whistle-local-photos/cases/a.jpg")
    )
    assert not is_read(entry(method="POST", url="http://127.0.0.1:8001/whistle-local-photos"))
    assert not is_read(entry(method="PUT", url="http://127.0.0.1:8001/whistle-local-photos/x"))
    assert is_read(entry(body=b"Action=ListIdentities&Version=2010-12-01"))
    assert not is_read(entry(body=b"Action=SendEmail&Version=2010-12-01"))


def test_compaction_keeps_the_seed_first_and_drops_only_reads(tmp_path):
    log = tmp_path / "log.jsonl"
    rows = [
        entry(url="http://127.0.0.1:8001/moto-api/seed?a=1"),
        entry(target="DynamoDB_20120810.CreateTable"),
        entry(target="DynamoDB_20120810.GetItem"),
        entry(target="DynamoDB_20120810.TransactWriteItems"),
        entry(method="GET", url="http://127.0.0.1:8001/bucket/key"),
    ]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"torn": ')
    assert compact(log) == (5, 3)
    kept = [json.loads(line) for line in log.read_text().splitlines()]
    assert "/moto-api/seed" in kept[0]["url"]
    assert [k["headers"].get("X-Amz-Target") for k in kept[1:]] == [
        "DynamoDB_20120810.CreateTable",
        "DynamoDB_20120810.TransactWriteItems",
    ]
