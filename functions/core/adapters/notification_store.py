"""The notification outbox in DynamoDB: pending work by shard, leases, outcomes."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from ..domain.clock import iso, parse_iso
from ..ports import DeliveryStatus, MessageChannel, Notification
from .tables import PENDING_SHARDS, NotificationItem


def notification_from_item(item: NotificationItem) -> Notification:
    return Notification(
        id=item.id,
        case_code=item.case_code,
        channel=MessageChannel(item.channel),
        recipient=item.recipient,
        recipient_display=item.recipient_display,
        template=item.template,
        subject=item.subject,
        body=item.body,
        created_at=parse_iso(item.created_at),
        department=item.department,
        webhook_kind=item.webhook_kind,
        link=item.link,
        status=DeliveryStatus(item.status),
        attempts=int(item.attempts or 0),
        lease_until=parse_iso(item.lease_until) if item.lease_until else None,
    )


class DynamoNotificationStore:
    def pending(self, now: datetime, limit: int) -> list[Notification]:
        """Notifications due for an attempt (and stale in-flight ones), one Query a shard."""
        found: list[Notification] = []
        for number in range(PENDING_SHARDS):
            query = NotificationItem.pending.query(
                f"PENDING#{number}", NotificationItem.next_attempt_at <= iso(now), limit=limit
            )
            found.extend(notification_from_item(i) for i in query)
        return found[:limit]

    def lease(self, notification: Notification, now: datetime, until: datetime) -> bool:
        try:
            NotificationItem(notification.id).update(
                actions=[
                    NotificationItem.status.set(DeliveryStatus.SENDING.value),
                    NotificationItem.lease_until.set(iso(until)),
                ],
                # Still pending (not taken by another tick, not sent meanwhile).
                condition=(NotificationItem.status == DeliveryStatus.PENDING.value),
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def sent(self, notification: Notification, now: datetime) -> None:
        NotificationItem(notification.id).update(
            actions=[
                NotificationItem.status.set(DeliveryStatus.SENT.value),
                NotificationItem.sent_at.set(iso(now)),
                NotificationItem.attempts.set(notification.attempts + 1),
                NotificationItem.pending_shard.remove(),
                NotificationItem.lease_until.remove(),
            ]
        )

    def failed(
        self, notification: Notification, now: datetime, error: str, retry_at: datetime | None
    ) -> None:
        actions: list[Action] = [
            NotificationItem.attempts.set(notification.attempts + 1),
            NotificationItem.last_error.set(error),
            NotificationItem.lease_until.remove(),
        ]
        if retry_at is None:
            actions += [
                NotificationItem.status.set(DeliveryStatus.DEAD.value),
                NotificationItem.dead_flag.set("dead"),
                NotificationItem.pending_shard.remove(),
            ]
        else:
            actions += [
                NotificationItem.status.set(DeliveryStatus.PENDING.value),
                NotificationItem.next_attempt_at.set(iso(retry_at)),
            ]
        NotificationItem(notification.id).update(actions=actions)

    def postpone(self, notification: Notification, until: datetime) -> None:
        NotificationItem(notification.id).update(
            actions=[
                NotificationItem.status.set(DeliveryStatus.PENDING.value),
                NotificationItem.next_attempt_at.set(iso(until)),
                NotificationItem.lease_until.remove(),
            ]
        )

    def dead(self, limit: int = 100) -> list[NotificationItem]:
        return list(NotificationItem.dead.query("dead", scan_index_forward=False, limit=limit))

    def for_case(self, code: str) -> list[NotificationItem]:
        return list(NotificationItem.by_case.query(code))
