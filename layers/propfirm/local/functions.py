"""The Lambda-shaped functions of the local stack, driven as their AWS event sources would drive them.

- The evaluator: `propfirm.local.lambda_driver.drive_once` receives from the evaluation queue (moto) and
  hands the batch to what the Lambda runs (`propfirm.evaluation.function`) in Lambda's exact SQS event
  shape, deleting what succeeded.
- The outbox relay: every second, with the MT5 server's clock (the simulator's), so a pause's
  scheduled re-enable falls due in simulated time, as it would on a real server's time line.

The evaluator's runtime (`propfirm.evaluation.bootstrap`) is built for the run's PostgreSQL, Redis
namespace, moto queues and the simulator's clock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import redis

from propfirm.local.faults.traps import Crash, EvaluatorTrap

if TYPE_CHECKING:
    from propfirm.payouts.ports import PayoutPorts

log = logging.getLogger("propfirm.dev")

class EvaluatorFunction:
    def __init__(
        self,
        *,
        sqs: Any,
        evaluation_queue: str,
        command_queue: str,
        endpoint: str,
        database_url: str,
        redis_client: redis.Redis,
        redis_namespace: str,
        clock: Callable[[], datetime],
        event_bus: str | None = None,
        trap: EvaluatorTrap | None = None,
        payouts: PayoutPorts | None = None,
    ) -> None:
        from propfirm.evaluation.bootstrap import set_runtime
        from propfirm.evaluation.function import evaluate_batch, logger
        from propfirm.evaluation.settings import EvaluatorSettings
        from propfirm.settings import load

        self.settings = load(
            EvaluatorSettings,
            database_url=database_url,
            redis_namespace=redis_namespace,
            command_queue_url=command_queue,
            sqs_endpoint_url=endpoint,
            event_bus_name=event_bus,
            events_endpoint_url=endpoint if event_bus else None,
        )
        self.redis_client = redis_client
        self.trap = trap
        self.sqs = sqs
        self.queue = evaluation_queue
        self.clock = clock
        self.payouts = payouts  # the payout workflow a withdrawal's result answers (None: the environment's)
        self._set_runtime = set_runtime
        self.runtime = self._build()
        # what the Lambda's handler runs, with its logging context (metrics stay off locally)
        self._lambda_handler = logger.inject_lambda_context(evaluate_batch)
        self.lag = Lag()
        self.received = 0
        self.failed = 0
        self.relayed = 0
        self.drained = 0  # messages evaluated after the poller stopped (the stop's drain)
        self.restarts = 0  # containers started afresh after an injected crash

    def _build(self) -> Any:
        """A container's runtime (a cold start): fresh pools and caches, nothing carried over."""
        from propfirm.evaluation.bootstrap import build_runtime

        runtime = build_runtime(
            self.settings, sqs_client=self.sqs, redis_client=self.redis_client, clock=self.clock, payouts=self.payouts
        )
        if self.trap is not None:
            self.trap.wrap(runtime.evaluator)
        self._set_runtime(runtime)
        return runtime

    def _crashed(self, crash: BaseException) -> None:
        """The container died mid-batch: its messages stay on the queue (back after the visibility
        timeout); the next invocation gets a new container."""
        log.warning("evaluator crashed (%s); a new container takes the next batch", crash)
        self.restarts += 1
        self._close_pools()
        self.runtime = self._build()

    def drive(self) -> int:
        """One receive-and-invoke round (long poll up to 1 s); the number of messages handled."""
        from propfirm.local.lambda_driver import drive_once

        try:
            result = drive_once(self.sqs, self.queue, self._handler, wait_seconds=1)
        except Crash as crash:
            self._crashed(crash)
            return 1
        self.received += result.received
        self.failed += len(result.failed)
        return result.received

    def _handler(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """Lambda's handler, and the evaluation lag: how long the batch's oldest message waited, from
        the poller's send to the end of its evaluation (SQS's SentTimestamp, on the wall clock)."""
        response = self._lambda_handler(event, context)
        if self.trap is not None:
            self.trap.reached("before-delete")
        sent = [int(r["attributes"]["SentTimestamp"]) for r in event.get("Records", []) if "attributes" in r]
        if sent:
            self.lag.add(max(0.0, time.time() - min(sent) / 1000))
        return response

    def relay(self) -> int:
        try:
            sent = self.runtime.relay.run()
        except Crash as crash:  # the scheduled relay shares the container with the evaluations
            self._crashed(crash)
            return 0
        self.relayed += sent
        return sent

    def drain(self, seconds: float = 20.0) -> int:
        """What the poller sent before it stopped, evaluated (for at most `seconds`): a run that ends under
        load still decides every snapshot it read. Returns how many messages it took."""
        from propfirm.local.lambda_driver import drive_once

        deadline = time.monotonic() + seconds
        drained = 0
        while time.monotonic() < deadline:
            try:
                result = drive_once(self.sqs, self.queue, self._handler, wait_seconds=0)
            except Crash as crash:
                self._crashed(crash)
                continue
            drained += result.received
            self.received += result.received
            self.failed += len(result.failed)
            if result.received == 0:
                break
        self.drained = drained
        return drained

    def close(self) -> None:
        self._set_runtime(None)
        self._close_pools()

    def _close_pools(self) -> None:
        for pool in pools_of(self.runtime.relay.uow_factory):
            pool.close(timeout=5)


class Lag:
    """Evaluation lag in seconds over a run: the last batch's, the mean and the maximum."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.total = 0.0
        self.count = 0
        self.max = 0.0

    def add(self, seconds: float) -> None:
        self.last = seconds
        self.total += seconds
        self.count += 1
        self.max = max(self.max, seconds)

    def milliseconds(self) -> dict[str, float]:
        if self.last is None:
            return {}
        return {
            "last": round(self.last * 1000, 1),
            "mean": round(self.total / self.count * 1000, 1),
            "max": round(self.max * 1000, 1),
        }


def pools_of(factory: Callable[[], object]) -> list[Any]:
    """The connection pools a unit-of-work factory closes over. The evaluator's runtime keeps its pool
    only in that closure (a Lambda container never closes it); a local run closes it at the end, so
    no pool thread outlives the run."""
    from psycopg_pool import ConnectionPool

    cells = getattr(factory, "__closure__", None) or ()
    return [c.cell_contents for c in cells if isinstance(c.cell_contents, ConnectionPool)]
