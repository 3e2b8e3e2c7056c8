"""Readiness: is each thing the API depends on answering? `/api/health` stays a cheap
liveness answer; `/api/health/ready` (what `make smoke` reads after a deployment) tries each
dependency once and says which one fails, never why (the why is in the log, under the
request's id)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("whistle.health")

# A probe reads or round-trips something small; it fails by raising or returning False.
Probe = Callable[[], object]


@dataclass(frozen=True)
class ReadinessDeps:
    probes: Mapping[str, Probe]


def readiness(deps: ReadinessDeps) -> tuple[dict[str, Any], bool]:
    """Each dependency's state ("ok" or "failed"), and whether all are ok."""
    checks: dict[str, str] = {}
    for name, probe in deps.probes.items():
        try:
            ok = probe() is not False
        except Exception as error:  # whatever broke, the answer is the same: not ready
            log.error("readiness: %s failed: %s", name, type(error).__name__)
            ok = False
        checks[name] = "ok" if ok else "failed"
    ready = all(state == "ok" for state in checks.values())
    return {"status": "ready" if ready else "not_ready", "checks": checks}, ready
