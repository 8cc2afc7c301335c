"""What the webhooks Lambdas run.

- `lambda_handler`: the queue an EventBridge rule fills with every event of the firm's bus (infra's
  webhooks construct). Each record's body is one event; the batch's messages are recorded per subscribed
  endpoint (one transaction: a database that is down fails the batch, which comes back), then what is due
  is POSTed. A malformed event is logged with its body and dropped: sending it again cannot mend it.
- `retry_handler`: a schedule (every minute) POSTs the deliveries whose next attempt has come.

The dispatcher is built on first use and kept for the container's life; tests and the local stack hand in
their own with `set_dispatcher`.
"""

from __future__ import annotations

from typing import Any

from propfirm.observability import function_logger
from propfirm.settings import load
from propfirm.store.db import make_pool
from propfirm.store.uow import UnitOfWork
from propfirm.webhooks.delivery import Dispatcher, HttpTransport, Tally
from propfirm.webhooks.messages import Message, from_sqs_records
from propfirm.webhooks.settings import WebhookSettings

logger = function_logger("webhooks")

_dispatcher: Dispatcher | None = None


def build_dispatcher(settings: WebhookSettings) -> Dispatcher:
    pool = make_pool(settings.database_url, min_size=1, max_size=settings.db_pool_max)
    return Dispatcher(
        lambda: UnitOfWork(pool), HttpTransport(settings.webhook_timeout_seconds), batch=settings.webhook_batch
    )


def dispatcher() -> Dispatcher:
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = build_dispatcher(load(WebhookSettings))
    return _dispatcher


def set_dispatcher(value: Dispatcher | None) -> None:
    global _dispatcher
    _dispatcher = value


def _malformed(reason: str, body: str, message_id: str | None) -> None:
    logger.error("malformed event dropped", extra={"reason": reason, "body": body, "message_id": message_id})


def messages_of(event: dict[str, Any]) -> list[Message]:
    """The messages in an SQS batch of bus events; malformed ones logged and left out."""
    return from_sqs_records(event, _malformed)


def seconds_left(lambda_context: Any, margin: float = 10.0) -> float | None:
    """The invocation's remaining time less a margin to record the last outcome (None: no Lambda)."""
    remaining = getattr(lambda_context, "get_remaining_time_in_millis", None)
    return None if remaining is None else max(0.0, remaining() / 1000 - margin)


def handle_events(event: dict[str, Any], lambda_context: Any = None) -> dict[str, Any]:
    d = dispatcher()
    accepted = d.accept(messages_of(event))
    # the rest waits for the schedule: a slow receiver never holds the queue
    sent = d.deliver_due(rounds=2, seconds=seconds_left(lambda_context))
    return _report(accepted, sent)


def retry_due(lambda_context: Any = None) -> dict[str, Any]:
    return _report(Tally(), dispatcher().deliver_due(seconds=seconds_left(lambda_context)))


def _report(accepted: Tally, sent: Tally) -> dict[str, Any]:
    report = {
        "recorded": accepted.recorded,
        "repeats": accepted.repeats,
        "delivered": sent.delivered,
        "retrying": sent.retrying,
        "dead_lettered": sent.dead,
    }
    if sent.errors:
        logger.warning("webhook attempts failed", extra={"errors": sent.errors[:20], **report})
    elif accepted.recorded or sent.delivered:
        logger.info("webhooks", extra=report)
    return report


# the Lambdas' handlers, with their logging context (functions/webhooks/handler.py exports them)
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    return handle_events(event, lambda_context)


@logger.inject_lambda_context
def retry_handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    return retry_due(lambda_context)
