"""Payouts in a local run: the state machine in moto (really executed), the worker Lambda driven from
the payout-tasks queue, the sweep every few seconds, and (when asked) the auto-approver.

Built on `propfirm.payouts.local` (create_workflow, drain_tasks, auto_approver) and the worker's
handler. The worker's and the approver's clock is the MT5 server's (the simulator's), like the API's.
Built before the evaluator and the API: its `ports` (the workflow in moto, the event bus) are handed to
both, so the API's requests and the evaluator's withdrawal-result hook start and answer executions in
the same moto as the worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from propfirm.store.uow import UnitOfWork


class PayoutsUnavailable(Exception):
    """The payouts part is not usable in this build (the reason is in the message)."""


class LocalPayouts:
    def __init__(
        self,
        *,
        sfn: Any,
        sqs: Any,
        tasks_queue: str,
        command_queue: str,
        database_url: str,
        redis_url: str,
        redis_namespace: str,
        clock: Callable[[], datetime],
        approve_after_seconds: float,
        event_bus: str | None = None,
        events_client: Any = None,
    ) -> None:
        try:
            from propfirm.payouts import function as worker
            from propfirm.payouts import local
            from propfirm.payouts.ports import build_ports
            from propfirm.payouts.settings import PayoutWorkerSettings
        except ImportError as exc:
            raise PayoutsUnavailable(f"the payouts part cannot be imported: {exc}") from None
        from propfirm.settings import load

        self._local = local
        self._worker = worker
        self.flow = local.create_workflow(sfn, sqs, queue_url=tasks_queue)
        settings = load(
            PayoutWorkerSettings,
            database_url=database_url,
            redis_url=redis_url,
            redis_namespace=redis_namespace,
            command_queue_url=command_queue,
            payouts_state_machine_arn=self.flow.state_machine_arn,
            payouts_event_bus_name=event_bus if events_client else None,
        )
        # the parts' one set of payout adapters: the workflow in this moto, the run's bus
        self.ports = dataclasses.replace(
            build_ports(settings, events_client=events_client), workflow=self.flow.workflow
        )
        self.context = dataclasses.replace(worker.build_context(settings), ports=self.ports, clock=clock)
        worker.set_runtime(self.context)
        self.sqs = sqs
        self.database_url = database_url
        self.clock = clock
        self.approve_after_seconds = approve_after_seconds
        self.tasks_done = 0
        self.approved = 0

    def work(self) -> int:
        """Hand the waiting task messages to the worker; how many there were."""
        result = self._local.drain_tasks(self.sqs, self.flow.queue_url, self._worker.lambda_handler)
        self.tasks_done += result.received
        return result.received

    def sweep(self) -> object:
        """What the schedule does in AWS: start executions a request could not start, pass decisions on."""
        return self._worker.sweep_handler({}, self._local.LocalContext(function_name="payouts-sweep"))

    def approve(self) -> int:
        approved = self._local.auto_approver(
            UnitOfWork(self.database_url),
            self.ports,
            after_seconds=self.approve_after_seconds,
            now=self.clock(),
        )
        self.approved += len(approved)
        return len(approved)

    def close(self) -> None:
        from propfirm.local.functions import pools_of

        self._worker.set_runtime(None)
        for pool in pools_of(self.context.uow_factory):
            pool.close(timeout=5)
        if self.context.redis is not None:
            self.context.redis.close()
