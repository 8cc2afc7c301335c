"""Connections: a small psycopg_pool for the Lambda (one container handles one batch at a time), a plain
connection per unit of work for the command line, and a statement counter both report to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import certifi
import psycopg
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool
from pydantic import Field

from propfirm.settings import _Base, load


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


class DatabaseAuthSettings(_Base):
    """In AWS the functions reach Aurora through RDS Proxy with IAM authentication: DATABASE_URL names
    host, port, user and database but no password; each new connection gets a fresh token."""

    database_iam_auth: bool = Field(False, description="sign in with an RDS IAM token (no password)")
    aws_region: str = Field("us-east-1", description="region of the database, for the token")


def iam_token_kwargs(database_url: str, region: str, rds_client: Any = None) -> Callable[[], dict[str, Any]]:
    """Connection arguments computed per connection: an IAM token lives 15 minutes, a pooled
    connection longer, so the pool asks for a new token each time it opens one. TLS is verified in full
    (the certificate chains to a trusted root and names the host): RDS Proxy's certificate comes from
    ACM, under Amazon's public roots, which certifi's bundle holds (no RDS bundle to download)."""
    info = psycopg.conninfo.conninfo_to_dict(database_url)
    host, port, user = info.get("host"), int(info.get("port") or 5432), info.get("user")
    if not host or not user:
        raise ValueError("DATABASE_URL must name the host and the user for IAM authentication")

    def kwargs() -> dict[str, Any]:
        import boto3  # only in AWS

        client = rds_client or boto3.client("rds", region_name=region)
        token = client.generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user, Region=region)
        return {
            "row_factory": tuple_row,
            "password": token,
            "sslmode": "verify-full",
            "sslrootcert": certifi.where(),
        }

    return kwargs


def make_pool(
    database_url: str,
    min_size: int = 1,
    max_size: int = 2,
    auth: DatabaseAuthSettings | None = None,
    **kwargs: Any,
) -> ConnectionPool:
    """A small pool: a Lambda container runs one batch at a time, RDS Proxy multiplexes the rest."""
    auth = auth or load(DatabaseAuthSettings)
    connect_kwargs: dict[str, Any] | Callable[[], dict[str, Any]] = {"row_factory": tuple_row}
    if auth.database_iam_auth:
        connect_kwargs = iam_token_kwargs(database_url, auth.aws_region)
    pool = ConnectionPool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs=connect_kwargs,
        **kwargs,
    )
    pool.open(wait=True, timeout=10)
    return pool
