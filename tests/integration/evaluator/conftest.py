"""The evaluator's fixtures: PostgreSQL migrated, Redis under the test's namespace, SQS in moto, and an
`Rig` that wires the evaluator to all three and helps write snapshots and messages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import orjson
import pytest
import redis as redis_lib
from moto import mock_aws
from propfirm.evaluation.bootstrap import Runtime, build_runtime, set_runtime
from propfirm.evaluation.settings import EvaluatorSettings
from propfirm.live.keys import LiveKeys
from propfirm.live.records import PositionSummary, Snapshot
from propfirm.queues.messages import DealRecord, EvaluationMessage
from propfirm.settings import load
from propfirm.store.registration import register_account_challenge
from propfirm.store.uow import UnitOfWork


class Rig:
    def __init__(
        self, url: str, redis_client: redis_lib.Redis, namespace: str, sqs: Any, server: str, events: Any = None
    ) -> None:
        self.url = url
        self.redis = redis_client
        self.namespace = namespace
        self.keys = LiveKeys(namespace)
        self.sqs = sqs
        self.server = server
        self.evaluation_queue = sqs.create_queue(
            QueueName="evaluation.fifo", Attributes={"FifoQueue": "true"}
        )["QueueUrl"]
        self.command_queue = sqs.create_queue(QueueName="commands.fifo", Attributes={"FifoQueue": "true"})[
            "QueueUrl"
        ]
        # the event bus, with a rule sending every propfirm event to a queue the tests read
        self.events_client = events or boto3.client("events", region_name="us-east-1")
        bus = self.events_client.create_event_bus(Name=f"propfirm-{server}")["EventBusArn"].rsplit("/", 1)[1]
        self.events_queue = sqs.create_queue(QueueName=f"events-{server}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.events_queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.events_client.put_rule(Name="all", EventBusName=bus, EventPattern='{"source": ["propfirm"]}')
        self.events_client.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
        self.settings = load(
            EvaluatorSettings,
            database_url=url,
            redis_namespace=namespace,
            command_queue_url=self.command_queue,
            event_bus_name=bus,
        )
        # the trade server's clock: the latest time the test has registered, snapshotted or sent, so that the
        # evaluator lives on the test's time line (as it lives on the simulator's in a local run)
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self.runtime: Runtime = build_runtime(
            self.settings,
            sqs_client=sqs,
            redis_client=redis_client,
            events_client=self.events_client,
            clock=lambda: self.now,
        )
        self.evaluator = self.runtime.evaluator
        self.cycle = 0

    def at(self, time: datetime) -> datetime:
        """Move the trade server's clock forward to `time` (never back)."""
        self.now = max(self.now, time)
        return time

    def register(self, login: int, time: datetime, program: str = "two-step-100k", phase: int = 0) -> int:
        self.at(time)
        with UnitOfWork(self.url) as uow:
            cid = register_account_challenge(
                uow,
                self.server,
                login,
                program,
                phase,
                trader_email=f"{login}@{self.server}.example",
                time=time,
            )
            uow.commit()
        return cid

    def snapshot(
        self,
        login: int,
        time: datetime,
        balance: str,
        equity: str,
        positions: list[tuple[str, str, str]] | None = None,
    ) -> None:
        self.cycle += 1
        self.at(time)
        snap = Snapshot(
            self.server,
            login,
            self.cycle,
            time,
            Decimal(balance),
            Decimal(equity),
            Decimal(0),
            Decimal(0),
            None
            if positions is None
            else tuple(PositionSummary(s, Decimal(v), side) for s, v, side in positions),
        )  # type: ignore[arg-type]
        self.redis.set(self.keys.snap(self.server, login), snap.encode())

    def message(
        self, logins: list[int], time: datetime, deals: list[DealRecord] | None = None
    ) -> EvaluationMessage:
        self.at(time)
        return EvaluationMessage(
            server=self.server, cycle=self.cycle, shard=0, time=time, logins=logins, deals=deals or []
        )

    def commands(self) -> list[dict]:
        """Every command on the command queue (received and deleted)."""
        bodies = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.command_queue, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            if not got.get("Messages"):
                return bodies
            for m in got["Messages"]:
                bodies.append(orjson.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.command_queue, ReceiptHandle=m["ReceiptHandle"])

    def events(self) -> list[dict]:
        """Every event the bus delivered to the test's queue (received and deleted)."""
        found = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.events_queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not got.get("Messages"):
                return found
            for m in got["Messages"]:
                found.append(orjson.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.events_queue, ReceiptHandle=m["ReceiptHandle"])

    def fetch(self, query: str, *params: Any) -> list[tuple]:
        with UnitOfWork(self.url) as uow:
            return uow.fetchall(query, params)

    def challenge(self, cid: int):
        with UnitOfWork(self.url) as uow:
            return uow.challenges.get(cid)


@pytest.fixture
def rig(migrated_url: str, redis_client: redis_lib.Redis, redis_namespace: str) -> Iterator[Rig]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        rig = Rig(migrated_url, redis_client, redis_namespace, sqs, f"srv-{uuid.uuid4().hex[:8]}")
        set_runtime(rig.runtime)
        try:
            yield rig
        finally:
            set_runtime(None)


def deal(
    login: int,
    ticket: int,
    time: datetime,
    *,
    action: str = "buy",
    entry: str = "in",
    profit: str = "0",
    position: int = 0,
    comment: str = "",
    volume: str = "1.00",
    symbol: str = "EURUSD",
) -> DealRecord:
    return DealRecord(
        ticket=ticket,
        login=login,
        time=time,
        action=action,
        entry=entry,
        symbol=symbol,
        volume=Decimal(volume),
        price=Decimal("1.10000"),
        profit=Decimal(profit),
        commission=Decimal("0"),
        swap=Decimal("0"),
        position=position or ticket,
        comment=comment,
    )
