"""Outbound webhooks in the local stack, wired as in AWS: the evaluator's relay and the payouts put their
events on an EventBridge bus (moto), a rule sends every `propfirm` event to a queue, and the webhooks
function (`propfirm.webhooks.function`) takes them from it in Lambda's SQS event shape; a second loop is
its retry schedule.

`propfirm dev --webhook URL` subscribes URL to every event type of the run's MT5 server, signed with
`PROPFIRM_OUTBOUND_WEBHOOK_SECRET` (or a secret made for the run when it is unset); the endpoint is
disabled when the run stops. Endpoints an admin added through the API receive the run's events too.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from propfirm.local.lambda_driver import drive_once
from propfirm.store.uow import UnitOfWork
from propfirm.store.webhooks import WebhookStore
from propfirm.webhooks import signing

SECRET_VARIABLE = "PROPFIRM_OUTBOUND_WEBHOOK_SECRET"
QUEUE = "webhook-events"
RULE = "propfirm-to-webhooks"


class WebhookSetupError(ValueError):
    pass


def run_secret() -> tuple[str, bool]:
    """(the secret, whether it came from the environment); a malformed one is refused with the reason."""
    given = os.environ.get(SECRET_VARIABLE)
    if not given:
        return signing.new_secret(), False
    try:
        signing.secret_bytes(given)
    except signing.SecretError as exc:
        raise WebhookSetupError(f"{SECRET_VARIABLE}: {exc}") from None
    return given, True


class LocalWebhooks:
    def __init__(self, *, sqs: Any, queue_url: str, database_url: str, url: str, server: str, run_id: str) -> None:
        from propfirm.store.db import make_pool
        from propfirm.webhooks import function
        from propfirm.webhooks.delivery import Dispatcher, HttpTransport

        self.secret, self.secret_from_environment = run_secret()
        self._function = function
        self.pool = make_pool(database_url, min_size=1, max_size=2)
        self.transport = HttpTransport()
        self.dispatcher = Dispatcher(lambda: UnitOfWork(self.pool), self.transport)
        function.set_dispatcher(self.dispatcher)
        self.sqs = sqs
        self.queue_url = queue_url
        self.url = url
        self.database_url = database_url
        now = datetime.now(UTC)
        with UnitOfWork(self.pool) as uow:
            endpoint = WebhookStore(uow).add_endpoint(
                url, self.secret, now, description=f"propfirm dev run {run_id}", server=server
            )
            uow.commit()
        self.endpoint_id = endpoint.id
        self.received = 0

    def drive(self) -> int:
        """One receive-and-invoke round of the rule's queue (long poll up to 1 s)."""
        result = drive_once(self.sqs, self.queue_url, self._lambda_handler, wait_seconds=1)
        self.received += result.received
        return result.received

    def retry(self) -> object:
        return self._function.retry_due()

    def _lambda_handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        return self._function.lambda_handler(event, context)

    def counts(self) -> dict[str, int]:
        """The run endpoint's deliveries: delivered, failed (the dead-letter list), pending."""
        with UnitOfWork(self.database_url) as uow:  # also once the run has stopped
            counts = WebhookStore(uow).counts([self.endpoint_id])
        return {"delivered": counts["delivered"], "failed": counts["failed"], "pending": counts["pending"]}

    def close(self) -> None:
        """A last round (what the queue holds, what is due), then the run's endpoint is disabled."""
        try:
            for _ in range(10):
                if drive_once(self.sqs, self.queue_url, self._lambda_handler, wait_seconds=0).received == 0:
                    break
            self._function.retry_due()
            with UnitOfWork(self.pool) as uow:
                WebhookStore(uow).update_endpoint(self.endpoint_id, datetime.now(UTC), enabled=False)
                uow.commit()
        finally:
            self._function.set_dispatcher(None)
            self.transport.close()
            self.pool.close()
