"""The abuse scan in the local stack: `propfirm.abuse.scan` over the run's server, every few seconds, on the
simulator's clock (the deals' time line), and once more when the run stops."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from propfirm.abuse.scan import scan
from propfirm.store.abuse import FindingStore
from propfirm.store.db import make_pool
from propfirm.store.uow import UnitOfWork


class LocalAbuseScan:
    def __init__(self, database_url: str, server: str, clock: Callable[[], datetime]) -> None:
        self.database_url = database_url
        self.server = server
        self.clock = clock
        self.pool = make_pool(database_url, min_size=1, max_size=1)
        self.scans = 0

    def scan(self) -> int:
        """One scan of the window up to now (a minute ahead: a deal stamped this instant is in); new findings."""
        result = scan(lambda: UnitOfWork(self.pool), self.server, self.clock() + timedelta(minutes=1))
        self.scans += 1
        return result.new

    def findings(self) -> list[dict[str, Any]]:
        """The run's findings as the summary lists them: detector, logins, score."""
        with UnitOfWork(self.database_url) as uow:  # also once the run has stopped
            return [f.summary() for f in reversed(FindingStore(uow).findings(server=self.server, limit=1000))]

    def close(self) -> None:
        try:
            self.scan()
        finally:
            self.pool.close()
