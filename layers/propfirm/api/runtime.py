"""The adapters every request uses, built once per container (or per local server) and kept.

Tests and the local server hand in their own with `set_runtime`; the Lambda builds them from the
environment on first use (`ApiSettings`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis
from psycopg_pool import ConnectionPool

from propfirm.api.health import HealthCache
from propfirm.api.settings import ApiSettings
from propfirm.api.tokens import webhook_secret
from propfirm.live.connection import redis_from_url
from propfirm.live.keys import LiveKeys
from propfirm.operations.logins import CognitoTraderLogins, TraderLogins
from propfirm.payouts.ports import PayoutPorts, build_ports
from propfirm.payouts.settings import PayoutSettings
from propfirm.sealing import Cipher, build_cipher
from propfirm.settings import SettingsError, load
from propfirm.store.db import make_pool
from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.api")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    pool: ConnectionPool
    redis: redis.Redis
    keys: LiveKeys
    webhook_secret: str
    server: str = "default"
    pollers: tuple[tuple[str, str], ...] = ()  # (server, poller name) whose heartbeats /admin/system reads
    queues: dict[str, str] = field(default_factory=dict)  # name -> SQS queue URL, for /admin/system
    sqs: Any = None
    cipher: Cipher | None = None  # MT5 passwords of new accounts (None: built on first use, local key)
    trader_logins: TraderLogins | None = None  # dashboard logins of new traders (None: locally, none made)
    clock: Callable[[], datetime] = field(default=_utc_now)  # business time (the local stack's is simulated)
    wall_clock: Callable[[], datetime] = field(default=_utc_now)  # real time: a signature's freshness
    health: HealthCache = field(default_factory=HealthCache)  # /health's last finding, kept a few seconds
    payouts: PayoutPorts = field(default_factory=PayoutPorts)  # the payout workflow and bus (default: none)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.pool)

    def sqs_client(self) -> Any:
        if self.sqs is None:
            import boto3

            self.sqs = boto3.client("sqs")
        return self.sqs

    def relay_commands(self) -> int:
        """Send the outbox's due commands now when the command queue is configured (COMMAND_QUEUE_URL),
        so an operator's action does not wait for the evaluator's relay. Never raises: a command not
        sent here stays pending, and the evaluator's relay sends it (at most a minute later in AWS)."""
        url = self.queues.get("command")
        if not url:
            return 0
        from propfirm.evaluation.relay import OutboxRelay
        from propfirm.queues.sqs import SqsSender

        try:
            return OutboxRelay(self.uow, SqsSender(self.sqs_client(), url), clock=self.clock).run()
        except Exception as exc:  # noqa: BLE001 - the commands are safe in the outbox
            log.warning("outbox relay from the API failed; commands stay pending", extra={"error": str(exc)})
            return 0

    def credentials_cipher(self) -> Cipher:
        if self.cipher is None:
            self.cipher = build_cipher(None)
        return self.cipher

    def close(self) -> None:
        self.pool.close()
        self.redis.close()


def secret_from_secrets_manager(secret_id: str, client: Any = None) -> str:
    """The webhook key as the stack stores it: a plain secret string, kept out of the function's settings."""
    import boto3

    client = client or boto3.client("secretsmanager")
    value = client.get_secret_value(SecretId=secret_id).get("SecretString") or ""
    if len(value) < 16:
        raise SettingsError(f"PROPFIRM_WEBHOOK_SECRET_ARN: secret {secret_id} holds no key of 16+ characters")
    return value


def build_runtime(
    settings: ApiSettings,
    redis_client: redis.Redis | None = None,
    secrets_client: Any = None,
    kms_client: Any = None,
    payouts: PayoutPorts | None = None,
) -> Runtime:
    """The API's adapters from its settings; `payouts` None: built from `PayoutSettings` (the environment)."""
    secret = settings.propfirm_webhook_secret
    if not secret and settings.propfirm_webhook_secret_arn:
        secret = secret_from_secrets_manager(settings.propfirm_webhook_secret_arn, secrets_client)
    if not secret and os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        # a generated secret is for the local stack only: in AWS the shop must know the key
        raise SettingsError(
            "PROPFIRM_WEBHOOK_SECRET_ARN (or PROPFIRM_WEBHOOK_SECRET): required in AWS (the shop signs)"
        )
    if not settings.propfirm_credentials_kms_key_id and os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        # a local key would be lost with the container: in AWS the passwords are encrypted with KMS
        raise SettingsError("PROPFIRM_CREDENTIALS_KMS_KEY_ID: required in AWS (MT5 passwords are kept encrypted)")
    cipher = build_cipher(settings.propfirm_credentials_kms_key_id, kms_client)
    pool = make_pool(settings.database_url, min_size=1, max_size=settings.db_pool_max, timeout=10)
    return Runtime(
        pool=pool,
        redis=redis_client or redis_from_url(settings.redis_url),
        keys=LiveKeys(settings.redis_namespace),
        webhook_secret=secret or webhook_secret(),
        server=settings.mt5_server_name,
        cipher=cipher,
        trader_logins=CognitoTraderLogins(settings.cognito_user_pool_id) if settings.cognito_user_pool_id else None,
        pollers=pollers_of(settings.poller_servers, settings.mt5_server_name),
        queues={
            name: url
            for name, url in (
                ("evaluation", settings.evaluation_queue_url),
                ("command", settings.command_queue_url),
                ("evaluation_dlq", settings.evaluation_dlq_url),
                ("command_dlq", settings.command_dlq_url),
            )
            if url
        },
        payouts=payouts or build_ports(load(PayoutSettings)),
    )


def pollers_of(value: str, default_server: str) -> tuple[tuple[str, str], ...]:
    """`POLLER_SERVERS`: "server" or "server:name" items, comma-separated (default: the API's server)."""
    items = [v.strip() for v in value.split(",") if v.strip()] or [default_server]
    return tuple((item.partition(":")[0], item.partition(":")[2]) for item in items)


_runtime: Runtime | None = None
_lock = threading.Lock()


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        with _lock:
            if _runtime is None:
                _runtime = build_runtime(load(ApiSettings))
    return _runtime


def set_runtime(value: Runtime | None) -> None:
    global _runtime
    _runtime = value
