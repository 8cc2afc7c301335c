"""The payouts' settings, from the environment (validated; a bad variable is named in the error).

`PayoutSettings` is what every part that touches payouts reads (the API, the evaluator's withdrawal-result
hook, the worker); `PayoutWorkerSettings` adds the worker's own store and queue.

- `PAYOUTS_STATE_MACHINE_ARN`: the state machine to start (unset: requests wait for `start_pending`);
  tokens are answered whenever a Step Functions client can be made.
- `PAYOUTS_EVENT_BUS_NAME`: the EventBridge bus (unset: no events).
- `PAYOUTS_APPROVAL_TIMEOUT_SECONDS` (default 172800, two days): how long a payout waits for a person
  before it is escalated (`PayoutEscalated`); it then waits on, without a limit.
- `PAYOUTS_WITHDRAWAL_TIMEOUT_SECONDS` (default 86400): how long the workflow waits for the poller's
  result of a withdrawal before it hands the payout to manual review (its outcome on MT5 is unknown).
- `PAYOUTS_TASK_TIMEOUT_SECONDS` (default 300): how long a working step waits for the worker before
  it is retried (with backoff; a lost task message, a worker down).
- `PAYOUTS_SECOND_APPROVAL_ABOVE`: above it a payout needs two approvers (a program may set its own).
- `AWS_REGION`; endpoints follow boto3's own variables (`AWS_ENDPOINT_URL_STEPFUNCTIONS`,
  `AWS_ENDPOINT_URL_EVENTS`, or `AWS_ENDPOINT_URL`) for moto or a local stack.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from propfirm.settings import DatabaseSettings, RedisSettings, _Base


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


class PayoutWorkerSettings(PayoutSettings, DatabaseSettings, RedisSettings):
    command_queue_url: str | None = Field(
        None,
        description="SQS command queue (FIFO) for sending the withdrawal at once",
    )
    db_pool_max: int = Field(2, ge=1, le=20, description="PostgreSQL connections per container")
