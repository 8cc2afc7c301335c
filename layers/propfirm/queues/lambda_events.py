"""The shapes Lambda hands a function, for driving the real handlers locally and in tests.

`sqs_event` builds the event an SQS event source mapping delivers (`Records` with `messageId`,
`receiptHandle`, `body`, `attributes` incl. `MessageGroupId`, `eventSource: aws:sqs`, ...) from messages
as `ReceiveMessage` returns them; `LocalContext` carries the context attributes Powertools reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class LocalContext:
    """The attributes of a Lambda context that Powertools reads."""

    function_name: str = "local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    remaining_millis: int = 300_000

    def __post_init__(self) -> None:
        arn = f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"
        self.invoked_function_arn = self.invoked_function_arn or arn
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


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
