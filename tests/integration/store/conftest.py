"""The store's fixtures: the run's database with the migrations applied (idempotent, so every folder
that needs them may apply them), and a unique MT5 server name per test to keep accounts apart."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def server() -> str:
    return f"srv-{uuid.uuid4().hex[:8]}"
