"""Metrics: the nightly aggregation job (00:30 Asia/Shanghai = 16:30 UTC)."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Blueprint, Cron

from ..core.bootstrap import wiring
from ..core.services import jobs

metrics = Blueprint(__name__)
log = logging.getLogger("whistle.metrics")


@metrics.schedule(Cron(30, 16, "*", "*", "?", "*"), name="nightly_metrics")
def nightly_metrics(event: Any) -> dict[str, Any]:
    report = jobs.nightly_metrics(wiring().clock)
    log.info("nightly metrics %s", report)
    return report
