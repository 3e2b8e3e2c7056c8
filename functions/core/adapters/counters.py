"""Fixed-window counters in DynamoDB: one conditional ADD per hit, never a read first."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError

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

    def counts(
        self, keys: list[str], now: datetime, window_seconds: int
    ) -> dict[str, tuple[int, int]]:
        """(current, previous) window counts of each key, in one BatchGetItem."""
        window = int(now.timestamp()) // window_seconds
        wanted = {f"{k}#{w}": (k, w == window) for k in keys for w in (window, window - 1)}
        found = {k: [0, 0] for k in keys}
        for item in CounterItem.batch_get(list(wanted)):
            if item.expires_at and item.expires_at < now:
                continue  # expired but not yet deleted by the TTL
            key, current = wanted[item.key]
            found[key][0 if current else 1] = int(item.hits or 0)
        return {k: (v[0], v[1]) for k, v in found.items()}
