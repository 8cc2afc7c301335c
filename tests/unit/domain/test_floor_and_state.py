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


def test_the_day_starts_from_the_balance_at_the_reset_the_deals_closed_after_the_last_snapshot_included():
    # A poller reads every few seconds: a trade closed in the last seconds before the reset is in no
    # snapshot of the day. The balance at the reset is the last snapshot's and the deals since (profit,
    # commission, swap), so the new day's floor is not set from a balance the account no longer had.
    acct = Account(make_program(daily_loss_pct=5, max_loss_pct=10, profit_target_pct=10))
    acct.deal("2026-03-02 09:00", "in", 1, commission="-3.50")
    acct.snap("2026-03-02 23:59:58", "99996.50", "98500.00", positions=["1.00"])
    acct.deal("2026-03-02 23:59:59", "out", 1, profit="-1500.00", commission="-3.50")
    assert acct.snap("2026-03-03 00:00:01", "98493.00", "98493.00", positions=[]) == []
    assert acct.state.daily_floor == Decimal("93493.00")  # 98,493 - 5% of 100,000, not 99,996.50 - 5,000
    assert acct.state.day_start_balance == Decimal("98493.00") and acct.state.deals_since_snapshot == 0
    # a deal the next snapshot already holds (it reached the evaluator late) is not counted again
    acct.deal("2026-03-02 23:59:59.500000", "out", 2, profit="-10.00")
    assert acct.state.deals_since_snapshot == 0


def test_the_end_of_day_high_water_mark_is_the_closing_balance_with_the_last_deals():
    acct = Account(make_program(size="50000", max_loss_amount="2000", max_loss_mode="trailing_eod",
                                profit_target_amount="3000"))
    acct.snap("2026-03-02 20:00", "50551.63", "50551.63", positions=[])
    acct.deal("2026-03-02 23:58", "in", 1, commission="-2.63")  # a commission minutes before the close
    acct.snap("2026-03-03 00:05", "50549.00", "50549.00", positions=["1.00"])
    assert acct.state.high_water == Decimal("50549.00") and acct.state.max_floor == Decimal("48549.00")


def test_a_balance_operation_a_later_snapshot_holds_is_not_added_to_the_balance_again():
    acct = Account(make_program(daily_loss_pct=5, max_loss_pct=10, profit_target_pct=10))
    acct.snap("2026-03-02 10:00", "100500.00", "100500.00")  # it holds the 500 deposit of 09:00
    acct.op("2026-03-02 09:00", "500.00", "deposit")  # which reaches the engine after it
    assert acct.state.ops_since_snapshot == 0 and acct.state.phase_ops == Decimal("500.00")
    acct.snap("2026-03-03 00:01", "100500.00", "100500.00")
    assert acct.state.day_start_balance == Decimal("100500.00")  # not 101,000
