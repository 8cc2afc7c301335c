"""Shared fixtures: a database of its own for each test run, a Redis namespace of its own.

PostgreSQL and Redis are real servers (DATABASE_URL / REDIS_URL, local defaults);
each run creates a database with a random name and drops it afterwards, and each
test gets a random key namespace in Redis, so two runs never see each other's data.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import redis as redis_lib
from propfirm.settings import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL
from propfirm.sim.clock import SimClock
from propfirm.store.migrator import apply_migrations
from propfirm.store.programs import load_shipped_programs
from propfirm.store.uow import UnitOfWork
from psycopg import sql

ADMIN_DATABASE_URL = os.environ.get("TEST_ADMIN_DATABASE_URL", os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
REDIS_URL = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)


def _no_default_start() -> None:
    raise AssertionError(
        "a simulated clock started without `start`: it would begin at today's date, and the test would pass "
        "or fail with the day it runs. Pin the instant the test needs (tests/instants.py names some)."
    )


# Nothing in the suite may depend on the day it runs: a simulator built here must be given its start.
SimClock.default_start = staticmethod(_no_default_start)
# Keys a test run makes (the local token, credentials and audit keys) go to a folder of the run's own,
# which the processes it starts inherit, never to the user's ~/.propfirm.
os.environ["PROPFIRM_HOME"] = tempfile.mkdtemp(prefix="propfirm-test-home-")


def _with_dbname(url: str, dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**info)


@contextmanager
def fresh_database(prefix: str = "propfirm_test") -> Iterator[str]:
    """A new, empty PostgreSQL database with a random name; dropped (connections and all) at the end."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_dbname(ADMIN_DATABASE_URL, name)
    finally:
        with psycopg.connect(ADMIN_DATABASE_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test run, dropped at the end."""
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    """The run's database, migrated, with the shipped programs (the API's tests use a database of their own)."""
    apply_migrations(database_url)
    with UnitOfWork(database_url) as uow:
        load_shipped_programs(uow)
        uow.commit()
    return database_url


@pytest.fixture(scope="session")
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def redis_namespace(redis_url: str) -> Iterator[str]:
    """A key prefix no other test or run uses; its keys are deleted afterwards."""
    namespace = f"t{uuid.uuid4().hex[:10]}:"
    yield namespace
    client = redis_lib.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    finally:
        client.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis_lib.Redis]:
    client = redis_lib.Redis.from_url(redis_url)
    yield client
    client.close()
