"""The webhooks function's settings, from the environment (validated; a bad variable is named in the error)."""

from __future__ import annotations

from pydantic import Field

from propfirm.settings import DatabaseSettings


class WebhookSettings(DatabaseSettings):
    webhook_timeout_seconds: float = Field(5.0, gt=0, le=30, description="how long a receiver may take to answer")
    webhook_batch: int = Field(50, ge=1, le=500, description="deliveries claimed at a time")
    db_pool_max: int = Field(2, ge=1, le=20, description="PostgreSQL connections per container")
