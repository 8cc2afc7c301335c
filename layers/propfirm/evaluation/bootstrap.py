"""The evaluator's composition: its adapters built from its settings, once per process (a Lambda container,
a local run), and handed in explicitly to what uses them (cosmicpython's bootstrap).

`build_runtime(settings, ...)` takes any adapter a test or the local stack brings (moto's SQS, a test's
Redis, the simulator's clock); `runtime()` is the Lambda's own, built from the environment on first use.
Cold start: boto3 is imported only when a client must be made here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from propfirm.evaluation.events import EventBridgeSender
from propfirm.evaluation.live import LiveState
from propfirm.evaluation.policy import SavePolicy
from propfirm.evaluation.relay import OutboxRelay
from propfirm.evaluation.service import Evaluator
from propfirm.evaluation.settings import EvaluatorSettings
from propfirm.live.connection import redis_from_url
from propfirm.payouts.ports import PayoutPorts, build_workflow
from propfirm.payouts.settings import PayoutSettings
from propfirm.queues.sqs import SqsSender
from propfirm.settings import load
from propfirm.store.db import StatementCounter, make_pool
from propfirm.store.uow import UnitOfWork


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    evaluator: Evaluator
    relay: OutboxRelay
    statements: StatementCounter
    uow: Callable[[], UnitOfWork]  # the unit-of-work factory (maintenance uses it)
    equity_retention_days: int = 0
    clock: Callable[[], datetime] = wall_clock  # the trade server's time line (a simulated one locally)
    sightings_retention_days: int = 0  # where traders signed in from, kept this long (0: for ever)
    # the container's own state between invocations: when the equity partitions were last kept (monotonic
    # seconds), and a batch's messages parsed once (message id -> message) while the batch runs
    maintained_at: float | None = None
    parsed: dict[str, Any] = field(default_factory=dict)


def build_runtime(
    settings: EvaluatorSettings,
    sqs_client: Any = None,
    redis_client: redis.Redis | None = None,
    events_client: Any = None,
    relay_per_batch: bool = False,
    clock: Callable[[], datetime] = wall_clock,
    payouts: PayoutPorts | None = None,
) -> Runtime:
    """The adapters and the evaluator. `relay_per_batch`: the evaluator leaves the outbox to the relay run
    that follows each batch (Lambda's own runtime does: a batch's commands and events go out in a few calls
    after its records); otherwise each message's commands are sent as soon as it is recorded. `clock`: the
    time line the trade server lives on (the wall clock in AWS; the simulator's in a local run).
    `payouts`: the payout workflow a withdrawal's result answers (None: from `PayoutSettings`, the
    environment; the evaluator publishes no payout event, so it makes no bus client)."""
    pool = make_pool(settings.database_url, min_size=1, max_size=settings.db_pool_max)
    statements = StatementCounter()

    def uow() -> UnitOfWork:
        return UnitOfWork(pool, statements)

    if sqs_client is None or (events_client is None and settings.event_bus_name):
        import boto3  # here, not at import: nothing else in a cold start needs it

        sqs_client = sqs_client or boto3.client(
            "sqs", region_name=settings.aws_region, endpoint_url=settings.sqs_endpoint_url
        )
        if events_client is None and settings.event_bus_name:
            events_client = boto3.client(
                "events", region_name=settings.aws_region, endpoint_url=settings.events_endpoint_url
            )
    events = (
        EventBridgeSender(events_client, settings.event_bus_name)
        if events_client is not None and settings.event_bus_name
        else None
    )
    relay = OutboxRelay(uow, SqsSender(sqs_client, settings.command_queue_url), clock=clock, events=events)
    live = LiveState(redis_client or redis_from_url(settings.redis_url), settings.redis_namespace)
    evaluator = Evaluator(
        uow,
        live,
        relay,
        SavePolicy(save_every_snapshots=settings.evaluator_save_every_snapshots),
        clock=clock,
        relay_each_message=not relay_per_batch,
        warning_share=settings.evaluator_floor_warning_share,
        payout_workflow=payouts.workflow if payouts is not None else build_workflow(load(PayoutSettings)),
    )
    return Runtime(evaluator, relay, statements, uow, settings.equity_points_retention_days, clock,
                   sightings_retention_days=settings.sightings_retention_days)


_runtime: Runtime | None = None


def runtime() -> Runtime:
    """The Lambda's runtime: from the environment, built on first use and kept for the container's life."""
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(load(EvaluatorSettings), relay_per_batch=True)
    return _runtime


def set_runtime(value: Runtime | None) -> None:
    """Tests and the local stack hand in adapters of their own (moto's SQS, a test database)."""
    global _runtime
    _runtime = value
