"""The scheduled jobs' entry points.

The metrics capability gives the nightly job its aggregation.
"""

from __future__ import annotations

from typing import Any

from ..domain.clock import Clock, china_date


def nightly_metrics(clock: Clock) -> dict[str, Any]:
    """The nightly aggregation for the China calendar day that just ended."""
    from datetime import timedelta

    day = china_date(clock.now() - timedelta(hours=1))
    return {"job": "metrics", "day": day, "items": 0}
