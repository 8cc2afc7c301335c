"""The rule variants firms publish beyond the first format: limits in money, consistency over winning
days and a daily profit cap, profitable and qualifying days, a per-trade loss limit, a daily floor that
trails the day's high, exposure caps by symbol class. Each worked example is a firm's published one
(`../shared/reference/prop-firm-rules.md`, section and vector numbers cited), worked out by hand.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from propfirm.domain.engine import evaluate
from propfirm.domain.events import Position, Snapshot
from propfirm.domain.programs import ProgramError, parse_program
from propfirm.domain.rule_words import describe_phase
from propfirm.domain.state import ChallengeState

from .helpers import Account, D, T, failed, make_program, passed, restricted

# -- limits in money -------------------------------------------------------------------------------------------


def test_topstep_maximum_loss_limit_in_money_trails_closing_balances_and_locks_vector_16():
    # Vector 16 (Topstep help, "What is the Maximum Loss Limit?"): 50K, $2,000 trailing the end-of-day
    # balance; day-end balances 50,500 -> 50,000 -> 52,500 give 48,500 -> 48,500 -> 50,000, then locked.
    program = make_program(size="50000", max_loss_amount="2000", max_loss_mode="trailing_eod", trailing_lock=True)
    acct = Account(program, at="2026-03-02 06:00")
    assert acct.state.max_floor == D("48000")
    acct.snap("2026-03-02 20:00", "50500.00")
    acct.snap("2026-03-03 08:00", "50500.00")
    assert acct.state.max_floor == D("48500")
    acct.snap("2026-03-03 20:00", "50000.00")
    acct.snap("2026-03-04 08:00", "50000.00")
    assert acct.state.max_floor == D("48500")
    acct.snap("2026-03-04 20:00", "52500.00")
    acct.snap("2026-03-05 08:00", "52500.00")
    assert acct.state.max_floor == D("50000")
    acct.snap("2026-03-05 20:00", "56000.00")
    acct.snap("2026-03-06 08:00", "56000.00")
    assert acct.state.max_floor == D("50000")  # locked at the start balance for good
    assert acct.snap("2026-03-06 09:00", "56000.00", "50000.00") == [failed("max_loss", "50000.00", "50000")]


def test_topstep_intraday_equity_through_the_money_floor_liquidates_vector_16():
    program = make_program(size="50000", max_loss_amount="2000", max_loss_mode="trailing_eod", trailing_lock=True)
    acct = Account(program, at="2026-03-02 06:00")
    acct.snap("2026-03-02 20:00", "50500.00")
    assert acct.snap("2026-03-03 10:00", "50500.00", "48499.00") == [failed("max_loss", "48499.00", "48500")]


def test_amounts_on_a_150k_account_are_exact_to_the_cent():
    # $2,000 daily and $4,000 maximum on 150K are 1.333…% and 2.666…%: no percentage gives these floors.
    program = make_program(size="150000", daily_loss_amount="2000", max_loss_amount="4000")
    acct = Account(program)
    assert acct.state.daily_floor == D("148000") and acct.state.max_floor == D("146000")
    assert str(acct.floor.level) == "148000"
    assert acct.snap("2026-03-02 10:00", "150000.00", "148000.00") == [failed("daily_loss", "148000.00", "148000")]


def test_blue_guardian_futures_standard_50k_in_money_section_1_9():
    # Section 1.9 (help.blueguardianfutures.com 9969853): target $3,000, daily $1,250, drawdown $2,500 EOD.
    program = make_program(
        size="50000",
        profit_target_amount="3000",
        daily_loss_amount="1250",
        max_loss_amount="2500",
        max_loss_mode="trailing_eod",
    )
    acct = Account(program)
    assert acct.state.daily_floor == D("48750") and acct.state.max_floor == D("47500")
    acct.trade("2026-03-02 09:00", "2026-03-02 10:00", 1, profit="3000")
    assert acct.snap("2026-03-02 10:01", "53000.00", positions=[]) == [passed("53000.00", "53000", "funded")]


def test_a_daily_amount_moves_with_balance_operations_like_a_percentage():
    acct = Account(make_program(daily_loss_amount="3000", daily_loss_basis="balance"))
    acct.op("2026-03-02 09:00", "-1000.00", "withdrawal")
    assert acct.state.daily_floor == D("96000")


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"daily_loss_pct": 5, "daily_loss_amount": "5000"}, "daily_loss_amount", "either daily_loss_pct or"),
        ({"max_loss_pct": 10, "max_loss_amount": "10000"}, "max_loss_amount", "not both"),
        ({"profit_target_pct": 10, "profit_target_amount": "10000"}, "profit_target_amount", "not both"),
        ({"max_loss_amount": "100000"}, "max_loss_amount", "less than the account size"),
        ({"daily_loss_amount": "500", "daily_loss_reference": "day_start"}, "daily_loss_reference", "fixed"),
        ({"daily_loss_pct": 5, "daily_loss_basis": "intraday_high", "daily_loss_reference": "day_start"},
         "daily_loss_reference", "intraday_high"),
        ({"daily_loss_amount": "500", "daily_loss_basis": "intraday_high", "daily_loss_evaluation": "end_of_day"},
         "daily_loss_evaluation", "intraday"),
        ({"daily_loss_amount": "500", "daily_loss_basis": "intraday_high", "daily_loss_open_pnl": False},
         "daily_loss_open_pnl", "open result"),
        ({"consistency_basis": "winning_days"}, "consistency_basis", "consistency_pct"),
        ({"daily_profit_cap_pct": 40}, "daily_profit_cap_pct", "needs a target"),
        ({"profitable_day_pct": "0.5"}, "min_profitable_days", "how many"),
        ({"max_trade_loss_action": "restrict"}, "max_trade_loss_action", "max_trade_loss_pct"),
        ({"exposure_caps": [{"name": "gold", "symbols": ["XAU*"], "max_lots": 5},
                            {"name": "gold", "symbols": ["XAG*"], "max_lots": 5}]}, "exposure_caps", "twice"),
        ({"daily_loss_amount": "-5"}, "daily_loss_amount", "greater than 0"),
        ({"exposure_caps": [{"name": "crypto", "symbols": ["BTC*"]}]}, "exposure_caps[0]", "one of the two"),
        ({"exposure_caps": [{"name": "crypto", "symbols": ["BTC*"], "max_lots": 1, "max_value_pct": 20}]},
         "exposure_caps[0]", "either max_lots or max_value_pct"),
    ],
)
def test_contradictory_or_impossible_combinations_are_refused_naming_the_field(fields, field, reason):
    with pytest.raises(ProgramError) as caught:
        make_program(**fields)
    assert caught.value.field == f"phases[0].{field}", caught.value
    assert reason in caught.value.reason, caught.value.reason


def test_a_refused_file_names_its_line(tmp_path):
    from propfirm.domain.programs import load_program_file

    path = tmp_path / "p.yaml"
    path.write_text(
        "id: p\naccount_size: '50000'\nphases:\n  - group: g\n    max_loss_pct: 4\n    max_loss_amount: '2000'\n"
    )
    with pytest.raises(ProgramError) as caught:
        load_program_file(path)
    reason = "give either max_loss_pct or max_loss_amount, not both"
    assert str(caught.value) == f"{path}:6: phases[0].max_loss_amount: {reason}"


# -- consistency over winning days, and the daily profit cap ---------------------------------------------------


def _days(acct: Account, profits: list[int], balance: int = 100000) -> int:
    """One closed trade a day from Monday 2 March, a snapshot after each; the balance at the end."""
    for i, profit in enumerate(profits):
        day = f"2026-03-{2 + i:02d}"
        acct.trade(f"{day} 09:00", f"{day} 10:00", i + 1, profit=str(profit))
        balance += profit
        acct.snap(f"{day} 10:01", f"{balance}.00", positions=[])
    return balance


def test_e8_best_day_over_net_profit_blocks_and_over_winning_days_allows_vector_18():
    # Vector 18 (E8 Signature, intercom 11865587): days +1,100, +900, -400, +1,500: net 3,100. At 45% of the
    # net (1,395) the 1,500 day blocks; at 45% of the winning days (3,500 -> 1,575) it does not.
    net = Account(make_program(profit_target_amount="3000", consistency_pct=45))
    _days(net, [1100, 900, -400, 1500])
    assert net.decisions == []
    winning = Account(make_program(profit_target_amount="3000", consistency_pct=45, consistency_basis="winning_days"))
    _days(winning, [1100, 900, -400, 1500])
    assert winning.decisions == [passed("103100.00", "103000", "funded")]


def test_e8_thirty_five_percent_blocks_on_either_basis_vector_18():
    for basis in ("net_profit", "winning_days"):
        acct = Account(make_program(profit_target_amount="3000", consistency_pct=35, consistency_basis=basis))
        _days(acct, [1100, 900, -400, 1500])
        assert acct.decisions == [], basis  # 35% of 3,100 is 1,085 and of 3,500 is 1,225: both under 1,500


def test_hyrotrader_daily_cap_counts_only_forty_percent_of_the_target_a_day_vector_21():
    # Vector 21 (HyroTrader FAQ): 5k account, target 500; day 1 +320, then +100, +40, +22, +18. Only 200 of
    # day 1 counts (40% x 500), so 380 is counted and the target is not met; 120 more on a sixth day is.
    acct = Account(make_program(size="5000", profit_target_pct=10, daily_profit_cap_pct=40))
    balance = _days(acct, [320, 100, 40, 22, 18], balance=5000)
    assert balance == 5500 and acct.decisions == []
    acct.trade("2026-03-07 09:00", "2026-03-07 10:00", 9, profit="120")
    assert acct.snap("2026-03-07 10:01", "5620.00", positions=[]) == [passed("5620.00", "5620", "funded")]


def test_the_daily_cap_counts_todays_excess_before_the_day_closes():
    acct = Account(make_program(size="5000", profit_target_pct=10, daily_profit_cap_pct=40))
    acct.trade("2026-03-02 09:00", "2026-03-02 10:00", 1, profit="600")
    assert acct.snap("2026-03-02 10:01", "5600.00", positions=[]) == []  # 600 made, 200 of it counts


def test_e8_futures_forty_percent_raises_the_target_to_best_day_over_share_vector_19():
    # Vector 19 (E8 Futures 10149902; Blue Guardian Futures 10248773): a best day of 1,500 needs 3,750 in all.
    acct = Account(make_program(size="50000", profit_target_amount="3000", consistency_pct=40))
    _days(acct, [1500, 1500], balance=50000)
    assert acct.decisions == []  # 3,000 total: the target, but 1,500 > 40% of it
    acct.trade("2026-03-04 09:00", "2026-03-04 10:00", 7, profit="750")
    assert acct.snap("2026-03-04 10:01", "53750.00", positions=[]) == [passed("53750.00", "53000", "funded")]


# -- profitable days and qualifying trading days ---------------------------------------------------------------


def test_the5ers_three_profitable_days_of_half_a_percent_section_1_3():
    # Section 1.3 (The5ers High Stakes): 3 profitable days per phase, each with closed profit >= 0.5% of
    # the initial balance (500 on 100k). Day 2's +400 is not one; the target met on day 3 waits for day 4.
    program = make_program(profit_target_pct=8, min_profitable_days=3, profitable_day_pct="0.5")
    acct = Account(program)
    balance = _days(acct, [600, 400, 7000])
    assert balance == 108000 and acct.decisions == [] and acct.state.profitable_days == 1
    acct.trade("2026-03-05 09:00", "2026-03-05 10:00", 9, profit="500")
    assert acct.snap("2026-03-05 10:01", "108500.00", positions=[]) == [passed("108500.00", "108000", "funded")]


def test_topstep_winning_days_are_counted_from_an_amount_section_1_6():
    # Section 1.6 (Topstep Express Funded): a winning day makes at least $200 (one version of the rule).
    program = make_program(
        size="50000", profit_target_amount="3000", min_profitable_days=5, profitable_day_amount="200"
    )
    acct = Account(program)
    _days(acct, [200, 199, 1000, 250, 201], balance=50000)
    assert acct.state.profitable_days == 3  # the fifth day is still open: it counts once the day closes
    assert acct.decisions == []
    acct.snap("2026-03-07 08:00", "51850.00")
    assert acct.state.profitable_days == 4


def test_xpert_a_day_counts_only_when_the_balance_moved_half_a_percent_section_1_11():
    # Section 1.11 (Xpert Funding): a trading day counts only if the balance changes by >= 0.5%, either way.
    program = make_program(profit_target_pct=10, min_trading_days=2, qualifying_day_min_result_pct="0.5")
    acct = Account(program)
    _days(acct, [300, -600, 499, 500])
    assert acct.state.trading_days == 2  # -600 and +500; +300 and +499 moved too little


def test_a_days_result_is_what_its_snapshots_and_its_deals_since_show():
    program = make_program(profit_target_pct=10, min_trading_days=3, qualifying_day_min_result_pct="0.5")
    acct = Account(program)
    acct.trade("2026-03-02 09:00", "2026-03-02 10:00", 1, profit="800")
    acct.snap("2026-03-02 10:01", "100800.00")
    assert acct.state.trading_days == 1  # counted as soon as a snapshot shows the move
    acct.trade("2026-03-03 09:00", "2026-03-03 10:00", 2, profit="-800")
    assert acct.state.trading_days == 1  # no snapshot of 3 March saw the loss yet ...
    acct.snap("2026-03-04 08:00", "100000.00")
    assert acct.state.trading_days == 2  # ... but its deal did: 3 March closed at -800 and counts
    acct.snap("2026-03-04 08:01", "100000.00")
    assert acct.state.trading_days == 2  # and the 4th traded nothing
    acct.snap("2026-03-04 09:00", "100000.00")
    acct.trade("2026-03-04 10:00", "2026-03-04 11:00", 3, profit="-300")
    acct.snap("2026-03-05 08:00", "99700.00")
    assert acct.state.trading_days == 2  # -300 moved too little


def test_a_day_counts_only_after_the_lots_opened_reach_the_minimum():
    program = make_program(profit_target_pct=10, min_trading_days=1, qualifying_day_min_lots="1.00")
    acct = Account(program)
    acct.deal("2026-03-02 09:00", "in", 1, volume="0.50")
    assert acct.state.trading_days == 0
    acct.deal("2026-03-02 09:30", "in", 2, volume="0.50")
    assert acct.state.trading_days == 1
    acct.deal("2026-03-03 09:00", "in", 3, volume="0.10")
    assert acct.state.trading_days == 1


def test_hyrotrader_a_day_counts_with_a_trade_of_five_percent_that_moved_one_percent_of_its_value():
    # HyroTrader's FAQ, "Minimum trading days" (hyrotrader.com/faqs/10-minimum-trading-dys/): each trade at
    # least 5% of the initial balance in value, its PnL at least ±1% of that value. On 10,000: a $600 trade
    # with $90 realised counts (15%); on 100,000 a $12,000 trade with $80 does not (0.66% < 1%: $120 needed).
    def hyro(size: str) -> Account:
        return Account(make_program(
            size=size, profit_target_pct=10, min_trading_days=1,
            qualifying_trade_min_value_pct="5", qualifying_trade_min_result_pct="1",
        ))

    small = hyro("10000")
    small.deal("2026-03-02 09:00", "in", 1, volume="0.01", value="600.00")
    small.deal("2026-03-02 10:00", "out", 1, volume="0.01", profit="90.00", value="690.00")
    assert small.state.trading_days == 1 and small.state.trade_values == {}

    big = hyro("100000")
    big.deal("2026-03-02 09:00", "in", 1, volume="0.12", value="12000.00")
    big.deal("2026-03-02 10:00", "out", 1, volume="0.12", profit="80.00", value="12080.00")
    assert big.state.trading_days == 0  # 80 < 120
    big.deal("2026-03-02 11:00", "in", 2, volume="0.12", value="12000.00")
    big.deal("2026-03-02 12:00", "out", 2, volume="0.12", profit="-120.00")
    assert big.state.trading_days == 1  # a loss of 1% of the value counts as much as a gain


def test_a_day_counts_once_the_value_opened_reaches_a_share_of_the_size():
    # "a day counts only when its traded notional reaches a share of the account size": 100% of 10,000
    program = make_program(size="10000", profit_target_pct=10, min_trading_days=1,
                           qualifying_day_min_value_pct="100")
    acct = Account(program)
    acct.deal("2026-03-02 09:00", "in", 1, volume="0.05", value="5500.00")
    acct.deal("2026-03-02 09:30", "out", 1, volume="0.05", profit="10.00", value="5510.00")
    assert acct.state.trading_days == 0  # what closes a trade opens nothing
    acct.deal("2026-03-02 10:00", "in", 2, volume="0.04", value="4499.99")
    assert acct.state.trading_days == 0 and acct.state.day_value == D("9999.99")
    acct.deal("2026-03-02 11:00", "in", 3, volume="0.01", value="0.01")
    assert acct.state.trading_days == 1
    acct.deal("2026-03-03 09:00", "in", 4, volume="0.50")  # no value given: adds nothing
    assert acct.state.trading_days == 1 and acct.state.day_value == 0


def test_the_words_say_what_a_qualifying_trade_is():
    program = make_program(
        size="10000", profit_target_pct=10, min_trading_days=10,
        qualifying_trade_min_value_pct="5", qualifying_trade_min_result_pct="1",
    )
    words = " ".join(describe_phase(program, 0))
    assert "if you also close a trade worth at least" in words and "500" in words
    assert "gained or lost at least 1% of its value" in words
    by_day = make_program(size="10000", profit_target_pct=10, min_trading_days=3, qualifying_day_min_value_pct="50")
    assert "if you also open trades worth at least 5,000.00 USD in all that day" in " ".join(describe_phase(by_day, 0))


def test_a_qualifying_trade_is_judged_on_its_value_opened_and_all_its_deals_when_it_closes():
    program = make_program(
        size="10000", profit_target_pct=10, min_trading_days=2,
        qualifying_trade_min_value_pct="5", qualifying_trade_min_result_pct="1",
    )
    acct = Account(program)
    acct.deal("2026-03-02 09:00", "in", 1, volume="0.01", value="300.00")  # 300 + 300 opened: 600 ≥ 500
    acct.deal("2026-03-02 09:10", "in", 1, volume="0.01", value="300.00", commission="-1.00")
    acct.deal("2026-03-02 09:20", "out", 1, volume="0.01", profit="3.00")
    assert acct.state.trading_days == 0  # still open: judged when it closes
    acct.deal("2026-03-02 09:30", "out", 1, volume="0.01", profit="4.00")
    assert acct.state.trading_days == 1  # 3 + 4 − 1 = 6 ≥ 1% of 600
    acct.deal("2026-03-03 09:00", "in", 2, volume="0.01", value="499.99")
    acct.deal("2026-03-03 10:00", "out", 2, volume="0.01", profit="100.00")
    assert acct.state.trading_days == 1  # too small a trade, however well it did
    acct.deal("2026-03-03 11:00", "in", 3, volume="0.01")  # no value given: never a qualifying trade
    acct.deal("2026-03-03 12:00", "out", 3, volume="0.01", profit="100.00")
    assert acct.state.trading_days == 1
    acct.deal("2026-03-03 13:00", "in", 4, volume="0.01", value="500.00")
    acct.deal("2026-03-03 14:00", "out", 4, volume="0.01", profit="5.00")
    assert acct.state.trading_days == 2  # both at their minimum exactly


def test_a_trade_opened_yesterday_qualifies_the_day_it_closes_if_that_day_traded():
    # trading_day: opened (HyroTrader: "on each trading day, you must open at least one position")
    program = make_program(
        size="10000", profit_target_pct=10, min_trading_days=1, trading_day="opened",
        qualifying_trade_min_value_pct="5",
    )
    acct = Account(program)
    acct.deal("2026-03-02 09:00", "in", 1, volume="0.01", value="600.00")
    acct.deal("2026-03-03 09:00", "out", 1, volume="0.01", profit="10.00")
    assert acct.state.trading_days == 0  # closed on the 3rd, where nothing was opened yet
    acct.deal("2026-03-03 10:00", "in", 2, volume="0.01", value="10.00")
    assert acct.state.trading_days == 1  # the 3rd now opened a position and closed a qualifying trade


# -- per-trade loss --------------------------------------------------------------------------------------------


def _snap_with(acct: Account, at: str, balance: str, equity: str, *profits: str) -> list[tuple]:
    positions = tuple(Position("EURUSD", D("1"), "buy", D(p)) for p in profits)
    outcome = evaluate(acct.program, acct.state, Snapshot(T(at), acct.login, D(balance), D(equity), positions))
    acct.state = outcome.state
    return [(x.decision, x.reason, x.equity, x.limit) for x in outcome.decisions]


def test_blue_guardian_shield_a_two_percent_floating_loss_on_one_trade_section_1_9():
    # Section 1.9 (Blue Guardian's Guardian Shield; FTUK's Account Protector, section 1.11): one position's
    # floating loss of 2% (2,000 on 100k) is the limit, at the touch.
    acct = Account(make_program(daily_loss_pct=5, max_loss_pct=10, max_trade_loss_pct=2))
    assert _snap_with(acct, "2026-03-02 10:00", "100000.00", "98100.00", "-1999.99", "100.00") == []
    assert _snap_with(acct, "2026-03-02 10:01", "100000.00", "98000.00", "-2000.00") == [
        failed("max_trade_loss", "98000.00", "2000")
    ]


def test_a_per_trade_restriction_is_taken_once_per_turn_from_kept_to_broken():
    program = make_program(max_trade_loss_amount="1000", max_trade_loss_action="restrict", breach_at="below")
    acct = Account(program)
    assert _snap_with(acct, "2026-03-02 10:00", "100000.00", "99000.00", "-1000.00") == []  # below, not at
    assert _snap_with(acct, "2026-03-02 10:01", "100000.00", "98999.00", "-1000.01") == [
        restricted("max_trade_loss", "98999.00", "1000")
    ]
    assert _snap_with(acct, "2026-03-02 10:02", "100000.00", "98000.00", "-2000.00") == []
    assert _snap_with(acct, "2026-03-02 10:03", "100000.00", "100000.00") == []
    assert _snap_with(acct, "2026-03-02 10:04", "100000.00", "98000.00", "-2000.00") == [
        restricted("max_trade_loss", "98000.00", "1000")
    ]


def test_a_closed_position_is_judged_on_all_its_deals_at_the_next_snapshot():
    from propfirm.domain.events import Deal

    acct = Account(make_program(max_trade_loss_amount="1000"))
    deals = [("in", "2.00", "0", "-7"), ("out", "1.00", "-600", "-7"), ("out", "1.00", "-380", "-7")]
    for i, (entry, volume, profit, commission) in enumerate(deals):
        acct._apply(Deal(T(f"2026-03-02 09:0{i}"), acct.login, i + 1, entry, "EURUSD", D(volume), D(profit), 5,
                         D(commission)))
    # -600 - 380 in profit and 3 x -7 commission: -1,001
    assert acct.snap("2026-03-02 09:10", "98999.00", positions=[]) == [failed("max_trade_loss", "98999.00", "1000")]


# -- a daily floor trailing the day's high ---------------------------------------------------------------------


def test_the_daily_floor_trails_the_days_intraday_equity_high():
    program = make_program(daily_loss_amount="3000", daily_loss_basis="intraday_high")
    acct = Account(program)
    assert acct.state.daily_floor == D("97000")
    acct.snap("2026-03-02 10:00", "100000.00", "102500.00")
    assert acct.state.daily_floor == D("99500") and acct.floor.level == D("99500")
    acct.snap("2026-03-02 11:00", "100000.00", "101000.00")
    assert acct.state.daily_floor == D("99500")  # it never falls within the day
    assert acct.snap("2026-03-02 12:00", "100000.00", "99500.00") == [failed("daily_loss", "99500.00", "99500")]


def test_the_days_high_starts_again_from_the_equity_at_the_reset():
    acct = Account(make_program(daily_loss_amount="3000", daily_loss_basis="intraday_high", max_loss_pct=10))
    acct.snap("2026-03-02 10:00", "100000.00", "104000.00")
    acct.snap("2026-03-02 23:00", "100000.00", "99000.00")  # 101,000 floor is breached: fails
    assert acct.decisions == [failed("daily_loss", "99000.00", "101000")]
    fresh = Account(make_program(daily_loss_amount="3000", daily_loss_basis="intraday_high", max_loss_pct=10))
    fresh.snap("2026-03-02 10:00", "100000.00", "102000.00")
    fresh.snap("2026-03-02 23:00", "100000.00", "99500.00")
    fresh.snap("2026-03-03 08:00", "100000.00", "99500.00")
    assert fresh.state.daily_floor == D("96500") and fresh.decisions == []


# -- exposure caps --------------------------------------------------------------------------------------------


def test_e8_caps_lots_in_gold_apart_from_the_rest_section_1_5():
    # Section 1.5 (E8 operational limits): 50 lots on FX, 20 on XAUUSD.
    program = make_program(
        exposure_caps=[
            {"name": "metals", "symbols": ["XAU*", "XAG*"], "max_lots": 20},
            {"name": "fx", "symbols": ["EUR*", "GBP*", "USD*"], "max_lots": 50},
        ]
    )
    acct = Account(program)

    def snap(at: str, *positions: tuple[str, str]) -> list[tuple]:
        listed = tuple(Position(symbol, D(lots), "buy") for symbol, lots in positions)
        outcome = evaluate(program, acct.state, Snapshot(T(at), acct.login, D("100000"), D("100000"), listed))
        acct.state = outcome.state
        return [(x.decision, x.reason, x.equity, x.limit) for x in outcome.decisions]

    assert snap("2026-03-02 10:00", ("XAUUSD", "20"), ("EURUSD", "50")) == []
    assert snap("2026-03-02 10:01", ("XAUUSD", "15"), ("XAGUSD", "5.5"), ("EURUSD", "50.01")) == [
        restricted("exposure_cap", "100000", "20"),
        restricted("exposure_cap", "100000", "50"),
    ]
    assert snap("2026-03-02 10:02", ("XAUUSD", "21")) == []  # still broken: no new decision
    assert snap("2026-03-02 10:03", ("XAUUSD", "1")) == []
    assert snap("2026-03-02 10:04", ("XAUUSD", "21")) == [restricted("exposure_cap", "100000", "20")]


def test_a_cap_on_the_value_held_sums_what_the_positions_are_worth_finotive_notional_exposure():
    # Finotive Funding ("What is notional volume", help.finotivefunding.com, article 60): each open
    # position's notional value (lots × current price) summed and compared against the account size. Here
    # crypto may hold at most 20% of 100,000 (20,000) and everything together at most 30x (3,000,000).
    program = make_program(
        exposure_caps=[
            {"name": "crypto", "symbols": ["BTC*", "ETH*"], "max_value_pct": "20"},
            {"name": "all", "symbols": ["*"], "max_value_pct": "3000"},
        ]
    )
    acct = Account(program)

    def snap(at: str, *positions: tuple[str, str | None]) -> list[tuple]:
        listed = tuple(Position(symbol, D("1"), "buy", None, None if value is None else D(value))
                       for symbol, value in positions)
        outcome = evaluate(program, acct.state, Snapshot(T(at), acct.login, D("100000"), D("100000"), listed))
        acct.state = outcome.state
        return [(x.decision, x.reason, x.equity, x.limit) for x in outcome.decisions]

    assert acct.state is not None and snap("2026-03-02 10:00", ("BTCUSD", "12000.00"), ("ETHUSD", "8000.00")) == []
    assert snap("2026-03-02 10:01", ("BTCUSD", "12000.01"), ("ETHUSD", "8000.00")) == [
        restricted("exposure_cap", "100000", "20000")
    ]
    assert snap("2026-03-02 10:02", ("BTCUSD", "1.00"), ("EURUSD", "2999999.00")) == []
    assert snap("2026-03-02 10:03", ("EURUSD", "2999999.00"), ("GBPUSD", "1.01")) == [
        restricted("exposure_cap", "100000", "3000000")
    ]
    # a position whose value is not given adds nothing to a cap on value (the poller always gives it)
    assert snap("2026-03-02 10:04", ("BTCUSD", None), ("ETHUSD", None)) == []
    words = " ".join(describe_phase(program, 0))
    assert "At most positions worth 20,000.00 USD (20% of the account size) at once in crypto (BTC*, ETH*)." in words


# -- state and words ------------------------------------------------------------------------------------------


def test_a_version_1_state_loads_with_the_new_counters_at_their_start():
    acct = Account(make_program(profit_target_pct=10))
    data = acct.state.to_dict()
    for name in ("day_lots", "day_high", "day_traded", "profitable_days", "winning_profit", "capped_excess",
                 "trade_results", "pending_trade_loss", "trade_loss_broken", "exposure_broken"):
        del data[name]
    data["version"] = 1
    loaded = ChallengeState.from_dict(data)
    assert loaded.profitable_days == 0 and loaded.day_high == D("100000") and loaded.trade_results == {}
    assert loaded.trade_values == {} and loaded.day_trade_qualified is False
    assert loaded.to_dict()["version"] == 3
    with pytest.raises(ValueError, match="version 4"):
        ChallengeState.from_dict({**data, "version": 4})


def test_a_version_2_state_loads_with_no_qualifying_trade_yet():
    acct = Account(make_program(profit_target_pct=10))
    data = acct.state.to_dict()
    del data["trade_values"], data["day_trade_qualified"], data["day_value"]
    data["version"] = 2
    loaded = ChallengeState.from_dict(data)
    assert loaded.trade_values == {} and loaded.day_trade_qualified is False and loaded.day_value == 0
    assert loaded.to_dict() == acct.state.to_dict()


def test_the_words_give_money_limits_and_each_new_rule():
    program = parse_program(
        {
            "id": "futures-50k",
            "account_size": "50000",
            "phases": [
                {
                    "group": "g",
                    "profit_target_amount": "3000",
                    "daily_loss_amount": "1250",
                    "daily_loss_basis": "intraday_high",
                    "max_loss_amount": "2000",
                    "max_loss_mode": "trailing_eod",
                    "trailing_lock": True,
                    "consistency_pct": 40,
                    "consistency_basis": "winning_days",
                    "daily_profit_cap_pct": 50,
                    "min_trading_days": 3,
                    "qualifying_day_min_result_pct": "0.5",
                    "min_profitable_days": 2,
                    "profitable_day_amount": "200",
                    "max_trade_loss_amount": "500",
                    "max_trade_loss_action": "restrict",
                    "exposure_caps": [{"name": "metals", "symbols": ["XAU*"], "max_lots": 3}],
                }
            ],
        }
    )
    words = " ".join(describe_phase(program, 0))
    for part in (
        "a balance of 53,000.00 USD, with no position open",
        "counts toward the target up to 1,500.00 USD",
        "move the balance by at least 250.00 USD either way",
        "At least 2 profitable days: days closing with a profit of at least 200.00 USD",
        "40% of the winning days' profit",
        "the highest equity since the 00:00 UTC reset minus 1,250.00 USD",
        "trails the highest balance at a day's close by 2,000.00 USD; it stops rising at 50,000.00 USD",
        "a position losing 500.00 USD or more breaks the rule",
        "At most 3 lots open at once in metals (XAU*)",
    ):
        assert part in words, (part, words)


def test_the_money_helpers_agree_with_percentages_where_both_can_say_it():
    by_pct = make_program(profit_target_pct=10, daily_loss_pct=5, max_loss_pct=10).phases[0]
    by_amount = make_program(profit_target_amount="10000", daily_loss_amount="5000", max_loss_amount="10000").phases[0]
    size = Decimal(100000)
    for name in ("target_profit", "fixed_daily_limit", "max_loss_limit"):
        assert getattr(by_pct, name)(size) == getattr(by_amount, name)(size) != None  # noqa: E711
