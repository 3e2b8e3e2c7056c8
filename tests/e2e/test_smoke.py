"""`make smoke` against the local stack, as an operator runs it after `make dev` (and `make
deploy` after a deployment): whole when it is, and saying which part is not when a dependency
breaks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.fakes import ROOT

pytestmark = pytest.mark.slow


def smoke(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra", "smoke", "--url", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_the_smoke_test_passes_on_a_whole_stack_and_fails_when_a_table_is_gone(stack):
    whole = smoke(stack.url)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    checks = [line.split(":", 1)[0] for line in whole.stdout.splitlines()[:-1]]
    assert checks == [
        "ok   spa",
        "ok   health",
        "ok   ready",
        "ok   registry",
        "ok   open311",
        "ok   upload",
        "ok   dispatch job",
        "ok   nightly job",
    ]
    assert "is whole" in whole.stdout

    dynamodb = stack.aws("dynamodb")
    (table,) = [t for t in dynamodb.list_tables()["TableNames"] if t.endswith("notifications")]
    dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName=table)

    broken = smoke(stack.url)
    assert broken.returncode == 1
    assert "FAIL ready: not ready (HTTP 503): notifications failed" in broken.stdout
    assert "FAIL dispatch job" in broken.stdout
    assert "ok   spa" in broken.stdout and "is NOT whole" in broken.stdout
