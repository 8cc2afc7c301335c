"""The API's fixtures: PostgreSQL migrated with the shipped programs, Redis under the test's namespace, the
API runtime wired to both, and helpers that call the Lambda handler with API Gateway's REST proxy events
(built by the local server's own `build_event`) or sign webhook bodies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
import redis as redis_lib
from propfirm.api.local_server import _templates, build_event
from propfirm.api.purchases import signature_of
from propfirm.api.runtime import Runtime, set_runtime
from propfirm.live.keys import LiveKeys
from propfirm.live.records import PositionSummary, Snapshot
from propfirm.store.db import make_pool
from propfirm.store.migrator import apply_migrations
from propfirm.store.programs import load_shipped_programs
from propfirm.store.registration import register_account_challenge
from propfirm.store.uow import UnitOfWork

from functions.api.handler import lambda_handler

WEBHOOK_SECRET = "test-webhook-secret-0123456789"
JWT_KEY = "test-jwt-key-0123456789-abcdefghijklmnop-0123456789-abcdefghijklmnop"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday; Prague reset at 23:00 UTC


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    apply_migrations(database_url)
    with UnitOfWork(database_url) as uow:
        load_shipped_programs(uow)
        uow.commit()
    return database_url


class LambdaContext:
    function_name = "api-test"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:api-test"
    aws_request_id = "test"


def claims(role: str | list[str] | str, email: str = "trader@example.com", groups: Any = None) -> dict:
    """Claims as the Cognito authorizer passes them (strings; groups in the given raw form)."""
    return {
        "sub": str(uuid.uuid4()),
        "email": email,
        "cognito:groups": groups if groups is not None else f"[{role}]",
        "token_use": "id",
    }


class Api:
    """Calls the Lambda handler in-process with API Gateway REST proxy events."""

    def __init__(self, runtime: Runtime, url: str) -> None:
        self.runtime = runtime
        self.url = url
        self.templates = _templates()
        self.written: list[str] = []  # Redis keys to remove afterwards

    def call(
        self,
        method: str,
        path: str,
        *,
        claims: dict | None = None,
        body: bytes | str | dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        raw = (
            orjson.dumps(body)
            if isinstance(body, dict)
            else (body.encode() if isinstance(body, str) else body or b"")
        )
        event = build_event(method, path, list((headers or {}).items()), raw, claims, self.templates)
        response = lambda_handler(event, LambdaContext())
        text = response.get("body") or ""
        try:
            parsed = orjson.loads(text) if text else None
        except orjson.JSONDecodeError:
            parsed = text
        headers = {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items() if v}
        headers.update(response.get("headers") or {})
        return response["statusCode"], headers, parsed

    def purchase(self, order: dict, *, timestamp: int | None = None, secret: str = WEBHOOK_SECRET):
        body = orjson.dumps(order)
        ts = str(int(self.runtime.clock().timestamp()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": "application/json",
            "X-Timestamp": ts,
            "X-Signature": signature_of(secret, ts, body),
        }
        return self.call("POST", "/webhooks/purchase", body=body, headers=headers)

    # -- data ---------------------------------------------------------------------------------------
    def account_challenge(self, email: str, login: int, program: str = "two-step-100k") -> int:
        with UnitOfWork(self.url) as uow:
            cid = register_account_challenge(
                uow,
                self.runtime.server,
                login,
                program,
                trader_email=email,
                time=self.runtime.clock() - timedelta(hours=2),
            )
            uow.commit()
        return cid

    def snapshot(self, login: int, balance: str, equity: str, at: datetime | None = None) -> None:
        snap = Snapshot(
            self.runtime.server,
            login,
            1,
            at or self.runtime.clock() - timedelta(minutes=1),
            Decimal(balance),
            Decimal(equity),
            Decimal(0),
            Decimal(0),
            (PositionSummary("EURUSD", Decimal("1.00"), "buy"),),
        )
        key = self.runtime.keys.snap(self.runtime.server, login)
        self.written.append(key)
        self.runtime.redis.set(key, snap.encode())

    def rows(self, query: str, params: Any = None) -> list[tuple]:
        with UnitOfWork(self.url) as uow:
            return uow.fetchall(query, params)


@pytest.fixture
def api_namespace() -> str:
    """A key prefix of the test's own. The API writes no Redis keys (an override only deletes a floor);
    the keys a test writes are tracked and removed by `Api`, which is much faster than the shared
    namespace fixture's SCAN over a Redis that other work fills with many keys."""
    return f"tapi{uuid.uuid4().hex[:10]}:"


@pytest.fixture(scope="session")
def api_pool(migrated_url: str) -> Iterator[Any]:
    pool = make_pool(migrated_url, min_size=1, max_size=4)
    yield pool
    pool.close()


@pytest.fixture
def api(
    migrated_url: str, api_pool: Any, redis_client: redis_lib.Redis, api_namespace: str, monkeypatch
) -> Iterator[Api]:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    pool = api_pool
    runtime = Runtime(
        pool=pool,
        redis=redis_client,
        keys=LiveKeys(api_namespace),
        webhook_secret=WEBHOOK_SECRET,
        server=f"srv-{uuid.uuid4().hex[:6]}",
        clock=lambda: NOW,
    )
    set_runtime(runtime)
    api = Api(runtime, migrated_url)
    try:
        yield api
    finally:
        set_runtime(None)
        if api.written:
            redis_client.delete(*api.written)


def new_login() -> int:
    return 100_000 + uuid.uuid4().int % 800_000_000
