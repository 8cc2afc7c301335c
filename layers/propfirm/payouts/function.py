"""What the payouts worker's Lambdas run: the workflow's tasks from the payout-tasks queue (standard SQS),
and the sweep (an EventBridge schedule) that starts executions a request could not start and passes on
decisions or withdrawal results that did not reach the workflow (docs/payouts.md).

Each record is one task message with a Step Functions task token (`propfirm.payouts.tasks`); the task
runs and the token is answered (or stored to be answered by an approval or a withdrawal result). A
record that fails (database down, ...) is reported as a batch item failure and comes back; the tasks
are idempotent. The adapters (`TaskContext`) are built by `build_context` on first use (`runtime()`) and
kept for the container's life; tests and the local stack hand in their own with `set_runtime`, as for the
API's and the evaluator's runtimes.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from propfirm.evaluation.relay import OutboxRelay
from propfirm.live.connection import redis_from_url
from propfirm.observability import function_logger
from propfirm.payouts import service
from propfirm.payouts.ports import build_ports
from propfirm.payouts.settings import PayoutWorkerSettings
from propfirm.payouts.tasks import TaskContext, TaskMessage, run_task
from propfirm.queues.sqs import SqsSender
from propfirm.settings import load
from propfirm.store.db import make_pool
from propfirm.store.uow import UnitOfWork

logger = function_logger("payouts")

_context: TaskContext | None = None


def build_context(settings: PayoutWorkerSettings) -> TaskContext:
    import boto3  # here, not at import

    pool = make_pool(settings.database_url, min_size=1, max_size=settings.db_pool_max)

    def uow() -> UnitOfWork:
        return UnitOfWork(pool)

    relay = None
    if settings.command_queue_url:
        sqs = boto3.client("sqs", region_name=settings.aws_region)
        relay = OutboxRelay(uow, SqsSender(sqs, settings.command_queue_url))
    return TaskContext(
        uow_factory=uow,
        ports=build_ports(settings),
        redis=redis_from_url(settings.redis_url),
        namespace=settings.redis_namespace,
        relay=relay,
    )


def runtime() -> TaskContext:
    global _context
    if _context is None:
        _context = build_context(load(PayoutWorkerSettings))
    return _context


def set_runtime(value: TaskContext | None) -> None:
    """Tests and the local stack hand in adapters of their own (moto, a test database and Redis)."""
    global _context
    _context = value


def _record_handler(record: SQSRecord) -> None:
    message = TaskMessage.model_validate_json(record.body)  # a malformed body fails the record (then DLQ)
    logger.append_keys(payout_id=message.payout_id, task=message.task)
    output = run_task(runtime(), message)
    logger.info("payout task done", answered=output is not None)


def run_tasks(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    processor = BatchProcessor(event_type=EventType.SQS)
    processor.raise_on_entire_batch_failure = False  # report every failure; never fail the whole invocation
    return dict(
        process_partial_response(
            event=event, record_handler=_record_handler, processor=processor, context=lambda_context
        )
    )


def sweep() -> dict[str, Any]:
    ctx = runtime()
    acted = service.start_pending(ctx.uow_factory(), ctx.clock(), ctx.ports)
    if acted:
        logger.info("payout sweep acted", payouts=acted)
    return {"acted": acted}


# the Lambdas' handlers, with their logging context (functions/payouts/handler.py exports them)
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    return run_tasks(event, lambda_context)


@logger.inject_lambda_context
def sweep_handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    return sweep()
