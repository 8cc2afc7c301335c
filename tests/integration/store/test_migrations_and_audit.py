"""Migrations, the append-only hash-chained audit log and `propfirm audit verify`, on real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from propfirm.store.audit import AuditEntry, row_hash
from propfirm.store.migrator import apply_migrations, shipped_migrations
from propfirm.store.uow import UnitOfWork
from psycopg import sql


def _fresh_database(admin_url: str) -> tuple[str, str]:
    name = f"propfirm_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    info["dbname"] = name
    return name, psycopg.conninfo.make_conninfo(**info)


def _drop(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def fresh_url(database_url: str):
    name, url = _fresh_database(database_url)
    yield url
    _drop(database_url, name)


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "propfirm.cli", *args],
        capture_output=True,
        text=True,
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PROPFIRM_HOME": os.environ["PROPFIRM_HOME"]},
        timeout=60,
    )


def test_migrate_on_a_fresh_database_loads_programs_and_a_second_run_changes_nothing(fresh_url) -> None:
    first = _cli(fresh_url, "migrate")
    assert first.returncode == 0, first.stderr
    assert "applied 0001_core" in first.stdout and "program two-step-100k v1 added" in first.stdout
    with psycopg.connect(fresh_url) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        programs = conn.execute("SELECT id, version FROM programs ORDER BY id").fetchall()
    assert {
        "traders",
        "programs",
        "challenges",
        "phase_transitions",
        "deals",
        "daily_statistics",
        "equity_points",
        "payouts",
        "payout_deals",
        "outbox",
        "audit_log",
        "schema_migrations",
    } <= tables
    assert ("two-step-100k", 1) in programs

    second = _cli(fresh_url, "migrate")
    assert second.returncode == 0, second.stderr
    assert "migrations: up to date" in second.stdout and "added" not in second.stdout
    with psycopg.connect(fresh_url) as conn:
        assert conn.execute("SELECT count(*) FROM programs").fetchone()[0] == len(programs)
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(shipped_migrations())


def test_two_migrators_at_once_apply_each_migration_once(fresh_url) -> None:
    results: list[list] = []
    threads = [threading.Thread(target=lambda: results.append(apply_migrations(fresh_url))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r) for r in results) == [0, len(shipped_migrations())]


def test_the_audit_log_refuses_update_delete_and_truncate(migrated_url, server) -> None:
    with UnitOfWork(migrated_url) as uow:
        [row_id] = uow.audit.append([AuditEntry("test.entry", {"n": "1"}, None, server, 1)])
        uow.commit()
    for statement in ("UPDATE audit_log SET kind = 'x' WHERE id = %s", "DELETE FROM audit_log WHERE id = %s"):
        with (
            psycopg.connect(migrated_url) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
        ):
            conn.execute(statement, (row_id,))
    with psycopg.connect(migrated_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("TRUNCATE audit_log")


def test_concurrent_appenders_keep_one_chain(migrated_url, server) -> None:
    def append(n: int) -> None:
        for i in range(5):
            with UnitOfWork(migrated_url) as uow:
                uow.audit.append([AuditEntry("test.concurrent", {"writer": n, "i": i}, None, server, n)])
                uow.commit()

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = _cli(migrated_url, "audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr


def test_audit_verify_passes_then_names_the_tampered_row(fresh_url) -> None:
    assert _cli(fresh_url, "migrate").returncode == 0
    with UnitOfWork(fresh_url) as uow:
        ids = uow.audit.append(
            [
                AuditEntry(
                    "test.entry",
                    {"amount": "100.50", "i": i},
                    7,
                    "s",
                    5001,
                    datetime(2026, 11, 25, 12, 0, i, 123456, tzinfo=UTC),
                )
                for i in range(5)
            ]
        )
        uow.commit()
    ok = _cli(fresh_url, "audit", "verify")
    assert ok.returncode == 0 and "5 rows" in ok.stdout

    # a superuser disables the trigger and rewrites history
    with psycopg.connect(fresh_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        conn.execute(
            'UPDATE audit_log SET payload = \'{"amount": "1000.50", "i": 2}\' WHERE id = %s', (ids[2],)
        )
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
    broken = _cli(fresh_url, "audit", "verify")
    assert broken.returncode == 1
    assert f"row {ids[2]}" in broken.stdout and "does not match its hash" in broken.stdout

    # a removed last row is found by the chain head
    with psycopg.connect(fresh_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        conn.execute(
            'UPDATE audit_log SET payload = \'{"amount": "100.50", "i": 2}\' WHERE id = %s', (ids[2],)
        )
        conn.execute("DELETE FROM audit_log WHERE id = %s", (ids[4],))
    cut = _cli(fresh_url, "audit", "verify")
    assert cut.returncode == 1 and f"row {ids[4]}" in cut.stdout and "chain head" in cut.stdout


AWKWARD = {"comment": 'a "quoted" \\ back\\slash, {braces}, [brackets], \'single\', tab\tnew\nline, ünï 📈',
           "nested": {"list": ["x", "y\"z", {"k": None}], "empty": {}}, "amount": "1234.56", "n": 7}


def test_payloads_with_quotes_escapes_and_unicode_are_stored_as_given_and_verify(fresh_url) -> None:
    """Audit payloads, domain events and outbox commands go to PostgreSQL as one JSON array each (not a
    jsonb[] literal): every character comes back as written, and the hash chain verifies over them."""
    from propfirm.store.events import DomainEvent
    from propfirm.store.outbox import OutboxCommand

    assert _cli(fresh_url, "migrate").returncode == 0
    at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    with UnitOfWork(fresh_url) as uow:
        ids = uow.audit.append([AuditEntry("test.awkward", {**AWKWARD, "i": i}, 7, "s", 5001, at) for i in range(3)])
        uow.events.add([DomainEvent(f"evt-awkward-{i}", "test.awkward", None, {**AWKWARD, "i": i}) for i in range(2)])
        uow.outbox.add([OutboxCommand(f"cmd-awkward-{i}", None, "s", 5001, "close_all", {**AWKWARD, "i": i},
                                      f"c{i}", at) for i in range(2)])
        uow.commit()
    with psycopg.connect(fresh_url) as conn:
        payloads = [r[0] for r in conn.execute("SELECT payload FROM audit_log WHERE id = ANY(%s) ORDER BY id", (ids,))]
        details = [r[0] for r in conn.execute(
            "SELECT detail FROM domain_events WHERE event_id LIKE 'evt-awkward-%' ORDER BY event_id")]
        commands = [r[0] for r in conn.execute(
            "SELECT command FROM outbox WHERE command_id LIKE 'cmd-awkward-%' ORDER BY command_id")]
    assert payloads == [{**AWKWARD, "i": i} for i in range(3)]
    assert details == [{**AWKWARD, "i": i} for i in range(2)]
    assert commands == [{**AWKWARD, "i": i} for i in range(2)]
    ok = _cli(fresh_url, "audit", "verify")
    assert ok.returncode == 0 and "3 rows" in ok.stdout


def test_a_chain_its_owner_rewrote_and_rehashed_is_caught_by_the_seals(fresh_url) -> None:
    """The review's experiment: as the table's owner, disable the trigger, rewrite a row, recompute the hash
    of it and of every row after it, move the head. The chain alone looks whole; the seals, made with a key
    PostgreSQL cannot use, name the rewritten row."""
    assert _cli(fresh_url, "migrate").returncode == 0
    with UnitOfWork(fresh_url) as uow:
        ids = uow.audit.append(
            [
                AuditEntry("payout.approved", {"amount": f"{100 * (i + 1)}.00", "i": i}, 7, "s", 5001,
                           datetime(2026, 11, 25, 12, 0, i, tzinfo=UTC))
                for i in range(5)
            ]
        )
        uow.commit()
    assert _cli(fresh_url, "audit", "verify").returncode == 0
    with psycopg.connect(fresh_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id, created_at, kind, challenge_id, server, login, payload, prev_hash FROM audit_log"
            " WHERE id >= %s ORDER BY id",
            (ids[2],),
        ).fetchall()
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        prev = rows[0][7]
        for row_id, created_at, kind, challenge_id, server, login, payload, _ in rows:
            if row_id == ids[2]:
                payload = {**payload, "amount": "300000.00"}
            digest = row_hash(row_id, created_at, kind, challenge_id, server, login, payload, prev)
            conn.execute(
                "UPDATE audit_log SET payload = %s, prev_hash = %s, hash = %s WHERE id = %s",
                (psycopg.types.json.Jsonb(payload), prev, digest, row_id),
            )
            prev = digest
        conn.execute("UPDATE audit_chain_head SET last_hash = %s WHERE singleton", (prev,))
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
    broken = _cli(fresh_url, "audit", "verify")
    assert broken.returncode == 1, broken.stdout
    assert f"row {ids[2]}:" in broken.stdout and "no longer matches its seal" in broken.stdout


def test_the_application_role_may_only_insert_and_read_the_audit_log(migrated_url, database_url, server) -> None:
    """What the functions connect as (a login in propfirm_app) cannot change, remove or unprotect a row."""
    login = f"propfirm_app_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE propfirm_app").format(sql.Identifier(login)))
    info = psycopg.conninfo.conninfo_to_dict(migrated_url)
    as_app = psycopg.conninfo.make_conninfo(**{**info, "user": login})
    try:
        with UnitOfWork(as_app) as uow:  # the application writes and reads as usual
            [row_id] = uow.audit.append([AuditEntry("test.app_role", {"n": "1"}, None, server, 1)])
            uow.commit()
        with UnitOfWork(as_app) as uow:
            assert uow.fetchone("SELECT kind FROM audit_log WHERE id = %s", (row_id,)) == ("test.app_role",)
            assert uow.fetchone("SELECT equity_points_add_partition('2031-01-01')")[0] in (True, False)
        for statement in (
            "UPDATE audit_log SET kind = 'x' WHERE id = %s",
            "DELETE FROM audit_log WHERE id = %s",
            "TRUNCATE audit_log",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
            "ALTER TABLE audit_log DROP COLUMN seal",
            "ALTER FUNCTION audit_log_refuse() RENAME TO refuse_nothing",
            "DROP TRIGGER audit_log_no_change ON audit_log",
        ):
            with psycopg.connect(as_app) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement, (row_id,) if "%s" in statement else None)
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            for db_url in (migrated_url,):
                with psycopg.connect(db_url, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(login)))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))
