"""The runtime login: the database user every function but the migrations signs in as (in AWS through the
RDS proxy, `propfirm_runtime`). It is a member of `propfirm_app` (migration 0008): it reads and writes the
operational tables and may only insert and read the audit log. The migration function creates it, or sets
its password again, from the secret the proxy signs in with; Secrets Manager rotates that password."""

from __future__ import annotations

import psycopg
from psycopg import sql

APP_ROLE = "propfirm_app"


def ensure_runtime_login(database_url: str, username: str, password: str) -> str:
    """The login exists, with this password, in the application role: "created" or "updated"."""
    if not username or username == APP_ROLE:
        raise ValueError(f"not a login name for the application: {username!r}")
    with psycopg.connect(database_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (username,)).fetchone() is not None
        statement = "ALTER ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}"
        if not exists:
            statement = "CREATE ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}"
        try:
            conn.execute(sql.SQL(statement).format(sql.Identifier(username), sql.Literal(password)))
        except psycopg.errors.DuplicateObject:  # another migration run created it a moment ago
            conn.execute(
                sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(sql.Identifier(username), sql.Literal(password))
            )
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(APP_ROLE), sql.Identifier(username)))
    return "updated" if exists else "created"
