"""The dispatch job (every minute): fire due timers, then send what is waiting.

Timers: a sparse, write-sharded index of cases whose next timer is due (dispatch a whistled
case, remind at 75 % of a limit, escalate when it passes and with each working day's digest
after, close unrated cases, purge phone numbers); then, once a working day, the escalation
digests (services/digest.py). Each case is leased with a conditional write, so ticks that overlap do
each case once; the transition and its notifications are stored in one transaction.

Sending: each notification is leased before it is sent and marked sent after; a failure is
retried with exponential backoff and, after MAX_ATTEMPTS, marked dead (counted on the
dashboard, alarmed, listed on the district page). A notification whose sender stopped in the
middle of sending, or whose provider never answered a request that went out, may or may not
have gone out. Where its provider drops a second copy sent
under the same key, it is sent again under that key; no provider Whistle uses does (see the
senders), so it is marked dead as "uncertain" and the district page offers to resend it:
nothing goes out twice by itself, and nothing is silently lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..domain.cases import TimerKind
from ..domain.clock import Clock
from ..domain.errors import Conflict
from ..ports import (
    CaseStore,
    DeliveryStatus,
    Notification,
    NotificationStore,
    PhotoStore,
    RegistrySource,
    Throttled,
    Transport,
    Trouble,
    Uncertain,
)
from .digest import DigestDeps, send_digests
from .notify import Messenger, store_transition
from .rules import Rules

log = logging.getLogger("whistle.dispatch")

CASE_LEASE = timedelta(seconds=60)
SEND_LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=30)
TIMERS_PER_TICK = 200
SENDS_PER_TICK = 300


@dataclass(frozen=True)
class DispatchDeps:
    clock: Clock
    cases: CaseStore
    notifications: NotificationStore
    transport: Transport
    rules: Rules
    registry: RegistrySource
    messenger: Messenger
    photos: PhotoStore  # the retention purge deletes a case's photos


@dataclass
class TickReport:
    due: int = 0
    fired: int = 0
    skipped: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    postponed: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": "dispatch",
            "due": self.due,
            "fired": self.fired,
            "skipped": self.skipped,
            "sent": self.sent,
            "retried": self.retried,
            "dead": self.dead,
            "postponed": self.postponed,
            "digests": self.digests,
            "errors": len(self.errors),
        }


def tick(deps: DispatchDeps) -> TickReport:
    report = TickReport()
    fire_timers(deps, report)
    digests = DigestDeps(
        deps.clock,
        deps.cases,
        deps.notifications,
        deps.registry,
        deps.rules,
        deps.messenger.public_url,
    )
    try:
        report.digests = send_digests(digests)
    except Exception as error:  # the next tick tries again; sending must go on meanwhile
        report.errors.append("digest")
        log.exception("escalation digest failed: %s", type(error).__name__)
    send_pending(deps, report)
    return report


def fire_timers(deps: DispatchDeps, report: TickReport) -> None:
    now = deps.clock.now()
    registry = deps.registry.current()
    due = deps.cases.due(now, TIMERS_PER_TICK)
    report.due = len(due)
    for code, timer_at in due:
        case = deps.cases.lease(code, timer_at, now + CASE_LEASE, now)
        if case is None:
            report.skipped += 1  # another tick has it, or it changed since the query
            continue
        try:
            purging = case.timer is not None and case.timer.kind is TimerKind.PURGE
            photos = case.photo_keys() if purging else ()
            if not case.on_timer(now, deps.rules.policy(case.category)):
                report.skipped += 1
                continue
            if photos:
                # Before the save: if it fails, the timer fires again and deletes again
                # (deleting is idempotent); after it, a failure would leave the files behind.
                deps.photos.delete(list(photos))
            if purging:
                deps.cases.forget_followers(code)  # their numbers go too (idempotent)
            store_transition(deps.cases, deps.messenger, case, registry, now)
            report.fired += 1
        except Conflict as error:
            # A staff action changed the case after the lease: it goes first; the timer,
            # if still due, fires on a later tick.
            report.skipped += 1
            log.info("timer of %s skipped: %s", code, error.code)
        except Exception as error:  # one bad case must not stop the others
            report.errors.append(code)
            log.exception("timer of %s failed: %s", code, type(error).__name__)


def send_pending(deps: DispatchDeps, report: TickReport) -> None:
    now = deps.clock.now()
    for notification in deps.notifications.pending(now, SENDS_PER_TICK):
        if notification.status is DeliveryStatus.SENDING:
            _give_up_if_abandoned(deps, notification, now, report)
            continue
        if not deps.notifications.lease(notification, now, now + SEND_LEASE):
            continue  # another tick is sending it
        _send_one(deps, notification, now, report)


def send_now(deps: DispatchDeps, notification: Notification) -> None:
    """Send one message that was just stored, without waiting for the next tick (a
    resident's sign-in code); leased like any other, so the tick never sends it twice."""
    now = deps.clock.now()
    if deps.notifications.lease(notification, now, now + SEND_LEASE):
        _send_one(deps, notification, now, TickReport())


def _give_up_if_abandoned(
    deps: DispatchDeps, notification: Notification, now: datetime, report: TickReport
) -> None:
    """Its sender stopped between taking it and recording the outcome: it may have gone
    out."""
    if notification.lease_until is None or notification.lease_until >= now:
        return  # still in its sender's hands
    _uncertain(deps, notification, now, "the sender stopped while sending", report)


def _uncertain(
    deps: DispatchDeps, notification: Notification, now: datetime, why: str, report: TickReport
) -> None:
    """It may have gone out. Send it again only where the provider drops a second copy sent
    under the same key; otherwise a person decides (the district page)."""
    if deps.transport.deduplicates(notification):
        deps.notifications.failed(
            notification, now, f"uncertain: {why}; sent again under the same key", now
        )
        report.retried += 1
    else:
        deps.notifications.failed(notification, now, f"uncertain: {why}", None, Trouble.UNCERTAIN)
        report.dead += 1


def _send_one(
    deps: DispatchDeps, notification: Notification, now: datetime, report: TickReport
) -> None:
    try:
        deps.transport.send(notification, now)
    except Uncertain as error:
        _uncertain(deps, notification, now, str(error)[:300], report)
    except Throttled:
        deps.notifications.postpone(
            notification, now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        )
        report.postponed += 1
    except Exception as error:  # a provider error, or one we did not foresee: retry
        attempts = notification.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            deps.notifications.failed(notification, now, str(error)[:300], None)
            report.dead += 1
        else:
            retry_at = now + BACKOFF_BASE * (2 ** (attempts - 1))
            deps.notifications.failed(notification, now, str(error)[:300], retry_at)
            report.retried += 1
    else:
        deps.notifications.sent(notification, now)
        report.sent += 1
