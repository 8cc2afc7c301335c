"""Maximum loss: static, trailing on intraday equity, on the closed balance, on end-of-day
balances, with the optional lock at the account size (plus an offset). Published examples."""

from __future__ import annotations

from .helpers import Account, failed, make_program


def test_static_floor_ftmo_academy_vector_3():
    # Vector 3 (FTMO academy ?p=47): initial 100,000; balance 92,000 with a floating loss of 2,001:
    # equity 89,999 < 90,000 -> breach.
    acct = Account(make_program(max_loss_pct=10))
    assert acct.snap("2026-03-02 10:00", "92000.00", "90000.01") == []
    assert acct.snap("2026-03-02 11:00", "92000.00", "89999.00") == [failed("max_loss", "89999.00", "90000")]


def test_end_of_day_trailing_ftmo_one_step_vector_4():
    # Vector 4 (ftmo.com/au/?p=1671): day-end balances 104,000 then 103,000: floors
    # 90,000 -> 94,000 -> 94,000. An intraday equity peak of 108,000 closing at 101,000 -> 91,000.
    acct = Account(make_program(max_loss_pct=10, max_loss_mode="trailing_eod"))
    assert acct.state.max_floor == 90000
    acct.snap("2026-03-02 23:00", "104000.00")
    acct.snap("2026-03-03 09:00", "104000.00")
    assert acct.state.max_floor == 94000
    acct.snap("2026-03-03 23:00", "103000.00")
    acct.snap("2026-03-04 09:00", "103000.00")
    assert acct.state.max_floor == 94000

    peak = Account(make_program(max_loss_pct=10, max_loss_mode="trailing_eod"))
    peak.snap("2026-03-02 15:00", "100000.00", "108000.00")
    peak.snap("2026-03-02 23:00", "101000.00")
    assert peak.state.max_floor == 90000  # intraday: not moved
    peak.snap("2026-03-03 09:00", "101000.00")
    assert peak.state.max_floor == 91000


def test_topstep_maximum_loss_limit_locks_at_the_start_balance_vector_16():
    # Vector 16 (Topstep help, MLL): 50K with a $2,000 trail (4%); day-end balances
    # 50,500 -> 50,000 -> 52,500 give MLL 48,500 -> 48,500 -> 50,000, then locked; intraday
    # unrealised equity touching the floor liquidates.
    acct = Account(
        make_program(size="50000", max_loss_pct=4, max_loss_mode="trailing_eod", trailing_lock=True)
    )
    floors = []
    for day, close in ((2, "50500.00"), (3, "50000.00"), (4, "52500.00"), (5, "55000.00")):
        acct.snap(f"2026-03-0{day} 23:00", close)
        acct.snap(f"2026-03-0{day + 1} 01:00", close)
        floors.append(acct.state.max_floor)
    assert floors == [48500, 48500, 50000, 50000]
    assert acct.snap("2026-03-06 10:00", "55000.00", "50000.00") == [failed("max_loss", "50000.00", "50000")]

    intraday = Account(
        make_program(size="50000", max_loss_pct=4, max_loss_mode="trailing_eod", trailing_lock=True)
    )
    intraday.snap("2026-03-02 23:00", "50500.00")
    intraday.snap("2026-03-03 01:00", "50500.00")
    assert intraday.snap("2026-03-03 10:00", "50500.00", "48499.00") == [
        failed("max_loss", "48499.00", "48500")
    ]


def test_e8_trailing_on_the_closed_balance_with_lock_and_payout_vector_17():
    # Vector 17 (E8 help 9122280, 9323884), 100k at 6%: closed balance 101k -> floor 95k at once;
    # 103k -> 97k; withdrawing 3k leaves 100k of balance and the floor at 97k (3k of room);
    # a balance of 106k locks the floor at 100k.
    acct = Account(make_program(max_loss_pct=6, max_loss_mode="trailing_balance", trailing_lock=True))
    acct.snap("2026-03-02 09:00", "101000.00")
    assert acct.state.max_floor == 95000
    acct.snap("2026-03-02 10:00", "103000.00")
    assert acct.state.max_floor == 97000
    acct.op("2026-03-02 11:00", "-3000.00", "payout 1")
    acct.snap("2026-03-02 11:01", "100000.00")
    assert acct.state.max_floor == 97000
    acct.snap("2026-03-03 10:00", "106000.00")
    assert acct.state.max_floor == 100000
    acct.snap("2026-03-03 11:00", "112000.00")
    assert acct.state.max_floor == 100000


def test_trailing_balance_is_raised_by_the_snapshot_before_it_is_judged():
    acct = Account(make_program(max_loss_pct=6, max_loss_mode="trailing_balance"))
    # closed profit and a floating loss seen together: the floor is already 98,000
    assert acct.snap("2026-03-02 09:00", "104000.00", "98000.00") == [failed("max_loss", "98000.00", "98000")]


def test_trailing_intraday_follows_the_equity_high_water_mark():
    acct = Account(make_program(max_loss_pct=5, max_loss_mode="trailing_intraday"))
    acct.snap("2026-03-02 09:00", "100000.00", "103000.00")
    assert acct.state.max_floor == 98000
    acct.snap("2026-03-02 09:05", "100000.00", "101000.00")
    assert acct.state.max_floor == 98000  # never falls
    assert acct.snap("2026-03-02 09:10", "100000.00", "98000.00") == [failed("max_loss", "98000.00", "98000")]


def test_lock_offset_acts_only_with_the_lock():
    # Apex PA style: the trail stops at the start balance + 100.
    locked = Account(
        make_program(
            size="50000",
            max_loss_pct=5,
            max_loss_mode="trailing_intraday",
            trailing_lock=True,
            trailing_lock_offset="100",
        )
    )
    locked.snap("2026-03-02 09:00", "50000.00", "60000.00")
    assert locked.state.max_floor == 50100
    unlocked = Account(
        make_program(
            size="50000", max_loss_pct=5, max_loss_mode="trailing_intraday", trailing_lock_offset="100"
        )
    )
    unlocked.snap("2026-03-02 09:00", "50000.00", "60000.00")
    assert unlocked.state.max_floor == 57500


def test_balance_operations_do_not_move_the_maximum_loss_floor():
    acct = Account(make_program(max_loss_pct=10))
    acct.op("2026-03-02 09:00", "-5000.00", "withdrawal")
    assert acct.state.max_floor == 90000
    assert acct.snap("2026-03-02 09:01", "95000.00", "90000.00") == [failed("max_loss", "90000.00", "90000")]


def test_a_failed_account_takes_no_further_decision():
    acct = Account(make_program(max_loss_pct=10, daily_loss_pct=5, profit_target_pct=10))
    assert acct.snap("2026-03-02 09:00", "100000.00", "89000.00") == [
        failed("daily_loss", "89000.00", "95000")
    ]
    assert acct.snap("2026-03-02 09:01", "100000.00", "80000.00") == []
    assert acct.snap("2026-03-05 09:01", "120000.00", "120000.00", positions=[]) == []
    assert acct.floor is None
