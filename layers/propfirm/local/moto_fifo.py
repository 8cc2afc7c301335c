"""One correction to moto's SQS so that a FIFO group keeps its order after a visibility timeout, as SQS does.

moto counts a message group as busy while any of its received messages is in its "pending" set, and takes
a message out of that set only when a receive reaches it after its visibility expired. When several
messages of one group time out together (a failed batch left to come back, as the Lambda poller leaves
it), the first is skipped because the others are still pending, and the last is delivered first, then
the ones after it: the group's order is lost (moto 5.2.6). SQS delivers the group from its first message.

The correction: a group is busy only while one of its pending messages is still invisible. Then the
first timed-out message is delivered, and the next ones wait until it is deleted (one a receive, in order).
`apply()` is called where the local stack starts moto; `tests/integration/faults/test_moto_fifo.py` shows
the order with and without it, so a moto release that fixes or moves this code is noticed.
"""

from __future__ import annotations

from typing import Any

_original: Any = None


def _busy_groups(queue: Any) -> set[str]:
    return {
        message.group_id
        for message in queue._pending_messages
        if message.group_id is not None and not message.visible
    }


def apply() -> None:
    global _original
    from moto.sqs.models import Queue

    if _original is None:
        _original = Queue.__dict__["pending_message_groups"]
        Queue.pending_message_groups = property(_busy_groups)  # type: ignore[method-assign,assignment]


def restore() -> None:
    """moto as released (for the test that shows why `apply` exists)."""
    global _original
    from moto.sqs.models import Queue

    if _original is not None:
        Queue.pending_message_groups = _original  # type: ignore[method-assign]
        _original = None
