"""The audit chain's arithmetic (no database) and the evaluator's settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from propfirm.evaluation.settings import EvaluatorSettings
from propfirm.settings import SettingsError, load
from propfirm.store.audit import GENESIS_HASH, row_hash, verify_chain
from propfirm.store.seals import HmacSealer, seal_message

T = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SEALER = HmacSealer(b"k" * 32)


def chain(n: int, sealed_from: int = 1, payloads: dict[int, dict] | None = None, sealer=SEALER) -> list[tuple]:
    """Rows 1..n, hashed; sealed from row `sealed_from` on; `payloads` replaces some rows' content."""
    rows, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        payload = (payloads or {}).get(i, {"amount": f"{i}.00"})
        digest = row_hash(i, T, "k", 7, "s", 5001, payload, prev)
        seal = sealer.seal(seal_message(i, digest)) if i >= sealed_from else None
        rows.append((i, T, "k", 7, "s", 5001, payload, prev, digest, seal))
        prev = digest
    return rows


def test_a_whole_chain_verifies_and_each_kind_of_break_is_named() -> None:
    rows = chain(4)
    assert verify_chain(iter(rows), (4, rows[-1][8]), SEALER).ok
    changed = [*rows[:2], (*rows[2][:6], {"amount": "300.00"}, *rows[2][7:]), rows[3]]
    report = verify_chain(iter(changed), (4, rows[-1][8]), SEALER)
    assert (report.ok, report.broken_id, report.rows) == (False, 3, 2)
    assert "does not match its hash" in report.problem
    gap = verify_chain(iter([rows[0], rows[2], rows[3]]), (4, rows[-1][8]), SEALER)
    assert gap.broken_id == 3 and "missing" in gap.problem
    cut = verify_chain(iter(rows[:3]), (4, rows[-1][8]), SEALER)
    assert cut.broken_id == 4 and "chain head" in cut.problem


def test_a_chain_rewritten_and_rehashed_by_whoever_owns_the_table_is_caught_by_its_seals() -> None:
    rows = chain(6)
    # the owner rewrites row 3 and recomputes every hash after it (the chain alone looks whole again)
    forged = chain(6, payloads={3: {"amount": "3000000.00"}}, sealer=HmacSealer(b"a key the owner made up" * 2))
    forged = [(*f[:9], r[9]) for f, r in zip(forged, rows, strict=True)]  # the seals stay the writer's
    report = verify_chain(iter(forged), (6, forged[-1][8]), SEALER)
    assert (report.ok, report.broken_id, report.rows) == (False, 3, 2)
    assert "no longer matches its seal" in report.problem
    # rows from before sealing began are covered by the later seals; an unsealed row after them is not
    legacy = chain(5, sealed_from=3)
    assert verify_chain(iter(legacy), (5, legacy[-1][8]), SEALER).unsealed == 2
    hole = [*legacy[:3], (*legacy[3][:9], None), legacy[4]]
    assert verify_chain(iter(hole), (5, legacy[-1][8]), SEALER).broken_id == 4
    # another key's seals do not verify
    assert verify_chain(iter(rows), (6, rows[-1][8]), HmacSealer(b"x" * 32)).broken_id == 1


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
