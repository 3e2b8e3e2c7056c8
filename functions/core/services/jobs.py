"""The scheduled jobs' entry points.

The walking skeleton wires the schedules end to end; the case workflow gives the dispatch
tick its work and the metrics capability gives the nightly job its aggregation.
"""

from __future__ import annotations

from typing import Any

from ..domain.clock import Clock, china_date, iso


def dispatch_tick(clock: Clock) -> dict[str, Any]:
    """One dispatch tick: nothing is due until cases can be whistled."""
    return {"job": "dispatch", "at": iso(clock.now()), "due": 0, "sent": 0}


def nightly_metrics(clock: Clock) -> dict[str, Any]:
    """The nightly aggregation for the China calendar day that just ended."""
    from datetime import timedelta

    day = china_date(clock.now() - timedelta(hours=1))
    return {"job": "metrics", "day": day, "items": 0}
