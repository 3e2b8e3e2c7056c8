"""The nightly job's cost follows the day's events, not history (its own module: its moto
is thrown away whole, rather than emptied case by case)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from functions.core.adapters.tables import CaseItem, EventItem, day_shard
from functions.core.domain.clock import CHINA_TZ
from functions.core.services import metrics
from tests.integration.test_metrics_job import DAY, play_a_day


@pytest.mark.slow
def test_the_nightly_job_costs_the_same_with_1000_or_20000_historical_cases(
    api, wiring, robots, clock, aws_calls
):
    play_a_day(api, wiring, clock)
    counts = []
    for total in (1_000, 20_000):
        add_history(total)
        wiring.registry.current()  # the registry is cached (as in Lambda): counted once, not per run
        aws_calls.clear()
        metrics.run_day(wiring.metrics, DAY)
        counts.append(sorted(aws_calls.of("dynamodb")))
    assert counts[0] == counts[1]
    assert "Scan" not in counts[0]


_history_added = 0


def add_history(total: int) -> None:
    """Cases reported and closed on other days (before 2026-11-01), straight into the tables."""
    global _history_added
    rng = random.Random(total)
    with CaseItem.batch_write() as cases, EventItem.batch_write() as events:
        for number in range(_history_added, total):
            code = f"YS-2601-01-{number:06d}"
            day = date(2025, 1, 1) + timedelta(days=rng.randint(0, 600))
            moment = datetime(day.year, day.month, day.day, 10, tzinfo=CHINA_TZ)
            cases.save(
                CaseItem(
                    code,
                    status="closed",
                    category="street_light",
                    compound="x001",
                    community="c01",
                    street="hudong",
                    district="yushan",
                    address="-",
                    description="history",
                    phone_masked="138****0000",
                    token_hash="-",
                    channel="resident",
                    created_at=moment.isoformat(),
                    updated_at=moment.isoformat(),
                )
            )
            events.save(
                EventItem(
                    code,
                    0,
                    at=moment,
                    kind="reported",
                    actor_role="resident",
                    status_after="submitted",
                    data={"dims": {"compound": "x001"}},
                    day_shard=day_shard(day.isoformat(), code),
                )
            )
    _history_added = total
