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
    """`count` closed cases (numbered from `start`), each with its reported and closed events.

    Cases are made by the domain (`Case.report`) and stored through the case store's own
    item mapping, so history keeps the shape of real cases as the model grows. A closed case
    is in no work list: every sparse (nullable) index key of the case item is cleared.
    """
    from functions.core.adapters.case_store import case_to_item, event_to_item
    from functions.core.adapters.tables import CaseItem, EventItem
    from functions.core.bootstrap import wiring
    from functions.core.domain.cases import Case, CaseEvent, NewReport, SealedPhone, Status

    registry = wiring().registry.current()
    compounds = list(registry.compounds.values())
    categories = list(registry.categories.values())
    attributes = CaseItem.get_attributes()
    sparse = [
        index._hash_key_attribute().attr_name
        for index in CaseItem._indexes.values()
        if attributes[index._hash_key_attribute().attr_name].null
    ]
    rng = random.Random(start)
    phone = SealedPhone("", "", "138****0000")
    with CaseItem.batch_write() as cases, EventItem.batch_write() as events:
        for number in range(start, start + count):
            compound = rng.choice(compounds)
            category = rng.choice(categories)
            created = now - timedelta(days=rng.uniform(2, 730))
            closed = created + timedelta(days=rng.uniform(0.5, 20))
            case = Case.report(
                code=f"YS-HIST-{number:07d}",
                report=NewReport(
                    category=category.id,
                    compound=compound.id,
                    address="历史数据",
                    description="历史工单（基准测试生成）",
                    phone="",
                    consent=True,
                ),
                category=category,
                compound=compound,
                registry=registry,
                phone=phone,
                photos=(),
                token_hash="0" * 64,
                at=created,
            )
            (reported,) = case.new_events
            closing = CaseEvent(
                case_code=case.code,
                seq=reported.seq + 1,
                at=closed,
                kind="closed",
                actor=reported.actor,
                status_before=Status.RESOLVED,
                status_after=Status.CLOSED,
                note=None,
                data={},
            )
            item = case_to_item(case)
            item.status = Status.CLOSED.value
            item.updated_at = (
                closed if isinstance(item.updated_at, datetime) else closed.isoformat()
            )
            item.event_count = 2
            for name in sparse:
                setattr(item, name, None)
            cases.save(item)
            events.save(event_to_item(reported))
            events.save(event_to_item(closing))


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
