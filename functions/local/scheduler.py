"""Calls the scheduled functions locally, as EventBridge does in AWS."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

log = logging.getLogger("whistle.local")


def next_minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


def next_nightly(now: datetime) -> datetime:
    """00:30 in China (16:30 UTC), the next one strictly after `now`."""
    candidate = now.astimezone(UTC).replace(hour=16, minute=30, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


class Scheduler:
    def __init__(self, run: Callable[[str], object], clock: Callable[[], datetime]) -> None:
        self._run = run
        self._clock = clock
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def pause(self, paused: bool) -> None:
        """Hold the schedule (while `whistle demo` plays past days on its own clock)."""
        if paused:
            self._paused.set()
        else:
            self._paused.clear()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        now = self._clock()
        due = {"dispatch": next_minute(now), "metrics": next_nightly(now)}
        while not self._stop.is_set():
            name, at = min(due.items(), key=lambda item: item[1])
            wait = (at - self._clock()).total_seconds()
            if wait > 0 and self._stop.wait(min(wait, 5)):
                return
            if self._clock() < at:
                continue
            try:
                if not self._paused.is_set():
                    self._run(name)
            except Exception:  # a failing job must not stop the schedule
                log.exception("scheduled job %s failed", name)
            due[name] = (
                next_minute(self._clock()) if name == "dispatch" else next_nightly(self._clock())
            )
