"""The evaluator's settings, from the environment (validated; a bad variable is named in the error)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from propfirm.settings import DatabaseSettings, RedisSettings


class EvaluatorSettings(DatabaseSettings, RedisSettings):
    command_queue_url: str = Field(..., min_length=1, description="SQS command queue (FIFO) URL")
    aws_region: str = Field("us-east-1", description="AWS region of the queues")
    sqs_endpoint_url: str | None = Field(None, description="SQS endpoint override (moto, local stack)")
    event_bus_name: str | None = Field(
        None, min_length=1, description="EventBridge bus for ChallengePassed/Failed/Funded (unset: kept pending)"
    )
    events_endpoint_url: str | None = Field(None, description="EventBridge endpoint override (moto)")
    equity_points_retention_days: int = Field(
        400, ge=0, description="equity points older than this are dropped by month (0: kept for ever)"
    )
    sightings_retention_days: int = Field(
        180, ge=0, description="traders' sign-in addresses not seen for this long are deleted (0: kept for ever)"
    )
    db_pool_max: int = Field(2, ge=1, le=20, description="PostgreSQL connections per container")
    evaluator_save_every_snapshots: int = Field(30, ge=1, description="routine state save interval")
    evaluator_floor_warning_share: Decimal = Field(
        Decimal("0.2"), ge=0, le=1,
        description="warn a trader (FloorWarning) when this share of the binding loss limit or less is left (0: never)",
    )
