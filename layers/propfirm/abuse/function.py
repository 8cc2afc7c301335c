"""The abuse scan's Lambda: on a schedule (every five minutes), every MT5 server with deals in the window is
scanned (`propfirm.abuse.scan`) and its findings recorded. Near-line: it reads the deals the evaluator
stored, never the queues the evaluation path uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from propfirm.abuse.scan import scan
from propfirm.observability import function_logger
from propfirm.settings import DatabaseSettings, load
from propfirm.store.abuse import FindingStore
from propfirm.store.db import make_pool
from propfirm.store.uow import UnitOfWork

logger = function_logger("abuse")


class AbuseSettings(DatabaseSettings):
    abuse_window_days: int = Field(7, ge=1, le=90, description="how far back each scan reads the deals")


_pools: dict[str, Any] = {}  # by database URL, for the container's life


def scan_all(now: datetime | None = None, settings: AbuseSettings | None = None) -> dict[str, Any]:
    """Scan every server with deals in the window up to `now` (default: the wall clock); a report per server."""
    settings = settings or load(AbuseSettings)
    pool = _pools.get(settings.database_url)
    if pool is None:
        pool = _pools[settings.database_url] = make_pool(settings.database_url, min_size=1, max_size=1)
    now = now or datetime.now(UTC)
    window = timedelta(days=settings.abuse_window_days)

    def uow() -> UnitOfWork:
        return UnitOfWork(pool)

    with uow() as u:
        servers = FindingStore(u).servers_with_deals(now - window)
    report = {}
    for server in servers:
        result = scan(uow, server, now, window)
        report[server] = {
            "deals": result.deals,
            "findings": len(result.findings),
            "new": result.new,
            "restricted": len(result.restricted),
        }
        if result.new:
            logger.warning("new abuse findings", extra={"server": server, "new": result.new})
    return report


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    return scan_all()
