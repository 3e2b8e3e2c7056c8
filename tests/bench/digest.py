"""The daily escalation digest (督办汇总) at 10,000 and 100,000 historical cases: the tick that
writes the day's digests reads the live overdue list (one Query on the sparse overdue index)
and writes one message a recipient, so its requests follow the overdue cases and their
recipients, never the history. Every other tick of the day reads one marker item.

Run on its own (not part of `make bench`):
    .venv/bin/python -c "from tests.bench.digest import main; main()"
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from .aws import Aws, provisioned
from .history import OVERDUE_CASES, load_history, measure, moto_table, seed_yesterday


def _forget_digests(aws: Aws) -> None:
    """The day's digests not yet written: drop the marker and the digests of the last run,
    straight from moto's tables and outside any recording."""
    counters = moto_table(aws, "counters")
    for key in [k for k in counters.items if str(k.value).startswith("digest#")]:
        del counters.items[key]
    outbox = moto_table(aws, "notifications")
    for key in [
        k
        for k, item in outbox.items.items()
        if str(item.attrs["case_code"].value).startswith("digest-")
    ]:
        del outbox.items[key]


def _digest(aws: Aws) -> Any:
    from functions.core.services.digest import DigestDeps, send_digests

    deps = aws.wiring.dispatch
    return send_digests(
        DigestDeps(
            deps.clock,
            deps.cases,
            deps.notifications,
            deps.registry,
            deps.rules,
            deps.messenger.public_url,
        )
    )


def digest_at_history_sizes(sizes: list[int], runs: int) -> list[dict[str, Any]]:
    from functions.core.domain.clock import CHINA_TZ

    results: list[dict[str, Any]] = []
    with provisioned() as aws:
        now = aws.clock.now()
        day = (now.astimezone(CHINA_TZ) - timedelta(days=1)).date()
        seed_yesterday(aws, day)  # and OVERDUE_CASES that went overdue yesterday, still open
        loaded = 0
        for size in sorted(sizes):
            load_history(aws, loaded, size - loaded, now)
            loaded = size
            written = measure(
                aws, lambda: _digest(aws), runs, before=lambda _: _forget_digests(aws)
            )
            later = measure(aws, lambda: _digest(aws), runs)
            for name, measured in (("digest tick", written), ("later tick of the day", later)):
                results.append({"history": size, "overdue": OVERDUE_CASES, "job": name, **measured})
    return results


def main(sizes: tuple[int, ...] = (10_000, 100_000), runs: int = 3) -> None:
    for row in digest_at_history_sizes(list(sizes), runs):
        print(json.dumps(row, ensure_ascii=False, default=str))
