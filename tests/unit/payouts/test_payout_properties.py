"""Properties of the payout arithmetic over generated periods (hypothesis): the shares add up exactly to
the gross, nothing is negative, tiers apply in order, the amount never exceeds the profit, and the
balance cross-check holds exactly when the deals explain the balance. Plus the program's withdrawal
choice (the whole profit or the trader's share) and what the floors do after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from propfirm.domain.payouts import TradeDeal, assess, balance_check, quantize
from propfirm.domain.programs import parse_program

from tests.unit.domain.helpers import Account
from tests.unit.payouts.test_payout_arithmetic import program

START = datetime(2026, 4, 1, 8, tzinfo=UTC)
NOW = START + timedelta(days=30)

cents = st.integers(min_value=-500_000, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
costs = st.integers(min_value=-2_000, max_value=0).map(lambda c: Decimal(c).scaleb(-2))
positions = st.lists(st.tuples(cents, costs, costs), min_size=0, max_size=25)
pcts = st.integers(min_value=1, max_value=10_000).map(lambda bp: Decimal(bp).scaleb(-2))  # 0.01 .. 100


def _deals(rows: list[tuple[Decimal, Decimal, Decimal]]) -> list[TradeDeal]:
    deals: list[TradeDeal] = []
    for i, (profit, commission, swap) in enumerate(rows):
        at = START + timedelta(hours=3 * i + 1)
        deals.append(TradeDeal(2 * i + 1, i + 1, at, "in", Decimal(1), Decimal(0), commission, Decimal(0)))
        deals.append(TradeDeal(2 * i + 2, i + 1, at + timedelta(hours=1), "out", Decimal(1), profit, commission, swap))
    return deals


@settings(max_examples=300, deadline=None)
@given(rows=positions, split=pcts, previous=st.integers(min_value=0, max_value=12), trader_share=st.booleans())
def test_shares_add_up_to_the_gross_and_nothing_is_negative(
    rows: list[tuple[Decimal, Decimal, Decimal]], split: Decimal, previous: int, trader_share: bool
) -> None:
    prog = program(
        {
            "profit_split_pct": str(split),
            "split_tiers": [],
            "payout_min_amount": "0",
            "payout_withdraws": "trader_share" if trader_share else "profit",
        }
    )
    q = assess(
        prog, deals=_deals(rows), previous_payouts=previous, period_start=START, now=NOW, funded=True, active=True
    ).quote
    profit = sum((p + 2 * c + s for p, c, s in rows), Decimal(0))
    assert q.profit == profit  # exact
    for value in (q.gross, q.amount, q.split_share, q.firm_share, q.trader_share, q.fee_refund):
        assert value >= 0
    assert q.split_share + q.firm_share == q.gross  # exactly, after rounding
    assert q.gross == (quantize(profit, "USD") if profit > 0 else 0)
    assert q.gross <= max(profit, Decimal(0))  # rounding never pays out more than was made
    assert q.split_share <= profit * split / 100 or profit <= 0
    assert q.amount == (q.split_share if trader_share else q.gross)
    assert q.trader_share == q.split_share + q.fee_refund
    assert q.fee_refund == (Decimal(540) if previous == 0 else 0)


@settings(max_examples=200, deadline=None)
@given(
    tiers=st.lists(st.tuples(st.integers(1, 20), pcts), min_size=1, max_size=5, unique_by=lambda t: t[0]),
    base=pcts,
    previous=st.integers(min_value=0, max_value=25),
)
def test_tiers_apply_in_order_of_paid_payouts(tiers: list[tuple[int, Decimal]], base: Decimal, previous: int) -> None:
    prog = program(
        {
            "profit_split_pct": str(base),
            "split_tiers": [{"after_payouts": a, "pct": str(p)} for a, p in reversed(tiers)],
        }
    )
    rows = [(Decimal("1000.00"), Decimal(0), Decimal(0))]
    q = assess(
        prog, deals=_deals(rows), previous_payouts=previous, period_start=START, now=NOW, funded=True, active=True
    ).quote
    reached = [p for a, p in sorted(tiers) if previous >= a]
    assert q.split_pct == (reached[-1] if reached else base)  # the highest tier reached, whatever the file order


@settings(max_examples=200, deadline=None)
@given(
    rows=positions,
    ops=st.lists(cents, max_size=4),
    paid=st.lists(cents.filter(lambda c: c > 0), max_size=3),
    missing=cents,
)
def test_the_balance_check_holds_exactly_when_the_deals_explain_the_balance(
    rows: list[tuple[Decimal, Decimal, Decimal]], ops: list[Decimal], paid: list[Decimal], missing: Decimal
) -> None:
    size = Decimal("100000")
    profit = sum((p + 2 * c + s for p, c, s in rows), Decimal(0))
    withdrawals = [-p for p in paid]  # each paid payout withdrew its profit
    stage_ops = sum(ops, Decimal(0)) + sum(withdrawals, Decimal(0))
    balance = size + stage_ops + sum(paid, Decimal(0)) + profit  # what MT5 would show
    check = balance_check(
        balance=balance, size=size, stage_balance_ops=stage_ops, paid_before=sum(paid, Decimal(0)), profit=profit
    )
    assert check.ok and check.expected == profit
    off = balance_check(
        balance=balance + missing,
        size=size,
        stage_balance_ops=stage_ops,
        paid_before=sum(paid, Decimal(0)),
        profit=profit,
    )
    assert off.ok == (missing == 0) and off.difference == missing


def test_withdrawing_only_the_trader_share_leaves_the_firm_share_and_the_floors_move_by_what_left() -> None:
    # a funded stage with a 5% daily loss from the day's start balance and a 10% static maximum loss
    funded = {
        "name": "funded",
        "group": "funded\\standard",
        "funded": True,
        "daily_loss_pct": 5,
        "max_loss_pct": 10,
        "profit_split_pct": 80,
    }
    for withdraws, amount in (("profit", Decimal("4000.00")), ("trader_share", Decimal("3200.00"))):
        prog = parse_program(
            {
                "id": f"p-{withdraws}",
                "account_size": "100000",
                "day_reset": {"time": "00:00", "zone": "UTC"},
                "phases": [{**funded, "payout_withdraws": withdraws}],
            }
        )
        account = Account(prog, at="2026-04-01 08:00")
        account.trade("2026-04-02 09:00", "2026-04-02 10:00", 1, profit="4000")
        account.snap("2026-04-02 10:01", "104000")
        account.snap("2026-04-03 09:00", "104000")  # next day: the day starts at 104k
        assert account.floor.level == Decimal("99000")  # 104k - 5k
        q = assess(
            prog,
            deals=_deals([(Decimal("4000"), Decimal(0), Decimal(0))]),
            previous_payouts=0,
            period_start=START,
            now=NOW,
            funded=True,
            active=True,
        ).quote
        assert q.amount == amount and q.split_share + q.firm_share == Decimal("4000.00")
        account.op("2026-04-03 09:05", f"-{q.amount}", "payout 1")
        account.snap("2026-04-03 09:06", str(Decimal(104000) - q.amount))
        # the day's floor moves down by what left the account; the static floor stays at 90k
        assert account.floor.level == Decimal("99000") - q.amount
        assert account.decisions == []


def _trailing(rebase: bool | None, mode: str = "trailing_balance") -> object:
    phase = {
        "name": "funded",
        "group": "funded\\e8",
        "funded": True,
        "max_loss_pct": 6,
        "max_loss_mode": mode,
        "profit_split_pct": 80,
    }
    if rebase is not None:
        phase["payout_rebase"] = rebase
    return parse_program(
        {
            "id": f"trail-{rebase}-{mode}",
            "account_size": "100000",
            "day_reset": {"time": "00:00", "zone": "UTC"},
            "phases": [phase],
        }
    )


def test_a_program_that_rebases_restarts_the_trailing_floor_after_a_payout_as_a_transition_of_its_own() -> None:
    for rebase, floor_after, decisions in (
        (None, Decimal("97000"), []),  # the default keeps the floor (E8): 3k of room less
        (False, Decimal("97000"), []),
        (True, Decimal("94000"), [("rebased", "payout", Decimal("100000"), Decimal("94000"))]),
    ):
        account = Account(_trailing(rebase), at="2026-04-01 08:00")
        account.trade("2026-04-02 09:00", "2026-04-02 10:00", 1, profit="3000")
        account.snap("2026-04-02 10:01", "103000")
        assert account.floor.level == Decimal("97000")  # 103k - 6% of 100k (E8: 97k)
        assert account.op("2026-04-03 09:00", "-3000", "payout 17") == decisions, rebase
        account.snap("2026-04-03 09:01", "100000")
        assert account.floor.level == floor_after, rebase
        assert account.decisions == decisions  # and nothing else: the withdrawal is never a breach


def test_only_a_payout_rebases_and_a_static_floor_has_nothing_to_restart() -> None:
    account = Account(_trailing(True), at="2026-04-01 08:00")
    account.trade("2026-04-02 09:00", "2026-04-02 10:00", 1, profit="3000")
    account.snap("2026-04-02 10:01", "103000")
    assert account.op("2026-04-03 09:00", "-500", "withdrawal") == []  # an operator's correction: no rebase
    assert account.op("2026-04-03 09:05", "250", "payout 17 reversed") == []  # money in: no rebase
    account.snap("2026-04-03 09:06", "102750")
    assert account.floor.level == Decimal("97000")

    static = Account(_trailing(True, mode="static"), at="2026-04-01 08:00")
    static.trade("2026-04-02 09:00", "2026-04-02 10:00", 1, profit="3000")
    static.snap("2026-04-02 10:01", "103000")
    assert static.op("2026-04-03 09:00", "-3000", "Payout 18#abc") == [
        ("rebased", "payout", Decimal("100000"), Decimal("94000"))  # recorded; the static floor stays
    ]
    static.snap("2026-04-03 09:01", "100000")
    assert static.floor.level == Decimal("94000")
