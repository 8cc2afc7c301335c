"""Drive the evaluator handler from a real (or moto) SQS queue with the exact event Lambda gives it.

The local stack calls `drive_once` in a loop: receive up to ten messages, hand them to the handler as
an SQS event (`Records` with `messageId`, `receiptHandle`, `body`, `attributes` incl. `MessageGroupId`,
`eventSource: aws:sqs`, ...), then delete the ones the handler did not report as failed. A failed one is
left on the queue: it comes back after its visibility timeout, and the queue's redrive policy moves it
to the dead-letter queue in the end, as in AWS.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from propfirm.queues.lambda_events import LocalContext, queue_arn, sqs_event

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class DriveResult:
    received: int
    failed: list[str]


def drive_once(
    client: Any,
    queue_url: str,
    handler: Handler,
    *,
    max_messages: int = 10,
    wait_seconds: int = 0,
    visibility_timeout: int | None = None,
) -> DriveResult:
    kwargs: dict[str, Any] = {
        "QueueUrl": queue_url,
        "MaxNumberOfMessages": max_messages,
        "WaitTimeSeconds": wait_seconds,
        "AttributeNames": ["All"],
        "MessageSystemAttributeNames": ["All"],
        "MessageAttributeNames": ["All"],
    }
    if visibility_timeout is not None:
        kwargs["VisibilityTimeout"] = visibility_timeout
    messages = client.receive_message(**kwargs).get("Messages", [])
    if not messages:
        return DriveResult(0, [])
    region = client.meta.region_name
    event = sqs_event(messages, queue_arn(client, queue_url), region)
    response = handler(event, LocalContext(function_name="evaluator", aws_request_id=str(uuid.uuid4())))
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    for m in messages:
        if m["MessageId"] not in failed:
            client.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return DriveResult(len(messages), sorted(failed))


def drain(client: Any, queue_url: str, handler: Handler, max_rounds: int = 100) -> DriveResult:
    """Drive until the queue answers empty (failed messages stay invisible meanwhile)."""
    total, failed = 0, []
    for _ in range(max_rounds):
        result = drive_once(client, queue_url, handler, visibility_timeout=30)
        if result.received == 0:
            break
        total += result.received
        failed.extend(result.failed)
    return DriveResult(total, failed)
