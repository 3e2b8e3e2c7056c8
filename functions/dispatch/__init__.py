"""Dispatch: the timed job that alerts departments, reminds and escalates (every minute)."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Blueprint, Rate

from ..core.bootstrap import wiring
from ..core.services import jobs

dispatch = Blueprint(__name__)
log = logging.getLogger("whistle.dispatch")


@dispatch.schedule(Rate(1, unit=Rate.MINUTES), name="dispatch_tick")
def dispatch_tick(event: Any) -> dict[str, Any]:
    report = jobs.dispatch_tick(wiring().clock)
    log.info("dispatch tick %s", report)
    return report
