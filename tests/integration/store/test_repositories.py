"""Repositories on real PostgreSQL: optimistic concurrency, idempotent deals, programs as versions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from propfirm.domain.programs import ProgramError
from propfirm.store.deals import DealRow
from propfirm.store.errors import ConcurrencyConflict, ProgramConflict
from propfirm.store.programs import load_program_path
from propfirm.store.registration import register_account_challenge
from propfirm.store.uow import UnitOfWork

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_a_save_on_a_stale_version_is_refused(migrated_url, server) -> None:
    with UnitOfWork(migrated_url) as uow:
        cid = register_account_challenge(
            uow, server, 5001, "two-step-100k", trader_email="a@example.com", time=T0
        )
        uow.commit()
    with UnitOfWork(migrated_url) as first, UnitOfWork(migrated_url) as second:
        a = first.challenges.get(cid)
        b = second.challenges.get(cid)
        assert a.version == b.version == 1
        assert first.challenges.save(a, state=a.state, status="active", phase=0) == 2
        first.commit()
        with pytest.raises(ConcurrencyConflict):
            second.challenges.save(b, state=b.state, status="active", phase=0)


def test_registration_is_idempotent_and_keeps_the_program_version(migrated_url, server) -> None:
    with UnitOfWork(migrated_url) as uow:
        first = register_account_challenge(
            uow, server, 7, "two-step-100k", phase=1, trader_email="B@example.com", time=T0
        )
        again = register_account_challenge(
            uow, server, 7, "two-step-100k", trader_email="b@example.com", time=T0
        )
        uow.commit()
        record = uow.challenges.get(first)
    assert first == again
    assert record.phase == 1 and record.state["phase_index"] == 1 and record.state["balance"] == "100000"
    assert record.program_version >= 1


def test_deals_are_stored_once_per_server_and_ticket(migrated_url, server) -> None:
    deal = DealRow(
        server,
        71,
        5001,
        None,
        T0,
        "buy",
        "in",
        "EURUSD",
        Decimal("1.00"),
        Decimal("1.08"),
        Decimal("0"),
        Decimal("-3.50"),
        Decimal("0"),
        9001,
        0,
        "",
        "trade",
    )
    with UnitOfWork(migrated_url) as uow:
        assert uow.deals.upsert([deal]) == 1
        assert uow.deals.upsert([deal, deal.__class__(**{**deal.__dict__, "ticket": 72})]) == 1
        uow.commit()
        assert uow.deals.count(server, 5001) == 2


def test_programs_load_adds_a_version_only_for_a_new_definition(migrated_url, tmp_path: Path) -> None:
    source = Path(__file__).parents[3] / "layers/propfirm/examples/programs/two-step-100k.yaml"
    data = yaml.safe_load(source.read_text())
    data["id"] = f"load-test-{tmp_path.name[-8:]}".replace("_", "-")
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    with UnitOfWork(migrated_url) as uow:
        assert [r.describe() for r in load_program_path(uow, path)] == [f"{data['id']} v1 added"]
        assert [r.added for r in load_program_path(uow, path)] == [False]
        data["phases"][0]["profit_target_pct"] = 8
        path.write_text(yaml.safe_dump(data))
        [changed] = load_program_path(uow, path)
        assert (changed.version, changed.added) == (2, True)
        assert uow.programs.get(data["id"], 1).phases[0].profit_target_pct == 10
        assert uow.programs.get(data["id"], 2).phases[0].profit_target_pct == 8
        data["version"] = 1  # naming an existing version with other content is refused
        path.write_text(yaml.safe_dump(data))
        with pytest.raises(ProgramConflict):
            load_program_path(uow, path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\naccount_size: -5\nphases: []\n")
    with UnitOfWork(migrated_url) as uow, pytest.raises(ProgramError):
        load_program_path(uow, bad)


def test_a_stored_abuse_policy_leaves_out_the_detectors_added_later_at_their_default() -> None:
    """A program written before the grid detector keeps its content hash (so its version) once the policy
    knows of it; a program that sets it stores it."""
    from propfirm.domain.programs import parse_program
    from propfirm.store.programs import definition_of

    body = {"id": "abuse-hash", "account_size": "100000", "phases": [{"group": "g"}]}
    before = {**body, "abuse": {"hedging": "restrict", "copy_trading": "flag", "latency_arbitrage": "flag",
                                "martingale": "flag"}}
    stored = definition_of(parse_program({**body, "abuse": {"hedging": "restrict"}}))
    assert stored["abuse"] == before["abuse"]  # what was stored before the grid detector: the same hash
    assert definition_of(parse_program({**body, "abuse": {"grid": "restrict"}}))["abuse"]["grid"] == "restrict"
    assert "abuse" not in definition_of(parse_program(body))
