"""The SQS client the local stack's parts share, able to misbehave as SQS may (and as an outage does).

Every call goes to moto unchanged except while a fault is on:
- `duplicate`: a message's first delete is turned into "visible again now" (what SQS does when a
  consumer's delete is lost or its invocation timed out): the same message, same MessageId, is received
  a second time, then deleted;
- `reorder`: some message groups of a received batch are held back: kept in flight (so moto delivers none
  of a held group's later messages, as SQS FIFO does) and handed over by a receive a few seconds later,
  whole and in order, before anything new; meanwhile other groups' later messages are handled first.
  They are handed over here rather than left to time out: moto, given several timed-out messages of
  one group, delivers the first after the others, an order SQS FIFO never gives. On a standard queue
  any message may be held;
- `sqs_outage`: sends fail with SQS's own 503 (`ServiceUnavailable`), as botocore raises it.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

HOLD_SECONDS = 3
IN_FLIGHT_SECONDS = 30  # the visibility a held message keeps in moto, and gets again when handed over


@dataclass
class _Held:
    release_at: float
    queue_url: str
    messages: list[dict[str, Any]]


class FaultySqs:
    def __init__(
        self, client: Any, seed: int = 1, hold_seconds: float = HOLD_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._rng = random.Random(f"faulty-sqs:{seed}")
        self._hold_seconds = hold_seconds
        self._clock = clock
        self._held: list[_Held] = []  # in the order held
        self.duplicate = False
        self.reorder = False
        self.outage = False
        self._redelivered: set[str] = set()  # message ids already given back once
        self._ids: dict[str, str] = {}  # receipt handle -> message id, while duplicating
        self.duplicated = 0
        self.held = 0
        self.refused_sends = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    # -- sends ---------------------------------------------------------------------------------------
    def send_message(self, **kwargs: Any) -> Any:
        self._refuse_if_out("SendMessage")
        return self._client.send_message(**kwargs)

    def send_message_batch(self, **kwargs: Any) -> Any:
        self._refuse_if_out("SendMessageBatch")
        return self._client.send_message_batch(**kwargs)

    def _refuse_if_out(self, operation: str) -> None:
        if self.outage:
            with self._lock:
                self.refused_sends += 1
            error = {"Code": "ServiceUnavailable", "Message": "Service is unable to handle request (injected)."}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 503}}, operation)

    # -- receives ------------------------------------------------------------------------------------
    def receive_message(self, **kwargs: Any) -> Any:
        released = self._release(kwargs["QueueUrl"], int(kwargs.get("MaxNumberOfMessages", 1)))
        if released:
            self._remember_for_duplicates(released)
            return {"Messages": released}
        if self.reorder or self.duplicate:  # the group of each message is needed to hold groups whole
            names = set(kwargs.get("MessageSystemAttributeNames") or []) | {"MessageGroupId"}
            kwargs["MessageSystemAttributeNames"] = sorted(names)
        response = self._client.receive_message(**kwargs)
        messages = response.get("Messages") or []
        if not messages:
            return response
        if self.reorder:
            messages = self._hold_some(kwargs["QueueUrl"], messages)
            response["Messages"] = messages
        self._remember_for_duplicates(messages)
        return response

    def _remember_for_duplicates(self, messages: list[dict[str, Any]]) -> None:
        """While duplicating: which message each receipt handle is, so its first delete can be lost."""
        if self.duplicate:
            with self._lock:
                for m in messages:
                    self._ids[m["ReceiptHandle"]] = m["MessageId"]

    def _hold_some(self, queue_url: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fifo = queue_url.endswith(".fifo")
        groups = sorted({self._group(m, fifo) for m in messages})
        with self._lock:
            held_groups = {g for g in groups if self._rng.random() < 0.5}
        kept, held = [], []
        for m in messages:
            if self._group(m, fifo) in held_groups:
                self._client.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"],
                    VisibilityTimeout=int(self._hold_seconds) + IN_FLIGHT_SECONDS,
                )
                held.append(m)
            else:
                kept.append(m)
        if held:
            with self._lock:
                self.held += len(held)
                self._held.append(_Held(self._clock() + self._hold_seconds, queue_url, held))
        return kept

    def _release(self, queue_url: str, most: int) -> list[dict[str, Any]]:
        """The held messages of this queue whose time has come (whole holds, in the order held, as many as
        a receive may return), with a fresh visibility window for the consumer."""
        now = self._clock()
        released: list[dict[str, Any]] = []
        with self._lock:
            waiting = []
            for hold in self._held:
                due = hold.queue_url == queue_url and hold.release_at <= now
                if due and (not released or len(released) + len(hold.messages) <= most):
                    released.extend(hold.messages)
                else:
                    waiting.append(hold)
            self._held = waiting
        for m in released:
            self._client.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=IN_FLIGHT_SECONDS
            )
        return released

    @property
    def holding(self) -> int:
        with self._lock:
            return sum(len(h.messages) for h in self._held)

    @staticmethod
    def _group(message: dict[str, Any], fifo: bool) -> str:
        if not fifo:
            return str(message["MessageId"])
        return str((message.get("Attributes") or {}).get("MessageGroupId", ""))

    # -- deletes -------------------------------------------------------------------------------------
    def delete_message(self, **kwargs: Any) -> Any:
        handle = kwargs["ReceiptHandle"]
        with self._lock:
            message_id = self._ids.pop(handle, None)
            again = self.duplicate and message_id is not None and message_id not in self._redelivered
            if again:
                assert message_id is not None
                self._redelivered.add(message_id)
                self.duplicated += 1
        if again:  # "lost delete": SQS hands the message out again
            return self._client.change_message_visibility(
                QueueUrl=kwargs["QueueUrl"], ReceiptHandle=handle, VisibilityTimeout=0
            )
        return self._client.delete_message(**kwargs)

    def counts(self) -> dict[str, int]:
        return {"redelivered": self.duplicated, "held": self.held, "refused_sends": self.refused_sends}
