"""Campaigns (专项行动) in the registry table: registry-like items under their own partition."""

from __future__ import annotations

from pynamodb.exceptions import PutError

from ..domain.campaigns import Campaign
from ..domain.errors import Conflict
from .tables import RegistryItem

SCOPE = "campaigns"


class DynamoCampaignStore:
    def all(self) -> list[Campaign]:
        """Every campaign: one Query on one partition (a few a year)."""
        return [Campaign.from_dict(item.data) for item in RegistryItem.query(SCOPE)]

    def get(self, campaign_id: str) -> Campaign | None:
        try:
            item = RegistryItem.get(SCOPE, campaign_id, consistent_read=True)
        except RegistryItem.DoesNotExist:
            return None
        return Campaign.from_dict(item.data)

    def put(self, campaign: Campaign, previous: Campaign | None) -> None:
        """Save a campaign over `previous` (None: a new one); a change in between is a 409."""
        item = RegistryItem(SCOPE, campaign.id, data=campaign.as_dict())
        try:
            if previous is None:
                item.save(condition=RegistryItem.key.does_not_exist())
            else:
                item.save(condition=RegistryItem.data == previous.as_dict())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise Conflict("The campaign changed meanwhile; load it again.", "stale") from None
            raise
