"""Messages that did not reach their recipient, for the district: the list, the counts on
the dashboard, and a resend.

A resend is a new message in the outbox, linked to the dead one, whose id is derived from the
dead one's: pressing twice (or two clerks pressing at once) stores and sends it once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from ..domain.clock import Clock, iso
from ..domain.errors import Conflict, NotFound
from ..domain.staff import Principal, Role
from ..ports import DeliveryStatus, Notification, NotificationStore

RESENDS = uuid.UUID("5d4cbb0e-2f07-4a53-9f3e-6a1f7f1b9c11")  # namespace of resend ids
LISTED = 100


@dataclass(frozen=True)
class OutboxDeps:
    clock: Clock
    notifications: NotificationStore


def troubled(deps: OutboxDeps, principal: Principal) -> dict[str, Any]:
    principal.require(Role.DISTRICT)
    return {"items": [_view(n) for n in deps.notifications.troubled(LISTED)]}


def resend(deps: OutboxDeps, principal: Principal, notification_id: str) -> dict[str, Any]:
    principal.require(Role.DISTRICT)
    dead = deps.notifications.get(notification_id)
    if dead is None:
        raise NotFound("No such message.", "not_found")
    again_id = uuid.uuid5(RESENDS, dead.id).hex
    if dead.status is not DeliveryStatus.DEAD:
        raise Conflict("Only a message that was given up can be resent.", "not_dead")
    again = replace(
        dead,
        id=again_id,
        created_at=deps.clock.now(),
        status=DeliveryStatus.PENDING,
        attempts=0,
        lease_until=None,
        last_error=None,
        trouble=None,
        resend_of=dead.id,
    )
    # False when it was resent already: the answer is the same, nothing is sent twice.
    deps.notifications.resend(dead, again)
    return {"id": dead.id, "resent_as": again_id}


def _view(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "case": n.case_code,
        "channel": n.channel.value,
        "to": n.recipient_display,
        "template": n.template,
        "text": n.subject or n.body,
        "created_at": iso(n.created_at),
        "attempts": n.attempts,
        "trouble": n.trouble.value if n.trouble else None,
        "error": n.last_error,
    }
