"""The API of a local run: the Lambda's own handler behind `propfirm.api.local_server.serve_api`.

Two local adjustments: the API's clock is the MT5 server's (the simulator's), so eligibility windows and
request times live on the same time line as the deals and phases they are judged against; and
`MT5_SERVER_NAME` is the run's server, so accounts a purchase creates land on the simulator the poller
watches (set by `DevStack.start` with the rest of the environment, before any thread runs).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from propfirm.payouts.ports import PayoutPorts


class ApiUnavailable(Exception):
    """The API part is not usable in this build (the reason is in the message)."""


def start_api(
    *,
    port: int,
    database_url: str,
    redis_url: str,
    redis_namespace: str,
    server: str,
    clock: Callable[[], datetime],
    payouts: PayoutPorts | None = None,
) -> Any:
    """The running API's handle (`url`, `port`, `stop()`), or ApiUnavailable."""
    try:
        from propfirm.api.local_server import serve_api
    except ImportError as exc:
        raise ApiUnavailable(f"propfirm.api.local_server cannot be imported: {exc}") from None
    handle = serve_api(
        "127.0.0.1", port, database_url, redis_url, redis_namespace, db_pool_max=4, quiet=True, payouts=payouts
    )
    handle.runtime.clock = clock
    return handle
