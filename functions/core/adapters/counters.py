"""Fixed-window counters in DynamoDB: one conditional ADD per hit, never a read first."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.transactions import TransactWrite

from ..domain.accounts import Lockout, LockoutPolicy
from ..ports import Notification, SignInChallenge
from .notification_store import notification_item
from .tables import CounterItem


class DynamoCounters:
    def hit(self, key: str, limit: int, window_seconds: int, now: datetime) -> bool:
        """Count one hit in the current window; False (and nothing counted) at the limit."""
        window = int(now.timestamp()) // window_seconds
        item = CounterItem(f"{key}#{window}")
        try:
            item.update(
                actions=[
                    CounterItem.hits.add(1),
                    CounterItem.expires_at.set(now + timedelta(seconds=2 * window_seconds)),
                ],
                # Under the limit (or the window's first hit).
                condition=CounterItem.hits.does_not_exist() | (CounterItem.hits < limit),
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


class DynamoLockouts:
    """Failed sign-ins per username, one counter item each (`lockout#<username>`): counted
    alike for names that exist and names that do not. The item lapses `lock_minutes` after
    the last failure; expiry is checked here, the table's TTL only cleans up."""

    def __init__(self, policy: LockoutPolicy) -> None:
        self._policy = policy

    @staticmethod
    def _key(username: str) -> str:
        return f"lockout#{username}"

    def state(self, username: str, now: datetime) -> Lockout:
        return self.states([username], now)[username]

    def states(self, usernames: list[str], now: datetime) -> dict[str, Lockout]:
        found = {name: Lockout() for name in usernames}
        by_key = {self._key(name): name for name in usernames}
        for item in CounterItem.batch_get(list(by_key)):
            if item.expires_at and item.expires_at > now:
                found[by_key[item.key]] = self._lockout(item)
        return found

    def failed(self, username: str, now: datetime) -> Lockout:
        until = now + timedelta(minutes=self._policy.lock_minutes)
        item = CounterItem(self._key(username))
        try:
            item.update(
                actions=[CounterItem.hits.add(1), CounterItem.expires_at.set(until)],
                # Failures still counting (not lapsed, though perhaps not yet deleted).
                condition=CounterItem.expires_at > now,
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            item = CounterItem(self._key(username), hits=1, expires_at=until)
            item.save()
        return self._lockout(item)

    def clear(self, username: str) -> None:
        CounterItem(self._key(username)).delete()

    def _lockout(self, item: CounterItem) -> Lockout:
        failures = int(item.hits or 0)
        locked = failures >= self._policy.max_failures
        return Lockout(failures, item.expires_at if locked else None)


class DynamoSignInCodes:
    """Residents' pending sign-ins, one counter item a phone (`sign-in#<keyed hash>`):
    `secret` is the keyed hash of the code, `hits` the tries made. Expiry is checked in
    code; the table's TTL only cleans up."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def issue(self, challenge: SignInChallenge, message: Notification) -> None:
        with TransactWrite(connection=self._connection) as transaction:
            # A new code replaces the old one and its count of tries.
            transaction.save(
                CounterItem(
                    challenge.key,
                    hits=0,
                    expires_at=challenge.expires_at,
                    secret=challenge.secret,
                )
            )
            transaction.save(notification_item(message))

    def attempt(self, key: str, now: datetime, tries: int) -> str | None:
        item = CounterItem(key)
        try:
            item.update(
                actions=[CounterItem.hits.add(1)],
                # A challenge that has not lapsed (TTL deletes lazily) with tries left.
                condition=CounterItem.secret.exists()
                & (CounterItem.expires_at > now)
                & (CounterItem.hits < tries),
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return item.secret

    def consume(self, key: str, secret: str) -> bool:
        try:
            # Only the challenge that was checked: of two tries with the right code, one wins.
            CounterItem(key).delete(condition=CounterItem.secret == secret)
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True
