"""Process-wide adapters of the payouts service, from the environment unless configured in code.

- `PAYOUTS_STATE_MACHINE_ARN`: the state machine to start (unset: requests wait for `start_pending`);
  tokens are answered whenever a Step Functions client can be made.
- `PAYOUTS_EVENT_BUS_NAME`: the EventBridge bus (unset: no events).
- `PAYOUTS_APPROVAL_TIMEOUT_SECONDS` (default 172800, two days): how long a payout waits for a person
  before it is escalated (`PayoutEscalated`); it then waits on, without a limit.
- `PAYOUTS_WITHDRAWAL_TIMEOUT_SECONDS` (default 86400): how long the workflow waits for the poller's
  result of a withdrawal before it hands the payout to manual review (its outcome on MT5 is unknown).
- `PAYOUTS_TASK_TIMEOUT_SECONDS` (default 300): how long a working step waits for the worker before
  it is retried (with backoff; a lost task message, a worker down).
- `AWS_REGION`; endpoints follow boto3's own variables (`AWS_ENDPOINT_URL_STEPFUNCTIONS`,
  `AWS_ENDPOINT_URL_EVENTS`, or `AWS_ENDPOINT_URL`) for moto or a local stack.

Tests and the local stack call `configure(workflow=..., events=...)`; `configure()` with no argument
goes back to the environment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from propfirm.settings import _Base, load

_UNSET: Any = object()
_workflow: Any = _UNSET
_events: Any = _UNSET


class PayoutSettings(_Base):
    payouts_state_machine_arn: str | None = Field(None, description="payout workflow state machine ARN")
    payouts_event_bus_name: str | None = Field(None, description="EventBridge bus for payout events")
    payouts_approval_timeout_seconds: int = Field(172_800, ge=1, description="wait before escalating")
    payouts_withdrawal_timeout_seconds: int = Field(86_400, ge=1, description="wait for the withdrawal")
    payouts_task_timeout_seconds: int = Field(300, ge=1, description="wait for a working step")
    payouts_second_approval_above: Decimal | None = Field(
        None, ge=0, description="a payout above this amount needs two approvers (a program may set its own)"
    )
    aws_region: str = Field("us-east-1", description="AWS region")


def second_approval_above() -> Decimal | None:
    """`PAYOUTS_SECOND_APPROVAL_ABOVE`: above it a payout needs two approvers (None: one is enough)."""
    return load(PayoutSettings).payouts_second_approval_above


def timeouts() -> dict[str, int]:
    """The workflow's waits, passed in each execution's input (the ASL reads them by path)."""
    settings = load(PayoutSettings)
    return {
        "approval_timeout_seconds": settings.payouts_approval_timeout_seconds,
        "withdrawal_timeout_seconds": settings.payouts_withdrawal_timeout_seconds,
        "task_timeout_seconds": settings.payouts_task_timeout_seconds,
    }


def configure(workflow: Any = _UNSET, events: Any = _UNSET) -> None:
    """Set the defaults (None: explicitly none); omitted: rebuilt from the environment on next use."""
    global _workflow, _events
    _workflow, _events = workflow, events


def default_workflow() -> Any:
    global _workflow
    if _workflow is _UNSET:
        import boto3

        from propfirm.payouts.workflow import StepFunctionsWorkflow

        settings = load(PayoutSettings)
        _workflow = StepFunctionsWorkflow(
            boto3.client("stepfunctions", region_name=settings.aws_region), settings.payouts_state_machine_arn
        )
    return _workflow


def default_events() -> Any:
    global _events
    if _events is _UNSET:
        settings = load(PayoutSettings)
        if settings.payouts_event_bus_name is None:
            _events = None
        else:
            import boto3

            from propfirm.payouts.events import EventBridgePublisher

            _events = EventBridgePublisher(
                boto3.client("events", region_name=settings.aws_region), settings.payouts_event_bus_name
            )
    return _events
