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
