"""Bus events as webhook messages: one id per event however often the bus carries it."""

from __future__ import annotations

import orjson
import pytest
from propfirm.webhooks.messages import MalformedEvent, from_bus_event


def failed_event(envelope_id: str = "eb-1") -> dict:
    return {
        "id": envelope_id,
        "detail-type": "ChallengeFailed",
        "source": "propfirm",
        "time": "2026-12-07T09:30:01Z",
        "detail": {
            "event_id": "12:3:event",
            "challenge_id": 12,
            "time": "2026-12-07T09:30:00.250000+00:00",
            "decision": "failed",
            "reason": "daily_loss",
            "equity": "94999.00",
        },
    }


def test_the_body_carries_type_timestamp_and_the_detail_as_data() -> None:
    message = from_bus_event(failed_event())
    assert orjson.loads(message.body) == {
        "type": "ChallengeFailed",
        "timestamp": "2026-12-07T09:30:00.250000+00:00",
        "data": failed_event()["detail"],
    }
    assert message.challenge_id == 12
    assert message.event_type == "ChallengeFailed"
    assert message.message_id.startswith("msg_")


def test_two_copies_of_one_event_are_one_message() -> None:
    assert from_bus_event(failed_event("eb-1")).message_id == from_bus_event(failed_event("eb-2")).message_id


def test_payout_stages_are_distinct_messages_and_repeats_are_not() -> None:
    def payout(stage: str, envelope: str) -> dict:
        return {
            "id": envelope,
            "detail-type": stage,
            "time": "2026-12-07T10:00:00Z",
            "detail": {"id": 4, "challenge_id": 9},
        }

    requested, approved = from_bus_event(payout("PayoutRequested", "a")), from_bus_event(payout("PayoutApproved", "b"))
    assert requested.message_id != approved.message_id
    assert requested.message_id == from_bus_event(payout("PayoutRequested", "c")).message_id
    assert (
        orjson.loads(requested.body)["timestamp"] == "2026-12-07T10:00:00Z"
    )  # the bus's time when the detail has none


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ({"detail": {}}, "no detail-type"),
        ({"detail-type": "ChallengeFailed", "detail": "x"}, "not an object"),
        ({"detail-type": "ChallengeFailed", "detail": {"event_id": "1:1:event"}}, "no time"),
        ({"detail-type": "Custom", "time": "2026-12-07T10:00:00Z", "detail": {}}, "neither an event_id"),
    ],
)
def test_a_malformed_event_is_refused_with_a_reason(event: dict, says: str) -> None:
    with pytest.raises(MalformedEvent, match=says):
        from_bus_event(event)
