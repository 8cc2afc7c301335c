"""The firm's event bus in the local stack (moto's EventBridge), and a rule that sends every `propfirm`
event to a queue of its own, as the infrastructure's webhooks and notifications constructs do."""

from __future__ import annotations

import json
from typing import Any

BUS = "propfirm"


def create_bus(events: Any) -> str:
    events.create_event_bus(Name=BUS)
    return BUS


def route_to_queue(events: Any, sqs: Any, queue: str, rule: str) -> str:
    """Every `propfirm` event of the bus to `queue` (created here); its URL."""
    queue_url = sqs.create_queue(QueueName=queue, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=rule, EventBusName=BUS, EventPattern=json.dumps({"source": ["propfirm"]}), State="ENABLED")
    events.put_targets(Rule=rule, EventBusName=BUS, Targets=[{"Id": f"{queue}-target", "Arn": arn}])
    return str(queue_url)
