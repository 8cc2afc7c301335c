"""What the evaluator's Lambdas run: SQS FIFO batches in, partial batch failures out; the scheduled relay.

Each record is one evaluation-queue message (`evaluation`, `kill` or `command_result`). A message that
does not parse is reported as a failure with a clear log line, so SQS redelivers it and finally moves it
to the dead-letter queue: nothing is lost. With `skip_group_on_error`, the records after a failure in
the same message group (shard) fail too, to keep the group's order; other groups go on.
Cold start: this module imports only what the handler runs (`tests/unit/evaluation` checks that the
simulator, the API, moto and other heavy modules stay out).
"""

from __future__ import annotations

import gc
import time
from typing import Any

import orjson
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from propfirm.evaluation.bootstrap import Runtime, runtime
from propfirm.observability import function_logger
from propfirm.queues.messages import EvaluationMessage, parse_evaluation_queue_message
from propfirm.store.maintenance import forget_sightings, maintain_equity_points

logger = function_logger("evaluator")
metrics = Metrics(namespace="PropFirm", service="evaluator")  # the poller's namespace
MAINTENANCE_EVERY_SECONDS = 3600

# The evaluator allocates many short-lived objects per account (decoded snapshots, states, JSON): with
# CPython's default thresholds a collection runs every 700 allocations and the full ones walk every object
# the imports made. Those are frozen out of the collector once the handler module is imported
# (`gc.freeze()` there), and the youngest generation is collected every 20,000 allocations (measured:
# about 15% less CPU per account).
gc.set_threshold(20_000, 10, 10)


class MalformedMessage(Exception):
    """The record's body is not an evaluation-queue message."""


def _record_handler(record: SQSRecord) -> None:
    rt = runtime()
    try:
        message = rt.parsed.get(record.message_id) or parse_evaluation_queue_message(record.body)
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
        report = rt.evaluator.handle(message)
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


def _processor() -> SqsFifoPartialProcessor:
    processor = SqsFifoPartialProcessor(skip_group_on_error=True)
    processor.raise_on_entire_batch_failure = False  # report every failure; never fail the whole invocation
    return processor


def evaluate_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One SQS batch: its messages parsed once, their accounts' versions read in one statement, each
    message judged (failures reported per record), then the outbox relayed once for the batch."""
    rt = runtime()
    evaluator = rt.evaluator
    rt.parsed.clear()
    for raw in event.get("Records", []):
        try:
            rt.parsed[raw["messageId"]] = parse_evaluation_queue_message(raw["body"])
        except (ValidationError, KeyError, TypeError):
            pass  # the record handler reports it, in its turn
    try:
        evaluator.begin_batch([m for m in rt.parsed.values() if isinstance(m, EvaluationMessage)])
    except Exception:
        logger.exception("batch prefetch failed; each message reads its own")
        evaluator.end_batch()
    try:
        result = process_partial_response(
            event=event, record_handler=_record_handler, processor=_processor(), context=context
        )
    finally:
        evaluator.end_batch()
        rt.parsed.clear()
    _relay(rt)
    _record_lag(rt, event)
    return dict(result)


def _record_lag(rt: Runtime, event: dict[str, Any]) -> None:
    """The evaluation lag: how long the batch's oldest message waited, from the poller's send to the end
    of its evaluation (SQS's SentTimestamp, on the wall clock). A metric, and a Redis key the admin's
    system page reads."""
    sent = [
        int(r["attributes"]["SentTimestamp"])
        for r in event.get("Records", [])
        if isinstance(r.get("attributes"), dict) and "SentTimestamp" in r["attributes"]
    ]
    if not sent:
        return
    now = time.time()
    lag = max(0.0, now - min(sent) / 1000)
    metrics.add_metric(name="EvaluationLag", unit=MetricUnit.Milliseconds, value=round(lag * 1000))
    try:
        rt.evaluator.live.client.set(
            rt.evaluator.live.keys.evaluation_lag(),
            orjson.dumps({"epoch": now, "lag_seconds": round(lag, 3), "messages": len(sent)}),
            ex=3600,
        )
    except Exception:  # noqa: BLE001 - the lag is for people; never fail a batch for it
        logger.warning("could not record the evaluation lag")


def _relay(rt: Runtime) -> None:
    for what, step in (("commands", rt.relay.run), ("events", rt.relay.run_events)):
        try:
            step()  # whatever a crash left unsent, and scheduled commands now due
        except Exception:  # they stay in the outbox for the next run
            logger.exception(f"outbox relay failed; {what} stay pending")


def relay_once() -> dict[str, int]:
    """Scheduled every minute: sends the commands that are due (a pause's re-enable at the next reset),
    any command or event left unsent by a crash, even while the evaluation queue is quiet; and, once an
    hour, the equity points' partitions (next months created, months past the retention dropped) and the
    traders' sign-in addresses past theirs."""
    rt = runtime()
    sent = rt.relay.run()
    events = rt.relay.run_events()
    dropped = forgotten = 0
    now = time.monotonic()
    if rt.maintained_at is None or now - rt.maintained_at >= MAINTENANCE_EVERY_SECONDS:
        with rt.uow() as uow:
            dropped = maintain_equity_points(uow, rt.clock(), rt.equity_retention_days).dropped
            forgotten = forget_sightings(uow, rt.clock(), rt.sightings_retention_days)
            uow.commit()
        rt.maintained_at = now
    return {"sent": int(sent or 0), "events": events, "partitions_dropped": dropped, "sightings_forgotten": forgotten}


# the Lambdas' handlers, with their logging context and metrics (functions/evaluator/handler.py exports them)
@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return evaluate_batch(event, context)


@logger.inject_lambda_context
def relay_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return relay_once()
