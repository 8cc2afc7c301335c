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

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LocalContext:
    """The attributes of a Lambda context that Powertools reads."""

    function_name: str = "evaluator"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:evaluator"
    aws_request_id: str = ""
    log_group_name: str = "/aws/lambda/evaluator"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass
class DriveResult:
    received: int
    failed: list[str]


def queue_arn(client: Any, queue_url: str) -> str:
    attrs = client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return attrs["Attributes"]["QueueArn"]


def sqs_event(messages: list[dict[str, Any]], arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping hands the function."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {k: str(v) for k, v in m.get("Attributes", {}).items()},
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


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
    response = handler(event, LocalContext(aws_request_id=str(uuid.uuid4())))
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
