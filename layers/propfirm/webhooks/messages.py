"""An event of the firm's bus as the message a webhook receiver gets.

The body is `{"type": <event name>, "timestamp": ISO 8601, "data": <the event's detail>}`; the data names
the challenge (`challenge_id`) wherever there is one. The message id is derived from the event's own
identity (a transition's `event_id`, a payout's id and stage), never from the bus's envelope: the bus may
carry one event twice (its senders are at-least-once), and both copies must be one message to a receiver.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

import orjson

# the event names a subscription may choose from (an empty choice: all of them)
EventType = Literal[
    "ChallengePassed",
    "ChallengeFailed",
    "ChallengeFunded",
    "PayoutRequested",
    "PayoutApproved",
    "PayoutRejected",
    "PayoutPaid",
    "PayoutFailed",
    "PayoutEscalated",
    "FloorWarning",
    "GapFindingRecorded",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


class MalformedEvent(ValueError):
    pass


@dataclass(frozen=True)
class Message:
    message_id: str  # `webhook-id`: the same on every attempt and every redelivery
    event_type: str
    challenge_id: int | None
    server: str | None  # the MT5 server the event is about (an endpoint may take one server's only)
    body: bytes  # exactly what is POSTed and signed

    def payload(self) -> dict[str, Any]:
        return orjson.loads(self.body)


def identity(event_type: str, detail: dict[str, Any], envelope_id: str | None) -> str:
    """What makes two copies of an event the same event."""
    if detail.get("event_id"):
        return f"{event_type}:{detail['event_id']}"
    if event_type.startswith("Payout") and detail.get("id") is not None:
        return f"{event_type}:payout:{detail['id']}"
    if envelope_id:
        return f"{event_type}:bus:{envelope_id}"
    raise MalformedEvent("the event has neither an event_id, a payout id nor an envelope id")


def message_id(event_type: str, detail: dict[str, Any], envelope_id: str | None = None) -> str:
    digest = hashlib.sha256(identity(event_type, detail, envelope_id).encode()).hexdigest()
    return "msg_" + digest[:32]


def from_bus_event(event: dict[str, Any]) -> Message:
    """An EventBridge event (`detail-type`, `detail`, `time`, `id`) as a message; MalformedEvent otherwise."""
    event_type = event.get("detail-type")
    detail = event.get("detail")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedEvent("the event has no detail-type")
    if not isinstance(detail, dict):
        raise MalformedEvent(f"{event_type}: the detail is not an object")
    timestamp = detail.get("time") or event.get("time")
    if not isinstance(timestamp, str):
        raise MalformedEvent(f"{event_type}: no time in the detail or the envelope")
    challenge = detail.get("challenge_id")
    server = detail.get("server")
    body = orjson.dumps({"type": event_type, "timestamp": timestamp, "data": detail})
    return Message(
        message_id=message_id(event_type, detail, event.get("id")),
        event_type=event_type,
        challenge_id=challenge if isinstance(challenge, int) else None,
        server=server if isinstance(server, str) else None,
        body=body,
    )


def from_sqs_records(event: dict[str, Any], on_malformed: Callable[[str, str, str | None], None]) -> list[Message]:
    """The messages in an SQS batch of bus events (a rule's queue); each malformed one is handed to
    `on_malformed(reason, body, message id)` and left out: sending it again cannot mend it."""
    messages = []
    for record in event.get("Records", []):
        body = record.get("body", "")
        try:
            parsed = orjson.loads(body)
            if not isinstance(parsed, dict):
                raise MalformedEvent("the record's body is not a JSON object")
            messages.append(from_bus_event(parsed))
        except (orjson.JSONDecodeError, MalformedEvent) as exc:
            on_malformed(str(exc), body[:2000], record.get("messageId"))
    return messages
