"""The Unit of Work: one PostgreSQL transaction and the repositories that work inside it.

    with UnitOfWork(source) as uow:
        record = uow.challenges.get_for_update(server, login)
        ...
        uow.commit()          # leaving the block without commit() rolls back

Every statement goes through `execute`, which counts it (the benchmark reports statements per account).
"""

from __future__ import annotations

from typing import Any

import psycopg

from propfirm.store.audit import AuditLog
from propfirm.store.challenges import ChallengeRepository
from propfirm.store.db import ConnectionSource, SingleConnections, StatementCounter
from propfirm.store.deals import DealRepository
from propfirm.store.events import EventRepository
from propfirm.store.outbox import OutboxRepository
from propfirm.store.programs import ProgramRepository
from propfirm.store.seals import Sealer
from propfirm.store.statistics import StatisticsRepository
from propfirm.store.traders import TraderRepository


class UnitOfWork:
    def __init__(
        self,
        source: ConnectionSource | str,
        counter: StatementCounter | None = None,
        autocommit: bool = False,
        sealer: Sealer | None = None,
    ) -> None:
        self.source = SingleConnections(source) if isinstance(source, str) else source
        self.sealer = sealer  # seals the audit rows it appends (None: the process's, from the environment)
        self.counter = counter or StatementCounter()
        self.conn: psycopg.Connection | None = None
        self._committed = False
        # autocommit: each statement on its own, no BEGIN/COMMIT round trips (reads that need no snapshot)
        self.autocommit = autocommit

    def autocommitting(self) -> UnitOfWork:
        """A unit of work on the same source whose statements commit one by one."""
        return UnitOfWork(self.source, self.counter, autocommit=True, sealer=self.sealer)

    def __enter__(self) -> UnitOfWork:
        self.conn = self.source.getconn()
        if self.autocommit:
            self.conn.autocommit = True
        self._committed = False
        self.challenges = ChallengeRepository(self)
        self.programs = ProgramRepository(self)
        self.audit = AuditLog(self, self.sealer)
        self.outbox = OutboxRepository(self)
        self.events = EventRepository(self)
        self.deals = DealRepository(self)
        self.statistics = StatisticsRepository(self)
        self.traders = TraderRepository(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        conn = self.conn
        self.conn = None
        if conn is None:
            return
        try:
            if self.autocommit:
                if not conn.closed:
                    conn.autocommit = False  # the pool's connections are transactional
            elif not self._committed and not conn.closed:
                conn.rollback()
        finally:
            self.source.putconn(conn)

    def commit(self) -> None:
        assert self.conn is not None, "commit() outside `with`"
        self.conn.commit()
        self._committed = True

    def rollback(self) -> None:
        assert self.conn is not None
        self.conn.rollback()

    # -- statements --------------------------------------------------------------------------------
    def execute(self, query: str, params: Any = None) -> psycopg.Cursor:
        assert self.conn is not None, "a unit of work is used inside `with` only"
        self.counter.count += 1
        self._committed = False
        return self.conn.execute(query, params)

    def fetchone(self, query: str, params: Any = None) -> Any:
        return self.execute(query, params).fetchone()

    def fetchall(self, query: str, params: Any = None) -> list[tuple]:
        return self.execute(query, params).fetchall()
