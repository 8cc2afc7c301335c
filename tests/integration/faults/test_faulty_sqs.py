"""The stack's SQS client under faults, against moto's SQS: a redelivery is SQS's own (same message id,
a second receive), held groups keep FIFO order within each group, an outage refuses sends with 503."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from propfirm.local.faults.sqs import FaultySqs

FIFO = {"FifoQueue": "true", "VisibilityTimeout": "30"}


@pytest.fixture
def sqs():
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def _send(client, url: str, group: str, body: str) -> None:
    client.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body)


def _receive(client, url: str) -> list[dict]:
    return client.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["ApproximateReceiveCount"]
    ).get("Messages", [])


def test_duplicate_hands_each_message_out_twice_then_deletes_it(sqs):
    url = sqs.create_queue(QueueName="q.fifo", Attributes=FIFO)["QueueUrl"]
    faulty = FaultySqs(sqs)
    _send(sqs, url, "g", "one")
    faulty.duplicate = True
    first = _receive(faulty, url)
    faulty.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    second = _receive(faulty, url)
    assert [m["MessageId"] for m in second] == [first[0]["MessageId"]]
    assert second[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    faulty.delete_message(QueueUrl=url, ReceiptHandle=second[0]["ReceiptHandle"])
    assert _receive(faulty, url) == []
    assert faulty.counts()["redelivered"] == 1


def test_reorder_holds_whole_groups_and_keeps_each_groups_order(sqs):
    url = sqs.create_queue(QueueName="r.fifo", Attributes=FIFO)["QueueUrl"]
    faulty = FaultySqs(sqs, seed=3)
    for group in "abcdefgh":
        for n in range(2):
            _send(sqs, url, group, f"{group}{n}")
    faulty.reorder = True
    handed = _receive(faulty, url)
    assert 0 < faulty.held < 16
    bodies = [m["Body"] for m in handed]
    for group in {b[0] for b in bodies}:  # a group handed out is handed out whole and in order
        assert [b for b in bodies if b[0] == group] == [f"{group}0", f"{group}1"]


def test_an_outage_refuses_sends_with_sqs_503_and_receives_go_on(sqs):
    url = sqs.create_queue(QueueName="s.fifo", Attributes=FIFO)["QueueUrl"]
    faulty = FaultySqs(sqs)
    _send(sqs, url, "g", "before")
    faulty.outage = True
    with pytest.raises(ClientError) as refused:
        entry = {"Id": "0", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "x"}
        faulty.send_message_batch(QueueUrl=url, Entries=[entry])
    assert refused.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert [m["Body"] for m in _receive(faulty, url)] == ["before"]
    faulty.outage = False
    _send(faulty, url, "h", "after")
    assert faulty.counts()["refused_sends"] == 1


def test_a_held_group_comes_back_first_and_in_order_before_its_later_messages(sqs):
    url = sqs.create_queue(QueueName="h.fifo", Attributes=FIFO)["QueueUrl"]
    now = [0.0]
    faulty = FaultySqs(sqs, seed=3, hold_seconds=3, clock=lambda: now[0])
    for group in "ab":
        for n in range(3):
            _send(sqs, url, group, f"{group}{n}")
    faulty.reorder = True
    first = [m["Body"] for m in _receive(faulty, url)]
    faulty.reorder = False
    held = {b[0] for b in ("a0", "b0") if b not in first}
    assert held and faulty.holding == 3 * len(held)
    _send(sqs, url, "a", "a3")
    _send(sqs, url, "b", "b3")
    # while held, nothing of a held group is delivered, though moto's clock has not moved
    later = _receive(faulty, url)
    assert not any(m["Body"][0] in held for m in later)
    now[0] = 3.0
    back = _receive(faulty, url)
    assert [m["Body"] for m in back] == [f"{g}{n}" for g in sorted(held) for n in range(3)]
    for m in back:
        faulty.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    after = [m["Body"] for m in _receive(faulty, url)]
    assert [b for b in after if b[0] in held] == [f"{g}3" for g in sorted(held)]
