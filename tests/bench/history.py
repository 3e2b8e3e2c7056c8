"""The scheduled jobs at 10,000 and 100,000 historical cases: the same work must cost the same
(DESIGN §9), so the DynamoDB requests a tick or a nightly run makes may not grow with history.

History is closed cases of the past two years with their timeline events, written straight
into the tables; the jobs then run through their Lambda handlers. To give the jobs work that
stays equal at both sizes (cases due, the day's events), add it in `seed_current_work`.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from .aws import Aws, provisioned, summary
from .operations import Context, scheduled

JOBS = {"dispatch tick": "dispatch_tick", "nightly job": "nightly_metrics"}


def load_history(aws: Aws, start: int, count: int, now: datetime) -> None:
    """`count` closed cases (numbered from `start`), each with a reported and a closed event."""
    from functions.core.adapters.tables import CaseItem, EventItem, day_shard
    from functions.core.bootstrap import wiring
    from functions.core.domain.clock import china_date

    registry = wiring().registry.current()
    compounds = list(registry.compounds.values())
    categories = list(registry.categories)
    rng = random.Random(start)
    with CaseItem.batch_write() as cases, EventItem.batch_write() as events:
        for number in range(start, start + count):
            compound = rng.choice(compounds)
            created = now - timedelta(days=rng.uniform(2, 730))
            closed = created + timedelta(days=rng.uniform(0.5, 20))
            code = f"YS-HIST-{number:07d}"
            cases.save(
                CaseItem(
                    code,
                    status="closed",
                    category=rng.choice(categories),
                    compound=compound.id,
                    community=compound.community,
                    street=registry.communities[compound.community].street,
                    address="历史数据",
                    description="历史工单（基准测试生成）",
                    phone_masked="138****0000",
                    token_hash="0" * 64,
                    channel="resident",
                    created_at=created,
                    updated_at=closed,
                    event_count=2,
                    version=3,
                )
            )
            for seq, (at, kind, before, after) in enumerate(
                (
                    (created, "reported", None, "submitted"),
                    (closed, "closed", "resolved", "closed"),
                ),
                start=1,
            ):
                events.save(
                    EventItem(
                        code,
                        seq,
                        at=at,
                        kind=kind,
                        actor_role="resident",
                        status_before=before,
                        status_after=after,
                        data={},
                        day_shard=day_shard(china_date(at), code),
                    )
                )


def seed_current_work(aws: Aws, now: datetime) -> None:
    """Work that is due today, the same at every history size. Nothing yet: no case can be
    whistled until the case workflow exists."""


def measure_job(ctx: Context, job: str, runs: int) -> dict[str, Any]:
    run = scheduled(JOBS[job])
    run(ctx)  # warm
    times: list[float] = []
    counted: list[dict[str, Any]] = []
    for _ in range(runs):
        with ctx.aws.recorder.recording() as calls:
            started = time.perf_counter()
            run(ctx)
            times.append(time.perf_counter() - started)
        counted.append(summary(calls))
    return {
        "median_ms": statistics.median(times) * 1000,
        **counted[-1],
        "stable": len({str(c["operations"]) for c in counted}) == 1,
    }


def jobs_at_history_sizes(sizes: list[int], runs: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    with provisioned() as aws, aws.api() as client:
        ctx = Context(aws, client, {})
        loaded = 0
        for size in sorted(sizes):
            started = time.perf_counter()
            load_history(aws, loaded, size - loaded, now)
            load_seconds = time.perf_counter() - started
            loaded = size
            seed_current_work(aws, now)
            for job in JOBS:
                results.append(
                    {
                        "job": job,
                        "history": size,
                        "load_seconds": load_seconds,
                        **measure_job(ctx, job, runs),
                    }
                )
    return results
