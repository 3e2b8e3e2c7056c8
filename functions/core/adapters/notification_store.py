"""The notification outbox in DynamoDB: pending work by shard, leases, outcomes."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from ..domain.clock import iso
from ..services.dispatch import Outgoing
from .tables import PENDING_SHARDS, NotificationItem


def _outgoing(item: NotificationItem) -> Outgoing:
    return Outgoing(
        id=item.id,
        channel=item.channel,
        recipient=item.recipient,
        webhook_kind=item.webhook_kind,
        department=item.department,
        subject=item.subject,
        body=item.body,
        link=item.link,
        attempts=int(item.attempts or 0),
        status=item.status,
        lease_until=item.lease_until,
    )


class DynamoNotificationStore:
    def pending(self, now: datetime, limit: int) -> list[Outgoing]:
        """Notifications due for an attempt (and stale in-flight ones), one Query a shard."""
        found: list[Outgoing] = []
        for number in range(PENDING_SHARDS):
            query = NotificationItem.pending.query(
                f"PENDING#{number}", NotificationItem.next_attempt_at <= iso(now), limit=limit
            )
            found.extend(_outgoing(i) for i in query)
        return found[:limit]

    def lease(self, notification: Outgoing, now: datetime, until: datetime) -> bool:
        try:
            NotificationItem(notification.id).update(
                actions=[
                    NotificationItem.status.set("sending"),
                    NotificationItem.lease_until.set(iso(until)),
                ],
                # Still pending (not taken by another tick, not sent meanwhile).
                condition=(NotificationItem.status == "pending"),
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def sent(self, notification: Outgoing, now: datetime) -> None:
        NotificationItem(notification.id).update(
            actions=[
                NotificationItem.status.set("sent"),
                NotificationItem.sent_at.set(iso(now)),
                NotificationItem.attempts.set(notification.attempts + 1),
                NotificationItem.pending_shard.remove(),
                NotificationItem.lease_until.remove(),
            ]
        )

    def failed(
        self, notification: Outgoing, now: datetime, error: str, retry_at: datetime | None
    ) -> None:
        actions: list[Action] = [
            NotificationItem.attempts.set(notification.attempts + 1),
            NotificationItem.last_error.set(error),
            NotificationItem.lease_until.remove(),
        ]
        if retry_at is None:
            actions += [
                NotificationItem.status.set("dead"),
                NotificationItem.dead_flag.set("dead"),
                NotificationItem.pending_shard.remove(),
            ]
        else:
            actions += [
                NotificationItem.status.set("pending"),
                NotificationItem.next_attempt_at.set(iso(retry_at)),
            ]
        NotificationItem(notification.id).update(actions=actions)

    def postpone(self, notification: Outgoing, until: datetime) -> None:
        NotificationItem(notification.id).update(
            actions=[
                NotificationItem.status.set("pending"),
                NotificationItem.next_attempt_at.set(iso(until)),
                NotificationItem.lease_until.remove(),
            ]
        )

    def dead(self, limit: int = 100) -> list[NotificationItem]:
        return list(NotificationItem.dead.query("dead", scan_index_forward=False, limit=limit))

    def for_case(self, code: str) -> list[NotificationItem]:
        return list(NotificationItem.by_case.query(code))
