"""moto's request recorder as the local stack's write-ahead log.

moto appends every request it serves to a file before handling it; replaying the file into a
fresh server rebuilds tables, objects and user pools. Three rules make that reliable:

* the log starts with `/moto-api/seed?a=N`, so ids generated during replay equal the originals;
* requests are handled one at a time (the recorder appends without a lock);
* a line torn by a hard kill is cut off before replay (moto would stop there with a 500).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

SEED = 20221  # any fixed number: ids replay identically from the same seed

# Read-only calls: dropped when the log is compacted on a clean stop.
_READ_TARGETS = {
    "DynamoDB_20120810": {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "DescribeTable",
        "ListTables",
        "DescribeTimeToLive",
        "DescribeContinuousBackups",
        "ListTagsOfResource",
        "TransactGetItems",
        "DescribeEndpoints",
    },
}
_READ_ACTION_PREFIXES = ("Get", "List", "Describe")


def repair(path: Path) -> int:
    """Cut a last line left half-written by a hard kill. Returns the bytes removed."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with path.open("r+b") as handle:
        handle.truncate(keep)
    return len(data) - keep


def is_read(entry: dict[str, Any]) -> bool:
    """Whether a recorded request only read state (safe to drop from the log)."""
    method = str(entry.get("method", "GET")).upper()
    url = entry.get("url", "")
    headers = {k.lower(): v for k, v in (entry.get("headers") or {}).items()}
    target = headers.get("x-amz-target")
    if "/moto-api/seed" in url:
        return False
    if "/moto-api/" in url:
        return bool(method == "GET")
    if target:
        service, _, action = target.partition(".")
        return bool(action in _READ_TARGETS.get(service, set()))
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    if body.startswith("Action=") or "&Action=" in body:
        # Query-protocol services (SES, SNS): Action=GetX / ListX / DescribeX only read.
        action = parse_qs(body).get("Action", [""])[0]
        return bool(action.startswith(_READ_ACTION_PREFIXES))
    # Everything else is S3 (REST): GET, HEAD and CORS preflights read.
    return method in ("GET", "HEAD", "OPTIONS")


def compact(path: Path) -> tuple[int, int]:
    """Rewrite the log without read-only requests, atomically. Returns (before, after) lines."""
    if not path.exists():
        return 0, 0
    repair(path)
    lines = path.read_text().splitlines()
    kept = [line for line in lines if line.strip() and not is_read(json.loads(line))]
    temporary = path.with_suffix(".compacting")
    temporary.write_text("".join(f"{line}\n" for line in kept))
    os.replace(temporary, path)
    return len(lines), len(kept)
