"""The payouts worker's settings, from the environment (validated; a bad variable is named in the error)."""

from __future__ import annotations

from pydantic import Field

from propfirm.settings import DatabaseSettings, RedisSettings


class PayoutWorkerSettings(DatabaseSettings, RedisSettings):
    command_queue_url: str | None = Field(
        None,
        description="SQS command queue (FIFO) for sending the withdrawal at once",
    )
    payouts_event_bus_name: str | None = Field(None, description="EventBridge bus for payout events")
    payouts_state_machine_arn: str | None = Field(
        None, description="the payout state machine (the sweep starts executions a request could not start)"
    )
    aws_region: str = Field("us-east-1", description="AWS region")
    db_pool_max: int = Field(2, ge=1, le=20, description="PostgreSQL connections per container")
