"""Connections: a small psycopg_pool for the Lambda (one container handles one batch at a time), a plain
connection per unit of work for the command line, and a statement counter both report to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool


@dataclass
class StatementCounter:
    """Statements sent to PostgreSQL (benchmarks and metrics diff two readings)."""

    count: int = 0


class ConnectionSource(Protocol):
    def getconn(self) -> psycopg.Connection: ...

    def putconn(self, conn: psycopg.Connection) -> None: ...


class SingleConnections:
    """A new connection per unit of work (command line, tests): nothing to keep between runs."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def getconn(self) -> psycopg.Connection:
        return psycopg.connect(self.database_url, row_factory=tuple_row)

    def putconn(self, conn: psycopg.Connection) -> None:
        conn.close()

    def close(self) -> None:
        pass


def make_pool(database_url: str, min_size: int = 1, max_size: int = 2, **kwargs: Any) -> ConnectionPool:
    """A small pool: a Lambda container runs one batch at a time, RDS Proxy multiplexes the rest."""
    pool = ConnectionPool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs={"row_factory": tuple_row},
        **kwargs,
    )
    pool.open(wait=True, timeout=10)
    return pool
