"""The API's settings, from the environment (a bad variable is named in the error)."""

from __future__ import annotations

from pydantic import Field

from propfirm.mt5.models import DEFAULT_SERVER
from propfirm.settings import DatabaseSettings, RedisSettings


class ApiSettings(DatabaseSettings, RedisSettings):
    propfirm_webhook_secret: str | None = Field(
        None, min_length=16, description="HMAC key of the purchase webhook (local: generated and kept)"
    )
    propfirm_webhook_secret_arn: str | None = Field(
        None, description="in AWS: Secrets Manager id of the webhook key (read once per container)"
    )
    propfirm_credentials_kms_key_id: str | None = Field(
        None, description="in AWS: the KMS key that encrypts new accounts' MT5 passwords (local: a kept key)"
    )
    cognito_user_pool_id: str | None = Field(
        None, description="in AWS: the user pool where each new trader gets a login (local: none is made)"
    )
    poller_servers: str = Field(
        "", description="servers (or server:name) whose poller heartbeats /admin/system reads (default: the one)"
    )
    evaluation_queue_url: str | None = Field(None, description="SQS queues whose depths /admin/system shows")
    command_queue_url: str | None = None
    evaluation_dlq_url: str | None = None
    command_dlq_url: str | None = None
    mt5_server_name: str = Field(DEFAULT_SERVER, min_length=1, description="MT5 server new accounts go to")
    db_pool_max: int = Field(4, ge=1, le=64, description="PostgreSQL connections per process")
