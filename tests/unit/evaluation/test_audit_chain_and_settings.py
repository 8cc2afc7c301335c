"""The audit chain's arithmetic (no database) and the evaluator's settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from propfirm.settings import SettingsError, load
from propfirm.store.audit import GENESIS_HASH, row_hash, verify_chain

from functions.evaluator.settings import EvaluatorSettings

T = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def chain(n: int) -> list[tuple]:
    rows, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        payload = {"amount": f"{i}.00"}
        digest = row_hash(i, T, "k", 7, "s", 5001, payload, prev)
        rows.append((i, T, "k", 7, "s", 5001, payload, prev, digest))
        prev = digest
    return rows


def test_a_whole_chain_verifies_and_each_kind_of_break_is_named() -> None:
    rows = chain(4)
    assert verify_chain(iter(rows), (4, rows[-1][8])).ok
    changed = [*rows[:2], (*rows[2][:6], {"amount": "300.00"}, *rows[2][7:]), rows[3]]
    report = verify_chain(iter(changed), (4, rows[-1][8]))
    assert (report.ok, report.broken_id, report.rows) == (False, 3, 2)
    assert "does not match its hash" in report.problem
    gap = verify_chain(iter([rows[0], rows[2], rows[3]]), (4, rows[-1][8]))
    assert gap.broken_id == 3 and "missing" in gap.problem
    cut = verify_chain(iter(rows[:3]), (4, rows[-1][8]))
    assert cut.broken_id == 4 and "chain head" in cut.problem


def test_the_hash_covers_every_field_and_the_previous_hash() -> None:
    base = row_hash(1, T, "k", 7, "s", 5001, {"a": "1"}, GENESIS_HASH)
    assert base == row_hash(1, T, "k", 7, "s", 5001, {"a": "1"}, GENESIS_HASH)
    variants = [
        row_hash(2, T, "k", 7, "s", 5001, {"a": "1"}, GENESIS_HASH),
        row_hash(1, T.replace(microsecond=1), "k", 7, "s", 5001, {"a": "1"}, GENESIS_HASH),
        row_hash(1, T, "x", 7, "s", 5001, {"a": "1"}, GENESIS_HASH),
        row_hash(1, T, "k", 8, "s", 5001, {"a": "1"}, GENESIS_HASH),
        row_hash(1, T, "k", 7, "t", 5001, {"a": "1"}, GENESIS_HASH),
        row_hash(1, T, "k", 7, "s", 5002, {"a": "1"}, GENESIS_HASH),
        row_hash(1, T, "k", 7, "s", 5001, {"a": "2"}, GENESIS_HASH),
        row_hash(1, T, "k", 7, "s", 5001, {"a": "1"}, "1" * 64),
    ]
    assert base not in variants and len(set(variants)) == len(variants)


def test_settings_name_the_missing_queue(monkeypatch) -> None:
    monkeypatch.delenv("COMMAND_QUEUE_URL", raising=False)
    with pytest.raises(SettingsError, match="COMMAND_QUEUE_URL"):
        load(EvaluatorSettings)
    settings = load(EvaluatorSettings, command_queue_url="https://sqs/q.fifo")
    assert settings.db_pool_max == 2 and settings.evaluator_save_every_snapshots == 30
