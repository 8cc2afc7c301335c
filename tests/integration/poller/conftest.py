"""Fixtures for the poller's integration tests: SQS in moto (in-process), the simulator over HTTP, real
Redis under the test's namespace, and a factory for pollers wired to all three."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import orjson
import pytest
import redis as redis_lib
from moto import mock_aws
from propfirm.domain.programs import load_example_programs
from propfirm.mt5.settings import Mt5Settings, gateway_from_settings
from propfirm.poller.runner import Poller
from propfirm.poller.settings import PollerSettings
from propfirm.settings import load


class Queues:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.evaluation = client.create_queue(
            QueueName="evaluation.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        self.commands = client.create_queue(
            QueueName="commands.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]

    def drain(self, url: str | None = None) -> list[dict]:
        """Every message waiting on the queue (received and deleted), parsed."""
        url = url or self.evaluation
        bodies: list[dict] = []
        while True:
            got = self.client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = got.get("Messages", [])
            if not messages:
                return bodies
            for m in messages:
                bodies.append(orjson.loads(m["Body"]))
                self.client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    def send_command(self, body: dict, dedup_id: str | None = None) -> None:
        self.client.send_message(QueueUrl=self.commands, MessageBody=orjson.dumps(body).decode(),
                                 MessageGroupId=f"{body['server']}:{body.get('login')}",
                                 MessageDeduplicationId=dedup_id or body["command_id"])


@pytest.fixture
def queues() -> Iterator[Queues]:
    with mock_aws():
        yield Queues(boto3.client("sqs", region_name="us-east-1"))


@pytest.fixture
def programs() -> list:
    return list(load_example_programs().values())


@pytest.fixture
def make_poller(queues: Queues, redis_client: redis_lib.Redis, redis_namespace: str,
                programs: list) -> Callable[..., Poller]:
    def make(sim: Any, **overrides: Any) -> Poller:
        gateway = gateway_from_settings(load(Mt5Settings, url=sim.url, manager_login=sim.manager_login,
                                             manager_password=sim.manager_password, max_attempts=2,
                                             timeout_seconds=5))
        chosen = overrides.pop("programs", programs)
        clock = overrides.pop("clock", None)  # the poller's monotonic clock, where a test moves it
        values = {"poller_interval_seconds": 1.0, "poller_command_wait_seconds": 1,
                  "poller_deal_lookback_seconds": 0, **overrides}
        settings = load(PollerSettings, evaluation_queue_url=queues.evaluation,
                        command_queue_url=queues.commands, redis_namespace=redis_namespace, **values)
        return Poller(gateway=gateway, redis_client=redis_client, sqs_client=queues.client, settings=settings,
                      programs=chosen, **({"clock": clock} if clock is not None else {}))

    return make
