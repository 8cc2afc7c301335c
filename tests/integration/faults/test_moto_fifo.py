"""moto's FIFO order after a visibility timeout, as released and as the local stack runs it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from propfirm.local import moto_fifo


@pytest.fixture
def timed_out_group() -> Iterator[tuple]:
    """A FIFO queue whose group "a" (a0, a1, a2) was received and then timed out together."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="order.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        for n in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"a{n}", MessageGroupId="a", MessageDeduplicationId=f"a{n}")
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=1)
        time.sleep(1.1)
        yield sqs, url


def _receive(sqs, url: str) -> list[dict]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])


def test_moto_as_released_delivers_the_last_timed_out_message_first(timed_out_group) -> None:
    sqs, url = timed_out_group
    moto_fifo.restore()
    try:
        # if this fails, moto delivers in order by itself: moto_fifo.apply can go
        assert [m["Body"] for m in _receive(sqs, url)] == ["a2"]
    finally:
        moto_fifo.apply()


def test_corrected_the_group_comes_back_from_its_first_message_in_order(timed_out_group) -> None:
    sqs, url = timed_out_group
    moto_fifo.apply()
    handed = []
    for _ in range(4):
        messages = _receive(sqs, url)
        handed += [m["Body"] for m in messages]
        for m in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert handed == ["a0", "a1", "a2"]
