"""Passing: target on balance with no position open, together with the minimum trading days and
the consistency share; the phase machine (phase1 -> phase2 -> funded); balance operations."""

from __future__ import annotations

from .helpers import Account, failed, make_program, passed

TWO_STEP = dict(
    profit_target_pct=10,
    daily_loss_pct=5,
    max_loss_pct=10,
    phases=[
        {
            "name": "phase2",
            "group": "challenge\\phase2",
            "profit_target_pct": 5,
            "daily_loss_pct": 5,
            "max_loss_pct": 10,
        }
    ],
)


def test_ftmo_trading_day_counts_on_the_day_opened_vector_7():
    # Vector 7 (FTMO trading objectives): a trade opened Monday and closed Thursday is 1 trading day.
    acct = Account(make_program(profit_target_pct=10, min_trading_days=2), at="2026-03-02 06:00")
    acct.deal("2026-03-02 09:00", "in", 1)  # Monday
    acct.deal("2026-03-05 09:00", "out", 1, profit="10000")  # Thursday
    assert acct.state.trading_days == 1
    assert acct.snap("2026-03-05 09:01", "110000.00", positions=[]) == []  # target, but one day


def test_opened_and_closed_counts_a_day_with_a_position_opened_and_closed_in_it():
    acct = Account(make_program(trading_day="opened_and_closed", profit_target_pct=10))
    acct.deal("2026-03-02 09:00", "in", 1)
    acct.deal("2026-03-03 09:00", "out", 1)  # held overnight: neither day
    assert acct.state.trading_days == 0
    acct.deal("2026-03-03 10:00", "in", 2, volume="2.00")
    acct.deal("2026-03-03 11:00", "out", 2, volume="1.00")  # a partial close counts
    assert acct.state.trading_days == 1
    acct.deal("2026-03-03 12:00", "in", 3)
    acct.deal("2026-03-03 13:00", "out", 3)
    assert acct.state.trading_days == 1  # one day, however many trades


def test_any_deal_counts_a_closing_deal_too():
    acct = Account(make_program(trading_day="any_deal"))
    acct.deal("2026-03-02 09:00", "in", 1)
    acct.deal("2026-03-03 09:00", "out", 1)
    assert acct.state.trading_days == 2


def test_fundednext_minimum_days_target_on_day_3_pass_on_day_5_vector_22():
    # Vector 22 (FundedNext help ja/8021077): the target reached on day 3 is not a pass until 5
    # distinct trading days; the pass comes on the 5th trading day.
    acct = Account(make_program(profit_target_pct=8, min_trading_days=5))
    balance = 100000
    for day in range(2, 7):  # Mon 2 .. Fri 6 March
        acct.trade(f"2026-03-0{day} 09:00", f"2026-03-0{day} 10:00", day, profit="3000")
        balance += 3000 if day <= 4 else 0
        got = acct.snap(f"2026-03-0{day} 10:01", f"{balance}.00", positions=[])
        if day < 6:
            assert got == [], day
        else:
            assert got == [passed("109000.00", "108000", "funded")]


def test_ftmo_best_day_rule_vector_5():
    # Vector 5 (FTMO FAQ, 1-Step best day 50%): +5,000 on one day alone is 100%: not met, not
    # failed; +5,000 more on other days makes it 50%: met.
    acct = Account(make_program(profit_target_pct=5, consistency_pct=50))
    acct.trade("2026-03-02 09:00", "2026-03-02 10:00", 1, profit="5000")
    assert acct.snap("2026-03-02 10:01", "105000.00", positions=[]) == []
    assert acct.state.status == "active"
    acct.trade("2026-03-03 09:00", "2026-03-03 10:00", 2, profit="2500")
    assert acct.snap("2026-03-03 10:01", "107500.00", positions=[]) == []  # 5,000 / 7,500 = 67%
    acct.trade("2026-03-04 09:00", "2026-03-04 10:00", 3, profit="2500")
    assert acct.snap("2026-03-04 10:01", "110000.00", positions=[]) == [
        passed("110000.00", "105000", "funded")
    ]


def test_consistency_counts_losing_days_in_the_total():
    # E8 Signature style net total (vector 18's first case at 35%): +1,100, +900, -400, +1,500:
    # total 3,100, 35% = 1,085 < 1,500 -> not met.
    acct = Account(make_program(profit_target_pct=3, consistency_pct=35))
    balance = 100000
    for day, profit in zip((2, 3, 4, 5), (1100, 900, -400, 1500), strict=True):
        acct.trade(f"2026-03-0{day} 09:00", f"2026-03-0{day} 10:00", day, profit=str(profit))
        balance += profit
        assert acct.snap(f"2026-03-0{day} 10:01", f"{balance}.00", positions=[]) == []


def test_no_pass_with_a_position_open_known_from_deals():
    acct = Account(make_program(profit_target_pct=10))
    acct.deal("2026-03-02 09:00", "in", 1)
    assert acct.snap("2026-03-02 10:00", "110000.00") == []  # no positions listed: deals say open
    acct.deal("2026-03-02 10:30", "out", 1)
    assert acct.snap("2026-03-02 10:31", "110000.00") == [passed("110000.00", "110000", "funded")]


def test_balance_operations_are_no_profit_and_no_trading_day():
    acct = Account(make_program(profit_target_pct=10, min_trading_days=1))
    acct.op("2026-03-02 09:00", "10000.00", "deposit")
    assert acct.state.trading_days == 0
    assert acct.snap("2026-03-02 09:01", "110000.00", positions=[]) == []
    acct.trade("2026-03-02 10:00", "2026-03-02 11:00", 1, profit="10000")
    assert acct.snap("2026-03-02 11:01", "120000.00", positions=[]) == [
        passed("120000.00", "120000", "funded")
    ]


def test_phase_machine_restarts_afresh_and_the_last_evaluation_pass_is_funded():
    acct = Account(make_program(**TWO_STEP, funded={"max_loss_pct": 10}))
    acct.trade("2026-03-02 09:00", "2026-03-02 10:00", 1, profit="10000")
    assert acct.snap("2026-03-02 10:01", "110000.00", positions=[]) == [passed("110000.00", "110000")]
    assert acct.phase == "phase2"
    assert acct.state.daily_floor == 95000 and acct.state.trading_days == 0
    assert acct.snap("2026-03-02 10:05", "100000.00", positions=[]) == []  # the firm's reset
    acct.trade("2026-03-03 09:00", "2026-03-03 10:00", 2, profit="5000")
    assert acct.snap("2026-03-03 10:01", "105000.00", positions=[]) == [
        passed("105000.00", "105000", "funded")
    ]
    assert acct.phase == "funded"
    acct.snap("2026-03-03 10:05", "100000.00", positions=[])
    assert acct.snap("2026-03-04 10:00", "150000.00", positions=[]) == []  # a funded stage never passes
    assert acct.snap("2026-03-04 11:00", "150000.00", "89000.00") == [failed("max_loss", "89000.00", "90000")]


def test_a_breach_after_the_target_still_fails():
    acct = Account(make_program(profit_target_pct=10, max_loss_pct=10, daily_loss_pct=5))
    acct.deal("2026-03-02 09:00", "in", 1)
    assert acct.snap("2026-03-02 23:30", "110000.00", "110500.00") == []  # target, but a position is open
    # the next day's floor is 110,000 - 5,000: the carried position's loss fails the account
    assert acct.snap("2026-03-03 09:30", "110000.00", "104000.00") == [
        failed("daily_loss", "104000.00", "105000")
    ]


def test_a_program_without_a_funded_phase_ends_after_its_last_pass():
    acct = Account(make_program(profit_target_pct=10, funded=False))
    assert acct.snap("2026-03-02 10:00", "110000.00", positions=[]) == [
        passed("110000.00", "110000", "funded")
    ]
    assert acct.state.status == "passed"
    assert acct.snap("2026-03-02 11:00", "50000.00", positions=[]) == []
