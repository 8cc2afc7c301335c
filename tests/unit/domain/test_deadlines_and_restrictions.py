"""Deadlines (max_days, inactivity) and restrictions (max_lots, max_positions, weekend holding,
news blackout)."""

from __future__ import annotations

from propfirm.domain.engine import NewsCalendar

from .helpers import Account, D, T, failed, make_program, restricted


def test_inactivity_counts_from_the_last_deal_brightfunded_vector_25():
    # Vector 25 (BrightFunded help 11774572): last trade closed 1 March, then nothing (a pending
    # order is no deal): deactivated after 31 March. A position open from 1 March to 15 May keeps
    # the account active, and the 30 days start again on 15 May.
    acct = Account(make_program(inactivity_days=30), at="2026-02-20 08:00")
    acct.trade("2026-03-01 09:00", "2026-03-01 10:00", 1)
    assert acct.snap("2026-03-31 10:00", "100000.00", positions=[]) == []  # exactly 30 days
    assert acct.snap("2026-03-31 10:01", "100000.00", positions=[]) == [
        failed("inactivity", "100000.00", None)
    ]

    held = Account(make_program(inactivity_days=30), at="2026-02-20 08:00")
    held.deal("2026-03-01 09:00", "in", 1)
    assert held.snap("2026-04-20 10:00", "100000.00", positions=["1.00"]) == []  # open: still active
    held.deal("2026-05-15 09:00", "out", 1)
    assert held.snap("2026-06-14 09:00", "100000.00", positions=[]) == []
    assert held.snap("2026-06-14 09:01", "100000.00", positions=[]) == [
        failed("inactivity", "100000.00", None)
    ]


def test_balance_operations_do_not_restart_the_inactivity_clock():
    acct = Account(make_program(inactivity_days=10))
    acct.op("2026-03-10 09:00", "100.00", "bonus")
    assert acct.snap("2026-03-12 08:01", "100100.00") == [failed("inactivity", "100100.00", None)]


def test_max_days_are_calendar_days_from_the_phase_start_across_dst():
    # 30 days from 08:00 Prague on 2 March end at 08:00 Prague on 1 April (CEST, 06:00 UTC).
    acct = Account(make_program(zone="Europe/Prague", max_days=30), at="2026-03-02 07:00")
    assert acct.snap("2026-04-01 06:00", "100000.00") == []
    assert acct.snap("2026-04-01 06:00:01", "100000.00") == [failed("max_days", "100000.00", None)]


def test_max_lots_and_max_positions_restrict_on_each_turn_to_broken():
    acct = Account(make_program(max_lots=5, max_positions=2))
    assert acct.snap("2026-03-02 09:00", "100000.00", positions=["3", "2"]) == []  # equal is allowed
    assert acct.snap("2026-03-02 09:01", "100000.00", positions=["3", "2", "1"]) == [
        restricted("max_lots", "100000.00", "5"),
        restricted("max_positions", "100000.00", "2"),
    ]
    assert acct.snap("2026-03-02 09:02", "100000.00", positions=["3", "3"]) == []  # still broken
    assert acct.snap("2026-03-02 09:03", "100000.00") == []  # not listed
    assert acct.snap("2026-03-02 09:04", "100000.00", positions=["1"]) == []  # kept again
    assert acct.snap("2026-03-02 09:05", "100000.00", positions=["6"]) == [
        restricted("max_lots", "100000.00", "5")
    ]


def test_weekend_holding_with_a_new_york_17h_day():
    # 17:00 New York: Friday 17:00 starts Saturday's trading day. A position listed in the last
    # snapshot before it is restricted at the next snapshot.
    acct = Account(
        make_program(zone="America/New_York", reset="17:00", weekend_holding=False), at="2026-03-06 14:00"
    )
    acct.snap("2026-03-06 21:30", "100000.00", positions=["1.00"])  # Fri 16:30 EST
    assert acct.snap("2026-03-06 22:30", "100000.00", positions=["1.00"]) == [
        restricted("weekend_holding", "100000.00", None)
    ]
    # a flat account at the weekend boundary is fine
    flat = Account(
        make_program(zone="America/New_York", reset="17:00", weekend_holding=False), at="2026-03-06 14:00"
    )
    flat.snap("2026-03-06 21:30", "100000.00", positions=[])
    assert flat.snap("2026-03-09 13:00", "100000.00", positions=["1.00"]) == []


def test_weekend_holding_allowed_by_default():
    acct = Account(make_program(), at="2026-03-06 14:00")
    acct.snap("2026-03-06 21:30", "100000.00", positions=["1.00"])
    assert acct.snap("2026-03-09 08:00", "100000.00", positions=["1.00"]) == []


def test_news_blackout_ftmo_two_minutes_vector_6():
    # Vector 6 (FTMO, ftmo.oanda.com/?p=121): NFP at 14:30; a buy at 14:29 breaks the rule, as does a
    # TP fill at 14:31 of a position opened at 14:20; holding it through to 14:40 is fine.
    news = NewsCalendar([T("2026-03-06 14:30")])
    acct = Account(make_program(news_blackout_minutes=2), news=news, at="2026-03-06 08:00")
    acct.deal("2026-03-06 14:29", "in", 1)
    assert acct.snap("2026-03-06 14:29:30", "100000.00") == [restricted("news_blackout", "100000.00", None)]

    tp = Account(make_program(news_blackout_minutes=2), news=news, at="2026-03-06 08:00")
    tp.deal("2026-03-06 14:20", "in", 1)
    assert tp.snap("2026-03-06 14:25", "100000.00") == []
    tp.deal("2026-03-06 14:31", "out", 1, profit="50")
    assert tp.snap("2026-03-06 14:32", "100050.00") == [restricted("news_blackout", "100050.00", None)]

    held = Account(make_program(news_blackout_minutes=2), news=news, at="2026-03-06 08:00")
    held.deal("2026-03-06 14:20", "in", 1)
    held.deal("2026-03-06 14:40", "out", 1, profit="50")
    assert held.snap("2026-03-06 14:41", "100050.00") == []

    # an evaluation program without the rule: the same trades are fine
    free = Account(make_program(), news=news, at="2026-03-06 08:00")
    free.deal("2026-03-06 14:29", "in", 1)
    assert free.snap("2026-03-06 14:29:30", "100000.00") == []


def test_a_failing_snapshot_takes_no_other_decision():
    acct = Account(make_program(max_lots=1, max_loss_pct=10))
    assert acct.snap("2026-03-02 09:00", "100000.00", "89000.00", positions=["5"]) == [
        failed("max_loss", "89000.00", "90000")
    ]


def test_a_netting_reversal_opens_only_what_exceeds_the_position_it_closes():
    acct = Account(make_program(max_lots=5))
    acct.deal("2026-03-02 09:00", "in", 7, volume="1")
    acct.deal("2026-03-02 09:30", "inout", 7, volume="3", profit="-100")  # 1 lot closed, 2 the other way
    assert acct.state.open_positions == {7: D("2")}
    assert acct.state.day_lots == D("3")  # 1 opened at 09:00, 2 by the reversal
    acct.deal("2026-03-02 10:00", "out", 7, volume="2")
    assert acct.state.open_positions == {}
