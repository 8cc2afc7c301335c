"""Pure parts of the evaluator: the commands of each decision, deal classification, the save policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
from propfirm.domain import decisions as d
from propfirm.domain import engine
from propfirm.domain.decisions import Decision
from propfirm.domain.events import BalanceOperation, Deal
from propfirm.domain.programs import load_example_programs
from propfirm.evaluation.commands import plan_commands
from propfirm.evaluation.deals import ROLE_BALANCE, ROLE_OTHER, ROLE_SYSTEM, ROLE_TRADE, classify, to_event
from propfirm.evaluation.policy import SavePolicy
from propfirm.queues.messages import BalanceOperationCommand, DealRecord, parse_command
from propfirm.queues.tags import balance_comment

PROGRAM = load_example_programs()["two-step-100k"]
T = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
RESET = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


def decision(kind: str, reason: str) -> Decision:
    return Decision(T, "s1", 5001, kind, "phase1", reason, Decimal("94000"), Decimal("95000"))


def plan(kind: str, reason: str, next_phase: int | None = None, balance: str = "110000"):
    return plan_commands(
        challenge_id=7,
        transition_no=3,
        decision=decision(kind, reason),
        program=PROGRAM,
        next_phase=next_phase,
        balance=Decimal(balance),
        next_reset=RESET,
        issued_at=T,
    )


def test_a_failure_disables_trading_and_closes_everything() -> None:
    planned = plan(d.FAILED, d.MAX_LOSS)
    assert [(c.command_id, c.kind, c.not_before) for c in planned.commands] == [
        ("7:3:disable", "set_trading", None),
        ("7:3:close_all", "close_all", None),
    ]
    assert all(parse_command(orjson.dumps(c.command)) for c in planned.commands)


def test_a_daily_pause_closes_now_and_enables_trading_at_the_next_reset() -> None:
    planned = plan(d.RESTRICTED, d.DAILY_LOSS)
    assert [(c.command_id, c.not_before) for c in planned.commands] == [
        ("7:3:close_all", None),
        ("7:3:disable", None),
        ("7:3:enable", RESET),
    ]
    assert plan(d.RESTRICTED, d.MAX_LOTS).commands == []


def test_a_pass_moves_the_group_resets_the_balance_and_names_the_reset() -> None:
    planned = plan(d.PHASE_PASSED, d.PROFIT_TARGET, next_phase=1)
    assert [c.command_id for c in planned.commands] == [
        "7:3:disable",
        "7:3:move_group",
        "7:3:reset",
        "7:3:enable",
    ]
    move, reset = planned.commands[1].command, planned.commands[2]
    assert move["group"] == "challenge\\phase2"
    assert reset.command["amount"] == "-10000" and planned.reset_command_id == "7:3:reset"
    assert reset.mt5_comment == balance_comment(BalanceOperationCommand.model_validate(reset.command))
    assert plan(d.PHASE_PASSED, d.PROFIT_TARGET, next_phase=1).commands == planned.commands  # deterministic
    exact = plan(d.FUNDED, d.PROFIT_TARGET, next_phase=2, balance="100000")
    assert exact.reset_command_id is None and "7:3:reset" not in [c.command_id for c in exact.commands]


def record(
    action: str, entry: str = "in", comment: str = "", ticket: int = 1, time: datetime = T
) -> DealRecord:
    return DealRecord(
        ticket=ticket,
        login=5001,
        time=time,
        action=action,
        entry=entry,
        symbol="EURUSD",
        volume=Decimal(1),
        price=Decimal(1),
        profit=Decimal("-500"),
        commission=Decimal(0),
        swap=Decimal(0),
        position=9,
        comment=comment,
    )


def test_deals_become_engine_events_except_the_systems_own() -> None:
    ours = {(5001, "phase reset#abcdefghij"): "7:3:reset"}
    trade = classify(record("sell", "out"), ours, set())
    payout = classify(record("balance", comment="payout 1"), ours, set())
    reset = classify(record("balance", comment="phase reset#abcdefghij"), ours, set())
    funding = classify(record("balance", ticket=42), ours, {42})
    commission = classify(record("commission"), ours, set())
    assert [c.role for c in (trade, payout, reset, funding, commission)] == [
        ROLE_TRADE,
        ROLE_BALANCE,
        ROLE_SYSTEM,
        ROLE_SYSTEM,
        ROLE_OTHER,
    ]
    assert reset.system_command == "7:3:reset"
    start = T - timedelta(hours=1)
    assert isinstance(to_event(trade, "s1", start), Deal)
    event = to_event(payout, "s1", start)
    assert isinstance(event, BalanceOperation) and event.amount == Decimal("-500")
    assert to_event(reset, "s1", start) is None and to_event(commission, "s1", start) is None
    assert to_event(payout, "s1", T + timedelta(seconds=1)) is None  # before the phase began


def test_the_save_policy_writes_what_a_lost_cache_could_not_rebuild() -> None:
    policy = SavePolicy(save_every_snapshots=5)
    state = engine.new_challenge(PROGRAM, 5001, T, server="s1")
    moved = state.copy()
    moved.equity = Decimal("99000")
    assert not policy.must_save(state, moved, deals_applied=False, unsaved=1)
    assert policy.must_save(state, moved, deals_applied=False, unsaved=5)
    assert policy.must_save(state, moved, deals_applied=True, unsaved=1)
    counted = moved.copy()
    counted.trading_days = 1
    assert policy.must_save(state, counted, deals_applied=False, unsaved=1)
    charged = moved.copy()  # a charge MT5 booked without a deal the engine judges: only the balance says so
    charged.balance = Decimal("99990")
    assert policy.must_save(state, charged, deals_applied=False, unsaved=1)
    assert policy.keeps_point(None, T, Decimal(1), Decimal(100000))
    assert not policy.keeps_point(
        (T, Decimal(100000)), T + timedelta(seconds=30), Decimal(99500), Decimal(100000)
    )
    assert policy.keeps_point(
        (T, Decimal(100000)), T + timedelta(seconds=30), Decimal(98900), Decimal(100000)
    )
    assert policy.keeps_point(
        (T, Decimal(100000)), T + timedelta(seconds=60), Decimal(100000), Decimal(100000)
    )
