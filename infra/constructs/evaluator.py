"""The evaluator: a Lambda on the evaluation FIFO queue, and the outbox relay on a one-minute schedule.

- Batches of 10 with partial batch failures (`ReportBatchItemFailures`): the handler reports the failed
  records, SQS redelivers only those (and then moves them to the DLQ).
- Concurrency: a FIFO queue is consumed by at most one invocation per message group, and the groups are
  the shards, so both the event source's maximum concurrency and the reserved concurrency are the shard
  count: the evaluator can neither starve other functions nor be throttled below what the queue allows.
- The relay sends the outbox's commands that are due (a pause's scheduled re-enable) even when the
  evaluation queue is quiet; the evaluator also relays after each batch.
- Both reach PostgreSQL through the RDS proxy with IAM auth (DATABASE_URL carries no password) and Redis
  over TLS; they send commands and put domain events on the bus.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constants import (
    EVALUATOR_BATCH_SIZE,
    EVALUATOR_HANDLER,
    EVALUATOR_MEMORY_MB,
    EVALUATOR_TIMEOUT_SECONDS,
    RELAY_HANDLER,
    RELAY_TIMEOUT_SECONDS,
)
from infra.constructs.data import Data
from infra.constructs.events import DomainEvents
from infra.constructs.functions import python_function
from infra.constructs.network import Network
from infra.constructs.queues import Queues
from infra.constructs.shared_layer import SharedCode


class Evaluator(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        shared: SharedCode,
        network: Network,
        data: Data,
        queues: Queues,
        domain_events: DomainEvents,
        shards: int,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self._shared, self._network, self._data = shared, network, data
        self._queues, self._events, self._retention = queues, domain_events, log_retention
        self.function = self._build_evaluator(shards)
        self.relay = self._build_relay()
        self.relay_schedule = self._build_schedule()

    def _environment(self) -> dict[str, str]:
        return {
            **self._data.database_environment,
            **self._data.redis_environment,
            "COMMAND_QUEUE_URL": self._queues.commands.queue_url,
            "EVENT_BUS_NAME": self._events.bus.event_bus_name,
        }

    def _wire(self, fn: lambda_.Function, name: str) -> None:
        self._data.allow_database(self._network.consumer_groups[name], fn, name)
        self._data.allow_cache(self._network.consumer_groups[name], fn, name)
        self._queues.commands.grant_send_messages(fn)
        self._events.grant_put(fn)

    def _build_evaluator(self, shards: int) -> lambda_.Function:
        fn = python_function(
            self,
            "Function",
            shared=self._shared,
            network=self._network,
            security_group=self._network.consumer_groups["evaluator"],
            handler=EVALUATOR_HANDLER,
            service="evaluator",
            environment=self._environment(),
            timeout=Duration.seconds(EVALUATOR_TIMEOUT_SECONDS),
            memory_mb=EVALUATOR_MEMORY_MB,
            reserved_concurrency=shards,
            log_retention=self._retention,
            description="rule engine on the evaluation queue",
        )
        fn.add_event_source(
            sources.SqsEventSource(
                self._queues.evaluation,
                batch_size=EVALUATOR_BATCH_SIZE,
                report_batch_item_failures=True,
                max_concurrency=shards,
            )
        )
        self._wire(fn, "evaluator")
        return fn

    def _build_relay(self) -> lambda_.Function:
        fn = python_function(
            self,
            "Relay",
            shared=self._shared,
            network=self._network,
            security_group=self._network.consumer_groups["relay"],
            handler=RELAY_HANDLER,
            service="relay",
            environment=self._environment(),
            timeout=Duration.seconds(RELAY_TIMEOUT_SECONDS),
            reserved_concurrency=1,  # one relay at a time; the next minute's run picks up the rest
            log_retention=self._retention,
            description="outbox relay: sends commands that are due (scheduled re-enables)",
        )
        self._wire(fn, "relay")
        return fn

    def _build_schedule(self) -> events.Rule:
        rule = events.Rule(
            self,
            "RelayEveryMinute",
            schedule=events.Schedule.rate(Duration.minutes(1)),
            description="run the outbox relay even when the evaluation queue is quiet",
        )
        rule.add_target(targets.LambdaFunction(self.relay, retry_attempts=0))  # the next minute retries
        return rule
