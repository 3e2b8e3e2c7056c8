"""Campaigns (专项行动) in the registry table: registry-like items under their own partition."""

from __future__ import annotations

from ..domain.campaigns import Campaign
from .documents import DocumentStore

SCOPE = "campaigns"


class DynamoCampaignStore(DocumentStore[Campaign]):
    def __init__(self) -> None:
        super().__init__(SCOPE, Campaign.from_dict, "campaign")
