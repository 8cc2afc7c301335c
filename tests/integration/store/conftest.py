"""The store's fixtures: the run's database with the migrations applied (idempotent, so every folder
that needs them may apply them), and a unique MT5 server name per test to keep accounts apart."""

from __future__ import annotations

import uuid

import pytest
from propfirm.store.migrator import apply_migrations
from propfirm.store.programs import load_shipped_programs
from propfirm.store.uow import UnitOfWork


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    apply_migrations(database_url)
    with UnitOfWork(database_url) as uow:
        load_shipped_programs(uow)
        uow.commit()
    return database_url


@pytest.fixture
def server() -> str:
    return f"srv-{uuid.uuid4().hex[:8]}"
