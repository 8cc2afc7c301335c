"""Process-wide adapters of the payouts service, from the environment unless configured in code.

- `PAYOUTS_STATE_MACHINE_ARN`: the state machine to start (unset: requests wait for `start_pending`);
  tokens are answered whenever a Step Functions client can be made.
- `PAYOUTS_EVENT_BUS_NAME`: the EventBridge bus (unset: no events).
- `AWS_REGION`; endpoints follow boto3's own variables (`AWS_ENDPOINT_URL_STEPFUNCTIONS`,
  `AWS_ENDPOINT_URL_EVENTS`, or `AWS_ENDPOINT_URL`) for moto or a local stack.

Tests and the local stack call `configure(workflow=..., events=...)`; `configure()` with no argument
goes back to the environment.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from propfirm.settings import _Base, load

_UNSET: Any = object()
_workflow: Any = _UNSET
_events: Any = _UNSET


class PayoutSettings(_Base):
    payouts_state_machine_arn: str | None = Field(None, description="payout workflow state machine ARN")
    payouts_event_bus_name: str | None = Field(None, description="EventBridge bus for payout events")
    aws_region: str = Field("us-east-1", description="AWS region")


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
