"""Daily loss: basis at the reset, the limit (share of the size or of the basis), touch/below,
open P/L or closed only, fail or pause, intraday or end of day. Numbers from the firms' published
examples (reference: prop-firm-rules.md section 6), each named where it is used."""

from __future__ import annotations

from .helpers import Account, failed, make_program, restricted

FTMO_TWO_STEP = dict(daily_loss_pct=5, daily_loss_basis="balance", max_loss_pct=10)


def test_ftmo_daily_floor_from_the_balance_at_the_reset_vector_1():
    # Vector 1 (FTMO academy formula): 100,000 initial; balance 105,000 at 00:00 CE(S)T with a
    # position carried in at -2,000 floating: floor 105,000 - 5,000 = 100,000; equity 103,000 is
    # fine; the same position at -5,001 (equity 99,999) breaches. The carried loss leaves 3,000.
    acct = Account(make_program(zone="Europe/Prague", **FTMO_TWO_STEP), at="2026-05-04 06:00")
    assert acct.snap("2026-05-04 21:00", "105000.00", "103000.00") == []  # 23:00 Prague, day 1
    assert acct.snap("2026-05-04 22:00:01", "105000.00", "103000.00") == []  # 00:00:01 Prague, day 2
    assert acct.state.daily_floor == 100000
    assert acct.snap("2026-05-05 08:00", "105000.00", "99999.00") == [
        failed("daily_loss", "99999.00", "100000")
    ]


def test_ftmo_midnight_reset_200k_vector_2():
    # Vector 2 (FTMO academy, $200k at 5%): day start 200,000, +4,000 closed, -13,000 floating:
    # equity 191,000 >= 190,000 is fine until 23:59; at 00:00 the floor is 204,000 - 10,000 = 194,000
    # and the same equity breaches, at the first snapshot after the reset.
    acct = Account(make_program(size="200000", zone="Europe/Prague", **FTMO_TWO_STEP), at="2026-01-12 07:00")
    assert acct.snap("2026-01-12 22:58", "204000.00", "191000.00") == []  # 23:58 CET
    assert acct.snap("2026-01-12 23:00", "204000.00", "191000.00") == [
        failed("daily_loss", "191000.00", "194000")
    ]


def test_fundednext_room_of_7000_after_2000_closed_vector_10():
    # Vector 10 (FundedNext help 9941519): start 100,000, +2,000 closed by noon: the loss allowed
    # for the rest of the day is 7,000, i.e. an equity floor of 95,000 fixed from the day's start.
    acct = Account(make_program(**FTMO_TWO_STEP), at="2026-03-02 00:30")
    assert acct.snap("2026-03-02 12:00", "102000.00", "102000.00") == []
    assert acct.snap("2026-03-02 13:00", "102000.00", "95000.01") == []  # 6,999.99 lost: still fine
    assert acct.snap("2026-03-02 14:00", "102000.00", "95000.00") == [
        failed("daily_loss", "95000.00", "95000")
    ]


def test_alpha_carried_floating_profit_is_not_added_vector_13():
    # Vector 13 (Alpha Capital help 6934210): balance 100,000 and equity 101,000 at the reset:
    # minimum equity 95,000 (the full 6,000 drop from 101k is allowed); equity 99,000 at the reset
    # instead: still 95,000, with 4,000 of room.
    for equity_at_reset in ("101000.00", "99000.00"):
        acct = Account(make_program(**FTMO_TWO_STEP), at="2026-03-02 08:00")
        acct.snap("2026-03-02 23:59", "100000.00", equity_at_reset)
        assert acct.snap("2026-03-03 00:01", "100000.00", "95000.01") == []
        assert acct.state.daily_floor == 95000


def test_higher_of_balance_and_equity_anchor_vector_14():
    # Vector 14 (AquaFunded help 11877600), 100k, 5% of initial from max(balance, equity) at reset:
    # +2,000 floating at the reset -> 97,000; -2,000 floating -> 95,000; flat at 101,000 -> 96,000.
    cases = [
        ("100000.00", "102000.00", 97000),
        ("100000.00", "98000.00", 95000),
        ("101000.00", "101000.00", 96000),
    ]
    for balance, equity, floor in cases:
        acct = Account(make_program(daily_loss_pct=5, daily_loss_basis="balance_or_equity"))
        acct.snap("2026-03-02 23:00", balance, equity)
        acct.snap("2026-03-03 00:30", balance, equity)
        assert acct.state.daily_floor == floor, (balance, equity)


def test_percentage_of_the_anchor_breakout_and_propridge_vector_15():
    # Vector 15: Breakout 1-Step, 4% of the balance at 00:30 UTC, 105,000 -> 100,800;
    # Propridge, 5% of the previous close 105,000 -> 99,750 (a fixed 5% of initial would be 100,000).
    breakout = Account(make_program(reset="00:30", daily_loss_pct=4, daily_loss_reference="day_start"))
    breakout.snap("2026-03-02 23:00", "105000.00")
    breakout.snap("2026-03-03 00:31", "105000.00")
    assert breakout.state.daily_floor == 100800
    assert breakout.snap("2026-03-03 09:00", "105000.00", "100800.00") == [
        failed("daily_loss", "100800.00", "100800")
    ]

    propridge = Account(
        make_program(zone="Europe/Berlin", reset="22:00", daily_loss_pct=5, daily_loss_reference="day_start")
    )
    propridge.snap("2026-03-02 20:00", "105000.00")  # 21:00 CET
    propridge.snap("2026-03-02 21:30", "105000.00")  # 22:30 CET: new day
    assert propridge.state.daily_floor == 99750
    fixed = Account(make_program(zone="Europe/Berlin", reset="22:00", daily_loss_pct=5))
    fixed.snap("2026-03-02 20:00", "105000.00")
    fixed.snap("2026-03-02 21:30", "105000.00")
    assert fixed.state.daily_floor == 100000


def test_equity_basis_takes_the_last_snapshot_before_the_reset():
    acct = Account(make_program(daily_loss_pct=5, daily_loss_basis="equity"))
    acct.snap("2026-03-02 22:00", "100000.00", "103000.00")
    acct.snap("2026-03-02 23:30", "100000.00", "99000.00")  # the last one before the reset
    acct.snap("2026-03-03 01:00", "100000.00", "104000.00")
    assert acct.state.daily_floor == 94000


def test_initial_basis_is_the_account_size_every_day():
    acct = Account(make_program(daily_loss_pct=5, daily_loss_basis="initial"))
    acct.snap("2026-03-02 22:00", "108000.00")
    acct.snap("2026-03-03 01:00", "108000.00")
    assert acct.state.daily_floor == 95000
    acct.op("2026-03-03 02:00", "-3000.00", "payout")  # the initial basis does not move
    assert acct.state.daily_floor == 95000


def test_breach_at_touch_and_below():
    touch = Account(make_program(daily_loss_pct=5))
    assert touch.snap("2026-03-02 10:00", "100000.00", "95000.00") == [
        failed("daily_loss", "95000.00", "95000")
    ]
    below = Account(make_program(daily_loss_pct=5, breach_at="below"))
    assert below.snap("2026-03-02 10:00", "100000.00", "95000.00") == []
    assert below.snap("2026-03-02 10:01", "100000.00", "94999.99") == [
        failed("daily_loss", "94999.99", "95000")
    ]


def test_closed_results_only_compares_the_balance():
    acct = Account(make_program(daily_loss_pct=5, daily_loss_open_pnl=False, max_loss_pct=10))
    assert acct.snap("2026-03-02 10:00", "100000.00", "91000.00") == []  # floating loss: not counted
    assert acct.snap("2026-03-02 11:00", "95000.00", "95000.00") == [
        failed("daily_loss", "95000.00", "95000")
    ]


def test_closed_only_daily_and_max_loss_on_one_snapshot_name_the_highest_floor():
    # Daily floor 95,000 compared on balance, maximum-loss floor 90,000 on equity.
    acct = Account(make_program(daily_loss_pct=5, daily_loss_open_pnl=False, max_loss_pct=10))
    assert acct.snap("2026-03-02 10:00", "94000.00", "89000.00") == [
        failed("daily_loss", "89000.00", "95000")
    ]
    acct = Account(make_program(daily_loss_pct=5, daily_loss_open_pnl=False, max_loss_pct=10))
    assert acct.snap("2026-03-02 10:00", "96000.00", "89000.00") == [failed("max_loss", "89000.00", "90000")]


def test_pause_restricts_once_a_day_and_again_after_the_reset_if_still_breached():
    # E8 Pro soft breach (vector 24): trading disabled until the reset; the account stays active.
    acct = Account(make_program(daily_loss_pct=2, daily_loss_action="pause", max_loss_pct=10))
    assert acct.snap("2026-03-02 10:00", "100000.00", "98000.00") == [
        restricted("daily_loss", "98000.00", "98000")
    ]
    assert acct.snap("2026-03-02 11:00", "100000.00", "97000.00") == []
    assert acct.floor.reason == "max_loss"  # the paused daily floor is out
    assert acct.snap("2026-03-03 00:05", "100000.00", "97500.00") == [
        restricted("daily_loss", "97500.00", "98000")
    ]
    assert acct.snap("2026-03-03 00:10", "100000.00", "90000.00") == [failed("max_loss", "90000.00", "90000")]
    assert acct.state.status == "failed"


def test_end_of_day_judges_the_close_at_the_next_first_snapshot():
    acct = Account(make_program(daily_loss_pct=5, daily_loss_evaluation="end_of_day", max_loss_pct=10))
    assert acct.snap("2026-03-02 12:00", "100000.00", "94000.00") == []  # intraday: not judged
    assert acct.snap("2026-03-02 23:00", "94500.00", "94500.00") == []  # the close: below 95,000
    # judged at the next day's first snapshot, with that snapshot's equity and the old day's floor
    assert acct.snap("2026-03-03 00:10", "94500.00", "96000.00") == [
        failed("daily_loss", "96000.00", "95000")
    ]


def test_end_of_day_pause_gives_way_to_a_failure_on_the_same_snapshot():
    program = make_program(
        daily_loss_pct=5, daily_loss_evaluation="end_of_day", daily_loss_action="pause", max_loss_pct=10
    )
    paused = Account(program)
    paused.snap("2026-03-02 23:00", "94500.00", "94500.00")
    assert paused.snap("2026-03-03 00:10", "94500.00", "94000.00") == [
        restricted("daily_loss", "94000.00", "95000")
    ]
    failing = Account(program)
    failing.snap("2026-03-02 23:00", "94500.00", "94500.00")
    got = failing.snap("2026-03-03 00:10", "94500.00", "89000.00")
    assert got == [failed("max_loss", "89000.00", "90000")]


def test_end_of_day_day_without_events_is_not_judged():
    acct = Account(make_program(daily_loss_pct=5, daily_loss_evaluation="end_of_day"))
    acct.snap("2026-03-02 23:00", "99000.00")  # day 1 closes fine: floor 95,000
    assert acct.snap("2026-03-05 10:00", "99000.00") == []  # days 2-4: no event, not judged


def test_balance_operations_move_the_days_floor_by_their_amount():
    acct = Account(make_program(daily_loss_pct=5, max_loss_pct=10))
    acct.op("2026-03-02 09:00", "-3000.00", "payout 1")
    assert acct.state.daily_floor == 92000  # 95,000 - 3,000; the limit stays 5,000
    assert acct.snap("2026-03-02 10:00", "97000.00", "92500.00") == []
    assert acct.snap("2026-03-02 11:00", "97000.00", "92000.00") == [
        failed("daily_loss", "92000.00", "92000")
    ]


def test_day_start_reference_keeps_the_amount_fixed_at_the_reset_after_an_operation():
    acct = Account(make_program(daily_loss_pct=5, daily_loss_reference="day_start"))
    acct.snap("2026-03-02 23:00", "110000.00")
    acct.snap("2026-03-03 01:00", "110000.00")  # floor 110,000 - 5,500 = 104,500
    acct.op("2026-03-03 02:00", "10000.00", "deposit")
    assert acct.state.daily_floor == 114500  # moved by 10,000, amount still 5,500
