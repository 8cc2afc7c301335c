"""The evaluator Lambda: SQS FIFO batch in, partial batch failures out. Thin: parse, call the service.

Each record is one evaluation-queue message (`evaluation`, `kill` or `command_result`). A message that
does not parse is reported as a failure with a clear log line, so SQS redelivers it and finally moves it
to the dead-letter queue: nothing is lost. With `skip_group_on_error`, the records after a failure in
the same message group (shard) fail too, to keep the group's order; other groups go on.
Adapters (PostgreSQL pool, Redis, SQS, EventBridge) are built on first use and kept for the container's
life. Cold start: this module imports only what the handler runs (`tests/unit/evaluation` checks that the
simulator, the API, moto and other heavy modules stay out); boto3 is imported when the runtime is built.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from propfirm.evaluation.events import EventBridgeSender
from propfirm.evaluation.live import LiveState
from propfirm.evaluation.policy import SavePolicy
from propfirm.evaluation.relay import OutboxRelay
from propfirm.evaluation.service import Evaluator
from propfirm.live.connection import redis_from_url
from propfirm.queues.messages import EvaluationMessage, parse_evaluation_queue_message
from propfirm.queues.sqs import SqsSender
from propfirm.settings import load
from propfirm.store.db import StatementCounter, make_pool
from propfirm.store.maintenance import maintain_equity_points
from propfirm.store.uow import UnitOfWork
from pydantic import ValidationError

from functions.evaluator.settings import EvaluatorSettings

logger = Logger(service="evaluator")
metrics = Metrics(namespace="PropFirm", service="evaluator")  # the poller's namespace


class MalformedMessage(Exception):
    """The record's body is not an evaluation-queue message."""


# The evaluator allocates many short-lived objects per account (decoded snapshots, states, JSON): with
# CPython's default thresholds a collection runs every 700 allocations and the full ones walk every object
# the imports made. Those are frozen out of the collector at the end of this module, and the youngest
# generation is collected every 20,000 allocations (measured: about 15% less CPU per account).
gc.set_threshold(20_000, 10, 10)


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    evaluator: Evaluator
    relay: OutboxRelay
    statements: StatementCounter
    uow: Any = None  # the unit-of-work factory (maintenance uses it)
    equity_retention_days: int = 0
    clock: Callable[[], datetime] = wall_clock  # the trade server's time line (a simulated one locally)


_runtime: Runtime | None = None


def build_runtime(
    settings: EvaluatorSettings,
    sqs_client: Any = None,
    redis_client: redis.Redis | None = None,
    events_client: Any = None,
    relay_per_batch: bool = False,
    clock: Callable[[], datetime] = wall_clock,
) -> Runtime:
    """The adapters and the evaluator. `relay_per_batch`: the evaluator leaves the outbox to the relay run
    that follows each batch (Lambda's own runtime does: a batch's commands and events go out in a few calls
    after its records); otherwise each message's commands are sent as soon as it is recorded. `clock`: the
    time line the trade server lives on (the wall clock in AWS; the simulator's in a local run)."""
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
    )
    return Runtime(evaluator, relay, statements, uow, settings.equity_points_retention_days, clock)


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(load(EvaluatorSettings), relay_per_batch=True)
    return _runtime


def set_runtime(value: Runtime | None) -> None:
    """Tests and the local stack hand in adapters of their own (moto's SQS, a test database)."""
    global _runtime
    _runtime = value


_parsed: dict[str, Any] = {}  # message id -> message, parsed once per batch by lambda_handler


def record_handler(record: SQSRecord) -> None:
    try:
        message = _parsed.get(record.message_id) or parse_evaluation_queue_message(record.body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        logger.error(
            "malformed evaluation-queue message left for the dead-letter queue",
            message_id=record.message_id,
            group=record.attributes.message_group_id,
            receive_count=record.attributes.approximate_receive_count,
            problems=problems,
            body=record.body[:500],
        )
        metrics.add_metric(name="MalformedMessages", unit=MetricUnit.Count, value=1)
        raise MalformedMessage(problems) from exc
    try:
        report = runtime().evaluator.handle(message)
    except Exception:
        # the record fails and comes back (then to the dead-letter queue); say which and why
        logger.exception(
            "evaluation-queue message failed",
            message_id=record.message_id,
            kind=message.kind,
            group=record.attributes.message_group_id,
        )
        raise
    metrics.add_metric(name="AccountsEvaluated", unit=MetricUnit.Count, value=report.accounts)
    if report.transitions:
        metrics.add_metric(name="Transitions", unit=MetricUnit.Count, value=report.transitions)
        logger.info(
            "transitions recorded",
            kind=message.kind,
            transitions=report.transitions,
            commands_sent=report.commands_sent,
        )


def new_processor() -> SqsFifoPartialProcessor:
    processor = SqsFifoPartialProcessor(skip_group_on_error=True)
    processor.raise_on_entire_batch_failure = False  # report every failure; never fail the whole invocation
    return processor


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    evaluator = runtime().evaluator
    _parsed.clear()
    for raw in event.get("Records", []):
        try:
            _parsed[raw["messageId"]] = parse_evaluation_queue_message(raw["body"])
        except (ValidationError, KeyError, TypeError):
            pass  # record_handler reports it, in its turn
    # the versions of every account the batch names, in one statement (Redis is read per message)
    try:
        evaluator.begin_batch([m for m in _parsed.values() if isinstance(m, EvaluationMessage)])
    except Exception:
        logger.exception("batch prefetch failed; each message reads its own")
        evaluator.end_batch()
    try:
        result = process_partial_response(
            event=event, record_handler=record_handler, processor=new_processor(), context=context
        )
    finally:
        evaluator.end_batch()
        _parsed.clear()
    relay = runtime().relay
    for what, step in (("commands", relay.run), ("events", relay.run_events)):
        try:
            step()  # whatever a crash left unsent, and scheduled commands now due
        except Exception:  # they stay in the outbox for the next run
            logger.exception(f"outbox relay failed; {what} stay pending")
    return dict(result)


MAINTENANCE_EVERY_SECONDS = 3600
_maintained_at: float | None = None


@logger.inject_lambda_context
def relay_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Scheduled every minute: sends the commands that are due (a pause's re-enable at the next reset),
    any command or event left unsent by a crash, even while the evaluation queue is quiet; and, once an
    hour, the equity points' partitions (next months created, months past the retention dropped)."""
    global _maintained_at
    rt = runtime()
    sent = rt.relay.run()
    events = rt.relay.run_events()
    dropped = 0
    now = time.monotonic()
    if rt.uow is not None and (_maintained_at is None or now - _maintained_at >= MAINTENANCE_EVERY_SECONDS):
        with rt.uow() as uow:
            dropped = maintain_equity_points(uow, rt.clock(), rt.equity_retention_days).dropped
            uow.commit()
        _maintained_at = now
    return {"sent": int(sent or 0), "events": events, "partitions_dropped": dropped}


gc.freeze()  # what the imports made is never garbage: keep it out of every collection
