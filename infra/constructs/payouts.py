"""The payouts workflow: a Step Functions state machine whose every task is an SQS message with a task
token (`sqs:sendMessage.waitForTaskToken`) to the payout-tasks queue; a worker Lambda on that queue does
the step and answers the token (`states:SendTaskSuccess/Failure`). The approval step's token is answered
by the API when a person approves or rejects.

The definition is the ASL file `layers/propfirm/payouts/workflow.asl.json`, with `${Name}` placeholders
filled by `definition_substitutions` (see SUBSTITUTIONS); a placeholder this construct does not know
fails synth with its name instead of failing the deployment.
"""

from __future__ import annotations

import re
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.constants import PAYOUTS_HANDLER, PAYOUTS_SWEEP_HANDLER, PAYOUTS_TIMEOUT_SECONDS
from infra.constructs.data import Data
from infra.constructs.events import DomainEvents
from infra.constructs.functions import python_function
from infra.constructs.network import Network
from infra.constructs.queues import Queues
from infra.constructs.shared_layer import SharedCode

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class UnknownPlaceholder(ValueError):
    """The ASL file names a `${Name}` this construct does not substitute."""


def placeholders(asl_text: str) -> set[str]:
    return set(PLACEHOLDER.findall(asl_text))


class Payouts(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        asl_path: Path,
        shared: SharedCode,
        network: Network,
        data: Data,
        queues: Queues,
        domain_events: DomainEvents,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self._network, self._data, self._queues, self._events = network, data, queues, domain_events
        self.tasks_dlq, self.tasks = self._build_queues()
        self.state_machine = self._build_state_machine(asl_path, log_retention)
        self.worker = self._build_worker(shared, log_retention)
        self.sweeper, self.sweep_schedule = self._build_sweep(shared, log_retention)

    def substitutions(self) -> dict[str, str]:
        """Every placeholder the ASL may use (docs/payouts.md: today only PayoutTasksQueueUrl)."""
        return {
            "PayoutTasksQueueUrl": self.tasks.queue_url,
            "EventBusName": self._events.bus.event_bus_name,
        }

    def grant_task_response(self, grantee: iam.IGrantable) -> None:
        self.state_machine.grant_task_response(grantee)

    def _build_queues(self) -> tuple[sqs.Queue, sqs.Queue]:
        dlq = sqs.Queue(
            self,
            "TasksDlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        tasks = sqs.Queue(
            self,
            "Tasks",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(PAYOUTS_TIMEOUT_SECONDS * 6),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=5),
        )
        return dlq, tasks

    def _build_state_machine(self, asl_path: Path, log_retention: logs.RetentionDays) -> sfn.StateMachine:
        if not asl_path.is_file():
            raise FileNotFoundError(f"payouts workflow definition missing: {asl_path}")
        substitutions = self.substitutions()
        used = placeholders(asl_path.read_text(encoding="utf-8"))
        unknown = used - substitutions.keys()
        if unknown:
            raise UnknownPlaceholder(
                f"{asl_path.name} uses placeholders this stack does not fill: {sorted(unknown)}; "
                f"known: {sorted(substitutions)}"
            )
        log_group = logs.LogGroup(
            self, "WorkflowLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        machine = sfn.StateMachine(
            self,
            "Workflow",
            definition_body=sfn.DefinitionBody.from_file(str(asl_path)),
            definition_substitutions={name: value for name, value in substitutions.items() if name in used},
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        # The definition is a file, so CDK cannot infer the tasks' permissions: grant exactly what it uses.
        self.tasks.grant_send_messages(machine)
        if "EventBusName" in used:
            self._events.grant_put(machine)
        return machine

    def _environment(self) -> dict[str, str]:
        return {
            **self._data.database_environment,
            **self._data.redis_environment,
            "COMMAND_QUEUE_URL": self._queues.commands.queue_url,
            "EVENT_BUS_NAME": self._events.bus.event_bus_name,
            "PAYOUTS_EVENT_BUS_NAME": self._events.bus.event_bus_name,
            "PAYOUTS_STATE_MACHINE_ARN": self.state_machine.state_machine_arn,
        }

    def _build_worker(self, shared: SharedCode, log_retention: logs.RetentionDays) -> lambda_.Function:
        fn = python_function(
            self,
            "Worker",
            shared=shared,
            network=self._network,
            security_group=self._network.consumer_groups["payouts"],
            handler=PAYOUTS_HANDLER,
            service="payouts",
            environment=self._environment(),
            timeout=Duration.seconds(PAYOUTS_TIMEOUT_SECONDS),
            log_retention=log_retention,
            description="payout workflow tasks (answers the task tokens)",
        )
        fn.add_event_source(
            sources.SqsEventSource(self.tasks, batch_size=10, report_batch_item_failures=True)
        )
        self._data.allow_database(self._network.consumer_groups["payouts"], fn, "payouts")
        self._data.allow_cache(self._network.consumer_groups["payouts"], fn, "payouts")
        self._queues.commands.grant_send_messages(fn)
        self._events.grant_put(fn)
        self.grant_task_response(fn)
        return fn

    def _build_sweep(
        self, shared: SharedCode, log_retention: logs.RetentionDays
    ) -> tuple[lambda_.Function, events.Rule]:
        """Every minute: start the executions a request could not start, and pass on approvals and
        withdrawal results that did not reach the workflow (a Step Functions outage loses nothing)."""
        fn = python_function(
            self,
            "Sweep",
            shared=shared,
            network=self._network,
            security_group=self._network.consumer_groups["payouts"],
            handler=PAYOUTS_SWEEP_HANDLER,
            service="payouts-sweep",
            environment=self._environment(),
            timeout=Duration.seconds(PAYOUTS_TIMEOUT_SECONDS),
            reserved_concurrency=1,
            log_retention=log_retention,
            description="payouts sweep: starts pending executions, answers tokens left unanswered",
        )
        self._data.allow_database(self._network.consumer_groups["payouts"], fn, "payouts")
        self._data.allow_cache(self._network.consumer_groups["payouts"], fn, "payouts")
        self._events.grant_put(fn)
        self.state_machine.grant_start_execution(fn)
        self.grant_task_response(fn)
        rule = events.Rule(
            self,
            "SweepEveryMinute",
            schedule=events.Schedule.rate(Duration.minutes(1)),
            description="run the payouts sweep",
        )
        rule.add_target(targets.LambdaFunction(fn, retry_attempts=0))  # the next minute retries
        return fn, rule
