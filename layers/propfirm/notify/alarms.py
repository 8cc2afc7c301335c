"""CloudWatch alarms for the operators' chats: the alarm topic's SNS notifications made into messages
the notifier tells like the bus's events (event type `OperatorAlarm`, operators only).

An alarm's change (ALARM, back to OK) is one message, identified by the alarm and the time of the change,
so an SNS redelivery tells nobody twice. The stale poller, a blind interval (failed poller cycles), a
dead-letter queue with a message, an unconfirmed kill: whatever the infrastructure alarms on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from propfirm.webhooks.messages import Message

OPERATOR_ALARM = "OperatorAlarm"


def is_sns_record(record: dict[str, Any]) -> bool:
    return record.get("EventSource") == "aws:sns" or "Sns" in record


def from_sns_records(
    records: list[dict[str, Any]], on_malformed: Callable[[str, str, str | None], None]
) -> list[Message]:
    messages = []
    for record in records:
        sns = record.get("Sns") or {}
        raw = sns.get("Message", "")
        try:
            alarm = orjson.loads(raw)
            if not isinstance(alarm, dict) or "AlarmName" not in alarm:
                raise ValueError("not a CloudWatch alarm notification")
        except (orjson.JSONDecodeError, ValueError) as exc:
            on_malformed(str(exc), str(raw)[:2000], sns.get("MessageId"))
            continue
        changed = str(alarm.get("StateChangeTime") or sns.get("Timestamp") or "")
        data = {
            "alarm": alarm["AlarmName"],
            "state": alarm.get("NewStateValue", "?"),
            "previous": alarm.get("OldStateValue", "?"),
            "description": alarm.get("AlarmDescription") or "",
            "reason": alarm.get("NewStateReason") or "",
            "time": changed,
        }
        body = orjson.dumps({"type": OPERATOR_ALARM, "timestamp": changed, "data": data})
        messages.append(Message(f"alarm:{alarm['AlarmName']}:{changed}", OPERATOR_ALARM, None, None, body))
    return messages
