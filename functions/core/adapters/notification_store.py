"""The notification outbox in DynamoDB: pending work by shard, leases, outcomes, and the dead
messages the district resends."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from ..domain.clock import iso, parse_iso
from ..ports import DeliveryStatus, MessageChannel, Notification, Trouble
from .tables import PENDING_SHARDS, CounterItem, NotificationItem, shard

# The dead index's partition of each kind of trouble ("dead" predates "uncertain").
FLAGS = {Trouble.FAILED: "dead", Trouble.UNCERTAIN: "uncertain"}
TROUBLES = {flag: trouble for trouble, flag in FLAGS.items()}


def notification_item(n: Notification) -> NotificationItem:
    return NotificationItem(
        n.id,
        case_code=n.case_code,
        channel=n.channel.value,
        recipient=n.recipient,
        recipient_display=n.recipient_display,
        webhook_kind=n.webhook_kind,
        department=n.department,
        template=n.template,
        params=dict(n.params) or None,
        subject=n.subject,
        body=n.body,
        link=n.link,
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=iso(n.created_at),
        created_at=iso(n.created_at),
        pending_shard=shard("PENDING", n.id, PENDING_SHARDS),
        resend_of=n.resend_of,
    )


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
        params={str(k): str(v) for k, v in (item.params or {}).items()},
        status=DeliveryStatus(item.status),
        attempts=int(item.attempts or 0),
        lease_until=parse_iso(item.lease_until) if item.lease_until else None,
        last_error=item.last_error,
        trouble=TROUBLES.get(item.dead_flag or ""),
        resend_of=item.resend_of,
    )


class DynamoNotificationStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection  # for the resend's transaction

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
        self,
        notification: Notification,
        now: datetime,
        error: str,
        retry_at: datetime | None,
        trouble: Trouble = Trouble.FAILED,
    ) -> None:
        actions: list[Action] = [
            NotificationItem.attempts.set(notification.attempts + 1),
            NotificationItem.last_error.set(error),
            NotificationItem.lease_until.remove(),
        ]
        if retry_at is None:
            actions += [
                NotificationItem.status.set(DeliveryStatus.DEAD.value),
                NotificationItem.dead_flag.set(FLAGS[trouble]),
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

    def get(self, notification_id: str) -> Notification | None:
        try:
            return notification_from_item(NotificationItem.get(notification_id))
        except DoesNotExist:
            return None

    def troubled(self, limit: int) -> list[Notification]:
        """One Query per kind of trouble on the dead index, newest first."""
        found = [
            notification_from_item(item)
            for flag in FLAGS.values()
            for item in NotificationItem.dead.query(flag, scan_index_forward=False, limit=limit)
        ]
        return sorted(found, key=lambda n: n.created_at, reverse=True)[:limit]

    def troubled_counts(self) -> dict[Trouble, int]:
        return {trouble: NotificationItem.dead.count(flag) for trouble, flag in FLAGS.items()}

    def resend(self, dead: Notification, again: Notification) -> bool:
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.update(
                    NotificationItem(dead.id),
                    actions=[
                        NotificationItem.dead_flag.remove(),
                        NotificationItem.resent_as.set(again.id),
                    ],
                    # Still dead and not resent: a second press (or a second clerk) finds
                    # it resent and stores nothing.
                    condition=(NotificationItem.status == DeliveryStatus.DEAD.value)
                    & NotificationItem.resent_as.does_not_exist(),
                )
                transaction.save(
                    notification_item(again), condition=NotificationItem.id.does_not_exist()
                )
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
                return False
            raise
        return True

    def add_new(self, notification: Notification) -> int:
        try:
            # The id is the message's identity (a digest's day, scope and recipient): a
            # second tick writing the same digest stores nothing.
            notification_item(notification).save(condition=NotificationItem.id.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return 0
            raise
        return 1

    def digest_sent(self, day: str) -> bool:
        try:
            CounterItem.get(f"digest#{day}")
        except DoesNotExist:
            return False
        return True

    def mark_digest_sent(self, day: str, now: datetime) -> None:
        # Kept a few days for the ticks of that day; the table's TTL removes it after.
        CounterItem(f"digest#{day}", hits=1, expires_at=now + timedelta(days=3)).save()

    # -- reads for tests and the local tools -------------------------------------------------

    def dead(self, limit: int = 100) -> list[NotificationItem]:
        return list(NotificationItem.dead.query("dead", scan_index_forward=False, limit=limit))

    def for_case(self, code: str) -> list[NotificationItem]:
        return list(NotificationItem.by_case.query(code))
