"""The shipped example programs, replayed: each behaves as the market model it mirrors."""

from __future__ import annotations

from decimal import Decimal

from propfirm.domain.programs import EXAMPLE_PROGRAMS_DIR

from .helpers import replay, write_lines


def run(tmp_path, events: list[dict]) -> list[tuple]:
    status, decisions, err = replay(EXAMPLE_PROGRAMS_DIR, write_lines(tmp_path / "events.jsonl", events))
    assert status == 0, err
    return [(d["time"], d["decision"], d["phase"], d["reason"], d["equity"], d["limit"]) for d in decisions]


def start(time: str, program: str, login: int = 1) -> dict:
    return {"type": "start", "time": time, "login": login, "program": program}


def snap(time: str, balance: str, equity: str | None = None, positions: list | None = None, login: int = 1):
    event = {"type": "snapshot", "time": time, "login": login, "balance": balance}
    event["equity"] = equity or balance
    if positions is not None:
        event["positions"] = [{"symbol": "EURUSD", "volume": v, "type": "buy"} for v in positions]
    return event


def trade(day: str, position: int, profit: str, login: int = 1) -> list[dict]:
    base = {"login": login, "symbol": "EURUSD", "volume": "1.00", "commission": "0.00", "swap": "0.00"}
    return [
        {
            "type": "deal",
            "time": f"{day}T09:00:00+00:00",
            "deal": position * 2,
            "entry": "in",
            "profit": "0.00",
            "position": position,
            **base,
        },
        {
            "type": "deal",
            "time": f"{day}T10:00:00+00:00",
            "deal": position * 2 + 1,
            "entry": "out",
            "profit": profit,
            "position": position,
            **base,
        },
    ]


def test_two_step_needs_four_trading_days_in_each_phase_then_funds(tmp_path):
    events = [start("2026-03-02T07:00:00+00:00", "two-step-100k")]
    balance = Decimal(100000)
    for n, day in enumerate(("2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"), start=1):
        events += trade(day, n, "2750.00")
        balance += Decimal("2750.00")
        events.append(snap(f"{day}T10:01:00+00:00", f"{balance}", positions=[]))
    events.append(snap("2026-03-05T10:05:00+00:00", "100000.00", positions=[]))  # phase 2 begins
    balance = Decimal(100000)
    for n, day in enumerate(("2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"), start=11):
        events += trade(day, n, "1300.00")
        balance += Decimal("1300.00")
        events.append(snap(f"{day}T10:01:00+00:00", f"{balance}", positions=[]))
    events.append(snap("2026-03-12T10:05:00+00:00", "100000.00", positions=[]))
    events.append(snap("2026-03-13T10:00:00+00:00", "100000.00", "90000.00"))
    assert run(tmp_path, events) == [
        ("2026-03-05T10:01:00+00:00", "phase_passed", "phase1", "profit_target", "111000.00", "110000.00"),
        ("2026-03-12T10:01:00+00:00", "funded", "phase2", "profit_target", "105200.00", "105000.00"),
        # the funded stage's daily floor (95,000) is the higher one
        ("2026-03-13T10:00:00+00:00", "failed", "funded", "daily_loss", "90000.00", "95000.00"),
    ]


def test_one_step_trails_the_closing_balance_and_holds_a_lopsided_pass(tmp_path):
    events = [start("2026-03-02T07:00:00+00:00", "one-step-100k")]
    events += trade("2026-03-02", 1, "8000.00")  # best day 8,000
    events.append(snap("2026-03-02T10:01:00+00:00", "108000.00", positions=[]))
    balance = Decimal(108000)
    for n, day in enumerate(("2026-03-03", "2026-03-04", "2026-03-05"), start=2):
        events += trade(day, n, "1000.00")
        balance += 1000
        events.append(snap(f"{day}T10:01:00+00:00", f"{balance}", positions=[]))
    # 11,000 in all, best day 8,000 = 73% > 50%: the target is met on 4 days but no pass.
    # The maximum-loss floor has trailed the closing balances to 111,000 - 10,000 = 101,000, under
    # the day's floor 111,000 - 3% of 100,000 = 108,000, which is the one crossed.
    events.append(snap("2026-03-06T10:00:00+00:00", "111000.00", "101000.00"))
    assert run(tmp_path, events) == [
        ("2026-03-06T10:00:00+00:00", "failed", "evaluation", "daily_loss", "101000.00", "108000.00"),
    ]


def test_three_step_daily_floor_from_the_higher_of_balance_and_equity_at_17h_new_york(tmp_path):
    events = [
        start("2026-03-10T12:00:00+00:00", "three-step-100k"),
        snap("2026-03-10T20:55:00+00:00", "100000.00", "102000.00", positions=["1.00"]),  # 16:55 EDT
        # 17:05 EDT: a new day, floor max(100,000, 102,000) - 4,000 = 98,000
        snap("2026-03-10T21:05:00+00:00", "100000.00", "98100.00", positions=["1.00"]),
        snap("2026-03-10T21:10:00+00:00", "100000.00", "98000.00", positions=["1.00"]),
    ]
    assert run(tmp_path, events) == [
        ("2026-03-10T21:10:00+00:00", "failed", "step1", "daily_loss", "98000.00", "98000.00"),
    ]


def test_instant_funding_trails_closing_balances_locks_and_forbids_the_weekend(tmp_path):
    events = [
        start("2026-03-02T12:00:00+00:00", "instant-funding-100k"),
        snap("2026-03-02T21:30:00+00:00", "103000.00", positions=[]),  # Mon close (16:30 EST)
        snap("2026-03-03T21:30:00+00:00", "107000.00", positions=[]),  # floor 97,000 -> locks at 100,000
        snap("2026-03-06T21:30:00+00:00", "107000.00", positions=["1.00"]),  # Fri 16:30 EST, held
        snap("2026-03-09T14:00:00+00:00", "107000.00", "100000.01", positions=[]),
        snap("2026-03-09T15:00:00+00:00", "107000.00", "100000.00", positions=[]),
    ]
    assert run(tmp_path, events) == [
        ("2026-03-09T14:00:00+00:00", "restricted", "funded", "weekend_holding", "100000.01", None),
        ("2026-03-09T15:00:00+00:00", "failed", "funded", "max_loss", "100000.00", "100000.00"),
    ]


def test_one_step_maximum_loss_trails_the_best_closing_balance(tmp_path):
    # A close of 110,000 lifts the trailing floor to 100,000; three days losing 2,500 each (inside
    # the 3,000 daily limit) close at 102,500, so the next day's daily floor is 99,500 and the
    # trailing floor, 100,000, is the one equity touches.
    events = [
        start("2026-03-02T07:00:00+00:00", "one-step-100k"),
        snap("2026-03-02T20:00:00+00:00", "103000.00"),
        snap("2026-03-03T20:00:00+00:00", "106000.00"),
        snap("2026-03-04T20:00:00+00:00", "109000.00"),
        snap("2026-03-05T20:00:00+00:00", "110000.00"),
        snap("2026-03-06T20:00:00+00:00", "107500.00"),
        snap("2026-03-09T20:00:00+00:00", "105000.00"),
        snap("2026-03-10T20:00:00+00:00", "102500.00"),
        snap("2026-03-11T09:00:00+00:00", "102500.00", "100000.01"),
        snap("2026-03-11T10:00:00+00:00", "102500.00", "100000.00"),
    ]
    assert run(tmp_path, events) == [
        ("2026-03-11T10:00:00+00:00", "failed", "evaluation", "max_loss", "100000.00", "100000.00"),
    ]
