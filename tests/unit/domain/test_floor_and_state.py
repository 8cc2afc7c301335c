"""The equity floor for the poller's fast path, and state serialization."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from decimal import Decimal

import pytest
from propfirm.domain.engine import evaluate
from propfirm.domain.events import Snapshot
from propfirm.domain.floors import EquityFloor
from propfirm.domain.state import ChallengeState

from .helpers import Account, T, make_program


def test_the_floor_is_the_highest_intraday_loss_floor_until_the_next_reset():
    acct = Account(
        make_program(zone="Europe/Prague", daily_loss_pct=5, max_loss_pct=10), at="2026-03-02 08:00"
    )
    floor = acct.floor
    assert (floor.level, floor.reason, floor.action, floor.breach_at) == (
        Decimal(95000),
        "daily_loss",
        "fail",
        "touch",
    )
    assert floor.expires_at == T("2026-03-02 23:00")  # midnight in Prague (CET)
    assert floor.is_breached(Decimal("95000"), T("2026-03-02 22:59"))
    assert not floor.is_breached(Decimal("95000.01"), T("2026-03-02 22:59"))
    assert not floor.is_breached(Decimal("1"), T("2026-03-02 23:00"))  # expired: ignored
    with pytest.raises(FrozenInstanceError):
        floor.level = Decimal(0)  # type: ignore[misc]


def test_the_maximum_loss_floor_wins_a_tie_and_when_higher():
    acct = Account(make_program(daily_loss_pct=5, max_loss_pct=10))
    acct.snap("2026-03-02 22:00", "96000.00")
    acct.snap("2026-03-03 22:00", "95000.00")
    acct.snap("2026-03-04 01:00", "95000.00")  # daily 90,000 = max 90,000
    assert (acct.floor.level, acct.floor.reason) == (Decimal(90000), "max_loss")


def test_floors_not_compared_with_live_equity_are_left_out():
    closed_only = Account(make_program(daily_loss_pct=5, daily_loss_open_pnl=False, max_loss_pct=10))
    assert (closed_only.floor.level, closed_only.floor.reason) == (Decimal(90000), "max_loss")
    end_of_day = Account(make_program(daily_loss_pct=5, daily_loss_evaluation="end_of_day", max_loss_pct=10))
    assert end_of_day.floor.reason == "max_loss"
    only_closed_daily = Account(make_program(daily_loss_pct=5, daily_loss_open_pnl=False))
    assert only_closed_daily.floor is None
    assert Account(make_program()).floor is None


def test_a_pause_floor_says_so_and_leaves_once_it_paused():
    acct = Account(
        make_program(daily_loss_pct=3, daily_loss_action="pause", max_loss_pct=10, breach_at="below")
    )
    assert (acct.floor.level, acct.floor.action, acct.floor.breach_at) == (Decimal(97000), "pause", "below")
    acct.snap("2026-03-02 10:00", "100000.00", "96000.00")
    assert (acct.floor.level, acct.floor.action) == (Decimal(90000), "fail")


def test_floor_round_trips_through_json():
    floor = Account(make_program(daily_loss_pct=5)).floor
    assert EquityFloor.from_dict(json.loads(json.dumps(floor.to_dict()))) == floor


def test_state_round_trips_through_json_and_evaluate_leaves_its_input_alone():
    acct = Account(
        make_program(
            daily_loss_pct=5,
            max_loss_pct=6,
            max_loss_mode="trailing_balance",
            trading_day="opened_and_closed",
            consistency_pct=40,
            profit_target_pct=10,
        )
    )
    acct.deal("2026-03-02 09:00", "in", 7, volume="2.00")
    acct.deal("2026-03-02 09:30", "out", 7, volume="1.00", profit="300")
    acct.op("2026-03-02 09:45", "-100.00", "fee")
    acct.snap("2026-03-02 10:00", "100200.00", "100100.00", positions=["1.00"])
    data = json.loads(json.dumps(acct.state.to_dict()))
    assert data["version"] == 3 and isinstance(data["balance"], str)
    restored = ChallengeState.from_dict(data)
    assert restored == acct.state
    before = acct.state.to_dict()
    outcome = evaluate(
        acct.program, restored, Snapshot(T("2026-03-02 11:00"), 5001, Decimal("90000"), Decimal("90000"))
    )
    assert outcome.decisions and restored.to_dict() == before


def test_state_of_an_unknown_version_is_refused():
    data = Account(make_program()).state.to_dict()
    data["version"] = 99
    with pytest.raises(ValueError, match="version"):
        ChallengeState.from_dict(data)


def test_a_snapshot_delivered_twice_is_judged_once():
    # The evaluator gets messages at least once: the pass must not be taken again in phase 2.
    program = make_program(
        profit_target_pct=5, phases=[{"name": "phase2", "group": "challenge\\phase2", "profit_target_pct": 5}]
    )
    acct = Account(program)
    snapshot = Snapshot(T("2026-03-02 10:00"), 5001, Decimal("110000"), Decimal("110000"), ())
    first = evaluate(program, acct.state, snapshot)
    assert [d.decision for d in first.decisions] == ["phase_passed"]
    again = evaluate(program, first.state, snapshot)
    assert again.ignored and again.decisions == () and again.state is first.state
    older = Snapshot(T("2026-03-02 09:00"), 5001, Decimal("50000"), Decimal("50000"), ())
    assert evaluate(program, first.state, older).ignored


def test_a_late_deal_still_counts_and_never_turns_the_clocks_back():
    acct = Account(make_program(min_trading_days=1))
    acct.snap("2026-03-02 10:00", "100000.00")
    acct.deal("2026-03-02 09:59", "in", 1)
    assert acct.state.trading_days == 1
    assert acct.state.updated_at == T("2026-03-02 10:00")
