"""The payouts service's adapters and settings, built in one place and handed in explicitly.

Every caller of the service (the API's runtime, the evaluator's runtime, the worker's context, the local
stack, the tests) holds one `PayoutPorts` and passes it to the calls that reach outside PostgreSQL:

- `workflow`: starts the state machine and answers task tokens (None: requests stay `requested` until
  `start_pending` starts them, tokens are left to the sweep);
- `events`: publishes `PayoutRequested|Approved|Rejected|Paid|...` to EventBridge (None: not published);
- `timeouts`: the workflow's waits, passed in each execution's input (the ASL reads them by path);
- `second_approval_above`: above it a payout needs two approvers, unless its program sets its own.

`build_ports(settings)` makes them from `PayoutSettings`; the Step Functions client is made on first use,
so a cold start that never touches a payout does not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from propfirm.payouts.records import EventPublisher, PayoutWorkflow
from propfirm.payouts.settings import PayoutSettings


@dataclass(frozen=True, slots=True)
class WorkflowTimeouts:
    approval_seconds: int = 172_800
    withdrawal_seconds: int = 86_400
    task_seconds: int = 300

    def execution_input(self) -> dict[str, int]:
        """The names the ASL reads (`$.approval_timeout_seconds`, ...)."""
        return {
            "approval_timeout_seconds": self.approval_seconds,
            "withdrawal_timeout_seconds": self.withdrawal_seconds,
            "task_timeout_seconds": self.task_seconds,
        }


@dataclass(frozen=True, slots=True)
class PayoutPorts:
    workflow: PayoutWorkflow | None = None
    events: EventPublisher | None = None
    timeouts: WorkflowTimeouts = field(default_factory=WorkflowTimeouts)
    second_approval_above: Decimal | None = None


def build_workflow(settings: PayoutSettings) -> PayoutWorkflow:
    """The Step Functions workflow: always (it answers tokens even without a state machine to start)."""
    from propfirm.payouts.workflow import StepFunctionsWorkflow

    return StepFunctionsWorkflow(None, settings.payouts_state_machine_arn, region=settings.aws_region)


def build_ports(settings: PayoutSettings, events_client: Any = None) -> PayoutPorts:
    """The ports of `settings`: the workflow (`build_workflow`), EventBridge when a bus is named."""
    events = None
    if settings.payouts_event_bus_name:
        from propfirm.payouts.events import EventBridgePublisher

        if events_client is None:
            import boto3  # here, not at import: only a part that publishes payout events needs it

            events_client = boto3.client("events", region_name=settings.aws_region)
        events = EventBridgePublisher(events_client, settings.payouts_event_bus_name)
    return PayoutPorts(
        workflow=build_workflow(settings),
        events=events,
        timeouts=WorkflowTimeouts(
            settings.payouts_approval_timeout_seconds,
            settings.payouts_withdrawal_timeout_seconds,
            settings.payouts_task_timeout_seconds,
        ),
        second_approval_above=settings.payouts_second_approval_above,
    )
