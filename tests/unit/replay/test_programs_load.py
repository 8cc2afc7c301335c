"""`propfirm programs load PATH` against a real PostgreSQL database (the test run's own)."""

from __future__ import annotations

import psycopg
import pytest
from propfirm.store.migrator import apply_migrations

from .helpers import cli

PROGRAM = "id: {id}\naccount_size: '50000'\nphases:\n  - group: g\n    max_loss_pct: {pct}\n"


@pytest.fixture
def migrated(database_url, monkeypatch):
    apply_migrations(database_url)
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def versions(url: str, program_id: str) -> list[int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT version FROM programs WHERE id = %s ORDER BY 1", (program_id,))
        return [row[0] for row in rows]


def test_load_adds_new_versions_only(tmp_path, migrated):
    path = tmp_path / "load-me.yaml"
    path.write_text(PROGRAM.format(id="load-me", pct=10))
    assert cli("programs", "load", str(path))[:2] == (0, "program load-me v1 added\n")
    assert cli("programs", "load", str(path))[:2] == (0, "program load-me v1 unchanged\n")
    path.write_text(PROGRAM.format(id="load-me", pct=8))
    assert cli("programs", "load", str(path))[:2] == (0, "program load-me v2 added\n")
    assert versions(migrated, "load-me") == [1, 2]


def test_a_bad_file_loads_nothing(tmp_path, migrated):
    (tmp_path / "a.yaml").write_text(PROGRAM.format(id="never-loaded", pct=10))
    (tmp_path / "b.yaml").write_text("id: broken\naccount_size: '1'\nphases: []\n")
    status, out, err = cli("programs", "load", str(tmp_path))
    assert status == 2 and out == "" and "b.yaml" in err and "phases" in err
    assert versions(migrated, "never-loaded") == []
