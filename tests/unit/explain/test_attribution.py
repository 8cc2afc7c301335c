"""Attribution on generated trading between two judged snapshots: every part is the sum it names, and the
parts add up to the equity change to the cent (and beyond: amounts are exact)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from propfirm.domain.events import BalanceOperation, Deal, Snapshot
from propfirm.explain.attribution import attribute

T0 = datetime(2026, 1, 9, 21, 0, tzinfo=UTC)  # a Friday evening: the weekend and a rollover ahead
cents = st.integers(min_value=-500_000, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
small_cents = st.integers(min_value=-2_000, max_value=0).map(lambda c: Decimal(c).scaleb(-2))


def snapshot(minutes: int, balance: Decimal, equity: Decimal) -> Snapshot:
    return Snapshot(T0 + timedelta(minutes=minutes), 5001, balance, equity)


def deal(minutes: int, ticket: int, entry: str, profit: Decimal, commission: Decimal, swap: Decimal) -> Deal:
    return Deal(T0 + timedelta(minutes=minutes), 5001, ticket, entry, "EURUSD", Decimal("0.10"), profit, ticket,
                commission, swap)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    fills=st.lists(st.tuples(st.sampled_from(["in", "out", "inout"]), cents, small_cents, small_cents), max_size=60),
    operations=st.lists(cents, max_size=3),
    floating_before=cents,
    floating_after=cents,
    unexplained=st.sampled_from([Decimal(0), Decimal("0.01"), Decimal("-12.34")]),
)
def test_every_part_is_what_it_names_and_they_add_up(fills, operations, floating_before, floating_after,
                                                     unexplained) -> None:
    balance = Decimal("100000.00")
    events: list = []
    closed = commission = swap = Decimal(0)
    for i, (entry, profit, fee, night) in enumerate(fills):
        if entry == "in":
            profit, night = Decimal(0), Decimal(0)  # an opening fill books only its commission
        events.append(deal(i, 1000 + i, entry, profit, fee, night))
        closed, commission, swap = closed + profit, commission + fee, swap + night
    for j, amount in enumerate(operations):
        events.append(BalanceOperation(T0 + timedelta(minutes=100 + j), 5001, amount, f"op {j}"))
    moved = sum(operations, Decimal(0))
    after_balance = balance + closed + commission + swap + moved + unexplained
    last = snapshot(200, after_balance, after_balance + floating_after)
    parts = attribute(balance, balance + floating_before, [*events, last])
    assert parts["closed_profit"] == closed
    assert parts["commission"] == commission
    assert parts["swap"] == swap
    assert parts["balance_operations"] == moved
    assert parts["other_balance"] == unexplained
    assert parts["open_positions"] == floating_after - floating_before
    assert parts["total"] == last.equity - (balance + floating_before)
    assert sum(v for k, v in parts.items() if k != "total") == parts["total"]


def test_a_spread_widening_at_rollover_is_the_open_positions_alone() -> None:
    # 23:00 server time: the spread widens from 0.3 to 4.0 pips on 10 lots; no fill, the quote moves
    before = snapshot(0, Decimal("100000.00"), Decimal("99970.00"))
    after = snapshot(2, Decimal("100000.00"), Decimal("99600.00"))
    parts = attribute(before.balance, before.equity, [after])
    assert parts["open_positions"] == Decimal("-370.00") == parts["total"]
    assert all(parts[k] == 0 for k in ("closed_profit", "commission", "swap", "balance_operations",
                                       "other_balance"))


def test_a_swap_night_then_the_close_books_the_swap() -> None:
    before = snapshot(0, Decimal("100000.00"), Decimal("100150.00"))  # +150 floating
    night = snapshot(180, Decimal("100000.00"), Decimal("100128.60"))  # swap charged while open: −21.40
    overnight = attribute(before.balance, before.equity, [night])
    assert overnight["open_positions"] == Decimal("-21.40") and overnight["swap"] == 0
    closing = deal(240, 77, "out", Decimal("150.00"), Decimal("-7.00"), Decimal("-21.40"))
    closed = snapshot(241, Decimal("100121.60"), Decimal("100121.60"))
    parts = attribute(night.balance, night.equity, [closing, closed])
    assert (parts["closed_profit"], parts["commission"], parts["swap"]) == (
        Decimal("150.00"), Decimal("-7.00"), Decimal("-21.40"))
    assert parts["open_positions"] == Decimal("-128.60")  # the floating result (swap included) left with it
    assert parts["total"] == Decimal("-7.00")


def test_commission_heavy_scalping_and_a_weekend_gap() -> None:
    fills = []
    balance = Decimal("100000.00")
    for k in range(50):  # 50 round trips of 5 lots at 3.50 a lot a side
        fills.append(deal(k, 2 * k, "in", Decimal(0), Decimal("-17.50"), Decimal(0)))
        fills.append(deal(k, 2 * k + 1, "out", Decimal("12.00"), Decimal("-17.50"), Decimal(0)))
        balance += Decimal("12.00") - Decimal("35.00")
    friday = snapshot(60, balance, balance)
    parts = attribute(Decimal("100000.00"), Decimal("100000.00"), [*fills, friday])
    assert parts["commission"] == Decimal("-1750.00") and parts["closed_profit"] == Decimal("600.00")
    assert parts["total"] == Decimal("-1150.00")
    # a position held over the weekend: Monday opens 80 pips lower on 2 lots
    held = snapshot(61, balance, balance - Decimal("10.00"))
    monday = snapshot(3 * 24 * 60, balance, balance - Decimal("1610.00"))
    gap = attribute(held.balance, held.equity, [monday])
    assert gap["open_positions"] == Decimal("-1600.00") == gap["total"]
