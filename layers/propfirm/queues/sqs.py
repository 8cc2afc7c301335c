"""SQS adapter (boto3): a batching sender and a long-polling consumer, each counting its requests.

The sender packs messages into `SendMessageBatch` calls of at most 10 entries and 256 KiB of payload,
sets MessageGroupId and MessageDeduplicationId on a FIFO queue (URL ending `.fifo`), and resends the
entries SQS reports as failed (with the same deduplication ids, so a retry cannot duplicate) before
giving up with `SendFailed`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from propfirm.live.counting import RoundTrips

MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 262_144  # SendMessageBatch: the sum of the bodies (and attributes) of one call
MAX_ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class Outgoing:
    body: str
    group_id: str
    dedup_id: str

    def as_json(self) -> dict[str, str]:
        return {"body": self.body, "group_id": self.group_id, "dedup_id": self.dedup_id}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Outgoing:
        return cls(body=data["body"], group_id=data["group_id"], dedup_id=data["dedup_id"])


@dataclass(frozen=True, slots=True)
class Received:
    body: str
    receipt_handle: str
    message_id: str
    receive_count: int = 1


class SendFailed(Exception):
    def __init__(self, message: str, failed: list[Outgoing]) -> None:
        super().__init__(message)
        self.failed = failed


def batches(messages: Sequence[Outgoing]) -> list[list[Outgoing]]:
    """Split into SendMessageBatch calls: at most 10 entries and 256 KiB of bodies each."""
    result: list[list[Outgoing]] = []
    current: list[Outgoing] = []
    size = 0
    for message in messages:
        length = len(message.body.encode())
        if length > MAX_BATCH_BYTES:
            raise ValueError(f"message {message.dedup_id} is {length} bytes, over SQS's 256 KiB limit")
        if current and (len(current) == MAX_BATCH_ENTRIES or size + length > MAX_BATCH_BYTES):
            result.append(current)
            current, size = [], 0
        current.append(message)
        size += length
    if current:
        result.append(current)
    return result


class SqsSender:
    def __init__(self, client: Any, queue_url: str, requests: RoundTrips | None = None,
                 retry_delay: float = 0.2) -> None:
        self.client = client
        self.queue_url = queue_url
        self.fifo = queue_url.endswith(".fifo")
        self.requests = requests or RoundTrips()
        self.retry_delay = retry_delay

    def _entry(self, index: int, message: Outgoing) -> dict[str, str]:
        entry = {"Id": str(index), "MessageBody": message.body}
        if self.fifo:
            entry["MessageGroupId"] = message.group_id
            entry["MessageDeduplicationId"] = message.dedup_id
        return entry

    def send(self, messages: Sequence[Outgoing]) -> int:
        """Send every message; returns the number of SendMessageBatch requests made."""
        made = 0
        for batch in batches(messages):
            pending = batch
            for attempt in range(MAX_ATTEMPTS):
                entries = [self._entry(i, m) for i, m in enumerate(pending)]
                response = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
                self.requests.add()
                made += 1
                failed = response.get("Failed") or []
                if not failed:
                    break
                sender_faults = [f for f in failed if f.get("SenderFault")]
                if sender_faults:
                    bad = [pending[int(f["Id"])] for f in sender_faults]
                    reason = sender_faults[0].get("Message")
                    raise SendFailed(f"SQS refused {len(bad)} message(s): {reason}", bad)
                pending = [pending[int(f["Id"])] for f in failed]
                time.sleep(self.retry_delay * (attempt + 1))
            else:
                raise SendFailed(f"SQS kept failing {len(pending)} message(s)", list(pending))
        return made


class SqsConsumer:
    """Long-polling receiver of one queue."""

    def __init__(self, client: Any, queue_url: str, requests: RoundTrips | None = None) -> None:
        self.client = client
        self.queue_url = queue_url
        self.requests = requests or RoundTrips()

    def receive(self, max_messages: int = 10, wait_seconds: int = 20,
                visibility_timeout: int | None = None) -> list[Received]:
        kwargs: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": max_messages,
            "WaitTimeSeconds": wait_seconds,
            "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
        }
        if visibility_timeout is not None:
            kwargs["VisibilityTimeout"] = visibility_timeout
        response = self.client.receive_message(**kwargs)
        self.requests.add()
        return [
            Received(
                body=m["Body"],
                receipt_handle=m["ReceiptHandle"],
                message_id=m["MessageId"],
                receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
            )
            for m in response.get("Messages", [])
        ]

    def delete(self, message: Received) -> None:
        self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle)
        self.requests.add()

    def release(self, message: Received) -> None:
        """Make the message visible again now (it was received but will not be handled by us)."""
        self.client.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=message.receipt_handle, VisibilityTimeout=0
        )
        self.requests.add()
