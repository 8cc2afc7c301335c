"""Where a snapshot belongs among the deals of its message: after the late deals its balance holds."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from propfirm.domain import engine
from propfirm.domain.events import BalanceOperation, Deal, Snapshot, Start
from propfirm.domain.programs import load_example_programs
from propfirm.evaluation.placement import late_deals_held, place_snapshot

from tests.instants import MONDAY_JANUARY

T0 = MONDAY_JANUARY
PROGRAM = load_example_programs()["two-step-100k"]
LOGIN = 42


def _deal(ticket: int, minutes: int, profit: str, commission: str = "0") -> Deal:
    return Deal(T0 + timedelta(minutes=minutes), LOGIN, ticket, "out", "EURUSD", Decimal(1), Decimal(profit),
                ticket, commission=Decimal(commission))


def _started():
    state = engine.evaluate(PROGRAM, None, Start(T0, LOGIN, PROGRAM.id)).state
    return engine.evaluate(PROGRAM, state, Snapshot(T0, LOGIN, Decimal(100000), Decimal(100000))).state


def test_the_fewest_late_deals_that_meet_the_balance_are_held() -> None:
    late = [_deal(1, 5, "300", "-5"), _deal(2, 6, "-95"), _deal(3, 7, "50")]
    assert late_deals_held(Decimal(100000), Decimal(100000), late) == 0  # the read held none
    assert late_deals_held(Decimal(100000), Decimal("100295"), late) == 1
    assert late_deals_held(Decimal(100000), Decimal("100200.00"), late) == 2  # scales do not matter
    assert late_deals_held(Decimal(100000), Decimal("100250"), late) == 3
    assert late_deals_held(Decimal(100000), Decimal("123"), late) == 0  # the balances do not tell: as stamped
    deposit = BalanceOperation(T0 + timedelta(minutes=8), LOGIN, Decimal(1000))
    assert late_deals_held(Decimal(100000), Decimal(101000), [deposit]) == 1


def test_a_snapshot_is_moved_after_the_deals_it_holds_and_dated_at_the_last() -> None:
    state = _started()
    early, late1, late2 = _deal(1, 1, "100"), _deal(2, 20, "200"), _deal(3, 30, "400")
    snapshot = Snapshot(T0 + timedelta(minutes=10), LOGIN, Decimal(100300), Decimal(100300))
    events = [(early.time, 0, early), (snapshot.time, 1, snapshot), (late1.time, 0, late1), (late2.time, 0, late2)]
    placed = place_snapshot(PROGRAM, state, events)
    assert [e for _, _, e in placed][:2] == [early, late1]
    assert placed[2][2].time == late1.time and placed[2][2].balance == Decimal(100300)
    assert placed[3][2] is late2
    for _, _, event in placed:
        state = engine.evaluate(PROGRAM, state, event).state
    assert state.balance + state.deals_since_snapshot == Decimal(100700)  # each deal once


def test_a_snapshot_that_holds_no_late_deal_stays_where_it_was() -> None:
    state = _started()
    late = _deal(2, 20, "200")
    snapshot = Snapshot(T0 + timedelta(minutes=10), LOGIN, Decimal(100000), Decimal(100000))
    events = [(snapshot.time, 1, snapshot), (late.time, 0, late)]
    assert place_snapshot(PROGRAM, state, events) == events
    assert place_snapshot(PROGRAM, state, events[:1]) == events[:1]
