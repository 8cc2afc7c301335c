"""Payout events on EventBridge: source `propfirm`, detail-types PayoutRequested, PayoutApproved,
PayoutRejected, PayoutPaid; the detail is the payout (`PayoutRecord.to_dict()` without the breakdown)."""

from __future__ import annotations

import json
from typing import Any

SOURCE = "propfirm"


class EventPublishError(Exception):
    pass


class EventBridgePublisher:
    def __init__(self, client: Any, bus_name: str, source: str = SOURCE) -> None:
        self.client = client
        self.bus_name = bus_name
        self.source = source

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        response = self.client.put_events(
            Entries=[
                {
                    "Source": self.source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, default=str),
                    "EventBusName": self.bus_name,
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise EventPublishError(f"{detail_type} refused by the bus: {response.get('Entries')}")
