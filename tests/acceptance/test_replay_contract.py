"""`propfirm replay` against the contract in the design, scenario by scenario.

Each expectation is worked out by hand from the contract's wording (and, where noted, from a
firm's published example), independently of the engine's code, so a misreading of the contract
shows up here as a plain difference of decisions.
"""

from __future__ import annotations

import copy

import pytest

from .replay_harness import expect, replay, summary, write_events, write_program

LOGIN = 5001


def make_program(pid: str = "acc-two-step", *, size: str = "100000", zone: str = "UTC",
                 reset: str = "00:00", phase1: dict | None = None, phase2: dict | None = None) -> dict:
    base = {"daily_loss_pct": 5, "max_loss_pct": 10, "max_loss_mode": "static"}
    p1 = {"name": "phase1", "group": "challenge\\phase1", "profit_target_pct": 10, **base, **(phase1 or {})}
    p2 = {"name": "phase2", "group": "challenge\\phase2", "profit_target_pct": 5, **base, **(phase2 or {})}
    funded = {"name": "funded", "group": "funded\\standard", "funded": True, **base, "profit_split_pct": 80}
    return {
        "id": pid,
        "currency": "USD",
        "account_size": size,
        "leverage": 100,
        "day_reset": {"time": reset, "zone": zone},
        "trading_day": "opened",
        "phases": [p1, p2, funded],
    }


def start(time: str, login: int = LOGIN, program: str = "acc-two-step") -> dict:
    return {"type": "start", "time": time, "login": login, "program": program}


def snap(time: str, balance: str, equity: str, login: int = LOGIN, positions: list | None = None) -> dict:
    event = {"type": "snapshot", "time": time, "login": login, "balance": balance, "equity": equity}
    if positions is not None:
        event["positions"] = positions
    return event


def deal(time: str, ticket: int, entry: str, position: int, profit: str = "0.00", login: int = LOGIN,
         volume: str = "1.00", symbol: str = "EURUSD") -> dict:
    return {"type": "deal", "time": time, "login": login, "deal": ticket, "entry": entry, "symbol": symbol,
            "volume": volume, "profit": profit, "commission": "0.00", "swap": "0.00", "position": position}


def balance_op(time: str, amount: str, comment: str, login: int = LOGIN) -> dict:
    return {"type": "balance", "time": time, "login": login, "amount": amount, "comment": comment}


def run(tmp_path, program: dict | list[dict], events: list[dict], *extra: str):
    programs = program if isinstance(program, list) else [program]
    folder = tmp_path / "programs"
    folder.mkdir(exist_ok=True)
    for p in programs:
        write_program(folder, p)
    result = replay(folder, write_events(tmp_path, events), *extra)
    assert result.status == 0, result.stderr
    for decision in result.decisions:
        assert set(decision) >= {"time", "login", "server", "decision", "phase", "reason", "equity", "limit"}
    return [summary(d) for d in result.decisions]


def test_daily_floor_touched_fails_once_and_failed_is_final(tmp_path):
    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T09:00:00+00:00", "100000.00", "99000.00"),
        snap("2026-03-02T10:00:00+00:00", "100000.00", "95000.00"),
        snap("2026-03-02T11:00:00+00:00", "100000.00", "80000.00"),
    ]
    assert run(tmp_path, make_program(), events) == [
        expect("2026-03-02T10:00:00+00:00", LOGIN, "failed", "phase1", "daily_loss", "95000.00", "95000.00"),
    ]


def test_breach_at_below_needs_equity_under_the_floor(tmp_path):
    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T10:00:00+00:00", "100000.00", "95000.00"),
        snap("2026-03-02T10:01:00+00:00", "100000.00", "94999.99"),
    ]
    program = make_program(phase1={"breach_at": "below"})
    assert run(tmp_path, program, events) == [
        expect("2026-03-02T10:01:00+00:00", LOGIN, "failed", "phase1", "daily_loss", "94999.99", "95000.00"),
    ]


def test_static_maximum_loss_ftmo_academy_example(tmp_path):
    # FTMO academy: balance 92,000 with a floating loss of 2,001 -> equity 89,999 < 90,000: breach.
    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T12:00:00+00:00", "96000.00", "96000.00"),
        snap("2026-03-03T12:00:00+00:00", "92000.00", "92000.00"),
        snap("2026-03-04T12:00:00+00:00", "92000.00", "89999.00"),
    ]
    assert run(tmp_path, make_program(), events) == [
        expect("2026-03-04T12:00:00+00:00", LOGIN, "failed", "phase1", "max_loss", "89999.00", "90000.00"),
    ]


def test_floating_loss_carried_over_the_prague_midnight_ftmo_example(tmp_path):
    # FTMO academy, $200k at 5%: +4,000 closed then -13,000 floating is fine until midnight CE(S)T;
    # at 00:00 the floor becomes 204,000 - 10,000 = 194,000 and the same equity 191,000 breaches.
    program = make_program(size="200000", zone="Europe/Prague")
    events = [
        start("2026-06-15T07:00:00+00:00", program="acc-two-step"),
        snap("2026-06-15T20:00:00+00:00", "204000.00", "191000.00"),
        snap("2026-06-15T21:59:00+00:00", "204000.00", "191000.00"),  # 23:59 in Prague (CEST)
        snap("2026-06-15T22:00:30+00:00", "204000.00", "191000.00"),  # 00:00:30 in Prague
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-06-15T22:00:30+00:00", LOGIN, "failed", "phase1", "daily_loss", "191000.00", "194000.00"),
    ]


def test_day_boundary_follows_the_zone_across_the_spring_dst_change(tmp_path):
    # Prague moves to CEST on 2026-03-29: that day starts at 23:00 UTC on the 28th, the next one
    # at 22:00 UTC on the 29th. A fixed offset would keep the 29th's floor (99,000) until 23:00 UTC.
    program = make_program(zone="Europe/Prague")
    events = [
        start("2026-03-27T10:00:00+00:00"),
        snap("2026-03-28T22:30:00+00:00", "104000.00", "104000.00"),  # still the 28th in Prague
        snap("2026-03-28T23:30:00+00:00", "104000.00", "99500.00"),   # the 29th: floor 99,000
        snap("2026-03-29T12:00:00+00:00", "100000.00", "100000.00"),
        snap("2026-03-29T22:30:00+00:00", "100000.00", "98500.00"),   # the 30th: floor 95,000
        snap("2026-03-29T22:45:00+00:00", "100000.00", "94000.00"),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-29T22:45:00+00:00", LOGIN, "failed", "phase1", "daily_loss", "94000.00", "95000.00"),
    ]


def test_several_floors_crossed_at_once_names_the_highest(tmp_path):
    daily_higher = [
        start("2026-03-02T08:00:00+00:00", login=1),
        snap("2026-03-02T10:00:00+00:00", "100000.00", "89000.00", login=1),
    ]
    # Day 3 starts at 95,000: daily floor 90,000 equals the maximum-loss floor: max_loss wins the tie.
    equal_floors = [
        start("2026-03-02T08:00:00+00:00", login=2),
        snap("2026-03-02T12:00:00+00:00", "97000.00", "97000.00", login=2),
        snap("2026-03-03T12:00:00+00:00", "95000.00", "95000.00", login=2),
        snap("2026-03-04T12:00:00+00:00", "95000.00", "89500.00", login=2),
    ]
    events = sorted(daily_higher + equal_floors, key=lambda e: e["time"])
    assert run(tmp_path, make_program(), events) == [
        expect("2026-03-02T10:00:00+00:00", 1, "failed", "phase1", "daily_loss", "89000.00", "95000.00"),
        expect("2026-03-04T12:00:00+00:00", 2, "failed", "phase1", "max_loss", "89500.00", "90000.00"),
    ]


def test_pause_restricts_once_a_day_and_maximum_loss_still_fails(tmp_path):
    program = make_program(phase1={"daily_loss_action": "pause"})
    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T10:00:00+00:00", "100000.00", "94000.00"),
        snap("2026-03-02T11:00:00+00:00", "100000.00", "93000.00"),
        snap("2026-03-03T01:00:00+00:00", "100000.00", "93500.00"),  # carried loss, new day's floor 95,000
        snap("2026-03-03T02:00:00+00:00", "100000.00", "99000.00"),
        snap("2026-03-03T03:00:00+00:00", "100000.00", "89000.00"),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-02T10:00:00+00:00", LOGIN, "restricted", "phase1", "daily_loss", "94000.00", "95000.00"),
        expect("2026-03-03T01:00:00+00:00", LOGIN, "restricted", "phase1", "daily_loss", "93500.00", "95000.00"),
        expect("2026-03-03T03:00:00+00:00", LOGIN, "failed", "phase1", "max_loss", "89000.00", "90000.00"),
    ]


def test_balance_operations_are_not_profit_and_raise_the_target_balance(tmp_path):
    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T08:30:00+00:00", "100000.00", "100000.00", positions=[]),
        balance_op("2026-03-02T09:00:00+00:00", "5000.00", "deposit 1"),
        snap("2026-03-02T09:01:00+00:00", "105000.00", "105000.00", positions=[]),
        deal("2026-03-02T10:00:00+00:00", 1, "in", 11),
        deal("2026-03-02T11:00:00+00:00", 2, "out", 11, profit="5000.00"),
        snap("2026-03-02T11:00:01+00:00", "110000.00", "110000.00", positions=[]),
        deal("2026-03-02T12:00:00+00:00", 3, "in", 12),
        deal("2026-03-02T13:00:00+00:00", 4, "out", 12, profit="5000.00"),
        snap("2026-03-02T13:00:01+00:00", "115000.00", "115000.00", positions=[]),
    ]
    assert run(tmp_path, make_program(), events) == [
        expect("2026-03-02T13:00:01+00:00", LOGIN, "phase_passed", "phase1", "profit_target", "115000.00",
               "115000.00"),
    ]


def test_a_deposit_moves_the_days_floor_by_its_amount(tmp_path):
    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T08:30:00+00:00", "100000.00", "100000.00"),
        balance_op("2026-03-02T09:00:00+00:00", "5000.00", "correction"),
        snap("2026-03-02T10:00:00+00:00", "105000.00", "100000.00"),
    ]
    assert run(tmp_path, make_program(), events) == [
        expect("2026-03-02T10:00:00+00:00", LOGIN, "failed", "phase1", "daily_loss", "100000.00", "100000.00"),
    ]


def test_phases_pass_in_order_and_each_counts_its_own_trading_days(tmp_path):
    program = make_program(phase1={"min_trading_days": 2}, phase2={"min_trading_days": 2})
    events = [
        start("2026-03-02T08:00:00+00:00"),
        deal("2026-03-02T09:00:00+00:00", 1, "in", 1),
        deal("2026-03-02T10:00:00+00:00", 2, "out", 1, profit="10000.00"),
        snap("2026-03-02T10:01:00+00:00", "110000.00", "110000.00", positions=[]),  # one day only
        deal("2026-03-03T09:00:00+00:00", 3, "in", 2),
        deal("2026-03-03T10:00:00+00:00", 4, "out", 2, profit="0.00"),
        snap("2026-03-03T10:01:00+00:00", "110000.00", "110000.00", positions=[]),
        snap("2026-03-03T10:05:00+00:00", "100000.00", "100000.00", positions=[]),  # phase 2, afresh
        deal("2026-03-04T09:00:00+00:00", 5, "in", 3),
        deal("2026-03-04T10:00:00+00:00", 6, "out", 3, profit="5000.00"),
        snap("2026-03-04T10:01:00+00:00", "105000.00", "105000.00", positions=[]),  # one phase-2 day
        deal("2026-03-05T09:00:00+00:00", 7, "in", 4),
        deal("2026-03-05T10:00:00+00:00", 8, "out", 4, profit="0.00"),
        snap("2026-03-05T10:01:00+00:00", "105000.00", "105000.00", positions=[]),
        snap("2026-03-05T10:05:00+00:00", "100000.00", "100000.00", positions=[]),  # funded
        snap("2026-03-05T11:00:00+00:00", "130000.00", "130000.00", positions=[]),  # no target funded
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-03T10:01:00+00:00", LOGIN, "phase_passed", "phase1", "profit_target", "110000.00",
               "110000.00"),
        expect("2026-03-05T10:01:00+00:00", LOGIN, "funded", "phase2", "profit_target", "105000.00", "105000.00"),
    ]


def test_no_pass_while_a_position_is_open(tmp_path):
    events = [
        start("2026-03-02T08:00:00+00:00"),
        deal("2026-03-02T09:00:00+00:00", 1, "in", 1),
        snap("2026-03-02T10:00:00+00:00", "110000.00", "110500.00",
             positions=[{"symbol": "EURUSD", "volume": "1.00", "type": "buy"}]),
        deal("2026-03-02T10:30:00+00:00", 2, "out", 1, profit="500.00"),
        snap("2026-03-02T10:31:00+00:00", "110500.00", "110500.00", positions=[]),
    ]
    assert run(tmp_path, make_program(), events) == [
        expect("2026-03-02T10:31:00+00:00", LOGIN, "phase_passed", "phase1", "profit_target", "110500.00",
               "110000.00"),
    ]


def test_consistency_share_holds_the_pass_back_until_met(tmp_path):
    # FTMO best-day rule: 8,000 of 10,000 on one day is 80% > 50%: no pass; with 16,000 in all it is 50%.
    program = make_program(phase1={"consistency_pct": 50})
    events = [
        start("2026-03-02T08:00:00+00:00"),
        deal("2026-03-02T09:00:00+00:00", 1, "in", 1),
        deal("2026-03-02T10:00:00+00:00", 2, "out", 1, profit="8000.00"),
        snap("2026-03-02T10:01:00+00:00", "108000.00", "108000.00", positions=[]),
        deal("2026-03-03T09:00:00+00:00", 3, "in", 2),
        deal("2026-03-03T10:00:00+00:00", 4, "out", 2, profit="2000.00"),
        snap("2026-03-03T10:01:00+00:00", "110000.00", "110000.00", positions=[]),
        deal("2026-03-04T09:00:00+00:00", 5, "in", 3),
        deal("2026-03-04T10:00:00+00:00", 6, "out", 3, profit="6000.00"),
        snap("2026-03-04T10:01:00+00:00", "116000.00", "116000.00", positions=[]),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-04T10:01:00+00:00", LOGIN, "phase_passed", "phase1", "profit_target", "116000.00",
               "110000.00"),
    ]


def test_max_lots_restricts_on_each_turn_from_kept_to_broken(tmp_path):
    program = make_program(phase1={"max_lots": 5})

    def lots(*volumes: str) -> list[dict]:
        return [{"symbol": "EURUSD", "volume": v, "type": "buy"} for v in volumes]

    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T09:00:00+00:00", "100000.00", "100000.00", positions=lots("3.00", "2.00")),
        snap("2026-03-02T09:01:00+00:00", "100000.00", "100000.00", positions=lots("3.00", "3.00")),
        snap("2026-03-02T09:02:00+00:00", "100000.00", "100000.00", positions=lots("4.00", "3.00")),
        snap("2026-03-02T09:03:00+00:00", "100000.00", "100000.00"),  # no positions listed: not judged
        snap("2026-03-02T09:04:00+00:00", "100000.00", "100000.00", positions=lots("4.00")),
        snap("2026-03-02T09:05:00+00:00", "100000.00", "100000.00", positions=lots("4.00", "2.00")),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-02T09:01:00+00:00", LOGIN, "restricted", "phase1", "max_lots", "100000.00", "5"),
        expect("2026-03-02T09:05:00+00:00", LOGIN, "restricted", "phase1", "max_lots", "100000.00", "5"),
    ]


def test_weekend_holding_is_restricted_at_the_next_snapshot(tmp_path):
    program = make_program(phase1={"weekend_holding": False})
    events = [
        start("2026-03-06T08:00:00+00:00"),  # a Friday
        snap("2026-03-06T20:00:00+00:00", "100000.00", "100100.00",
             positions=[{"symbol": "EURUSD", "volume": "1.00", "type": "buy"}]),
        snap("2026-03-09T01:00:00+00:00", "100000.00", "100200.00",
             positions=[{"symbol": "EURUSD", "volume": "1.00", "type": "buy"}]),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-09T01:00:00+00:00", LOGIN, "restricted", "phase1", "weekend_holding", "100200.00", None),
    ]


def test_end_of_day_daily_rule_judges_the_close_at_the_next_days_first_snapshot(tmp_path):
    program = make_program(phase1={"daily_loss_evaluation": "end_of_day"})
    events = [
        start("2026-03-02T08:00:00+00:00"),
        snap("2026-03-02T10:00:00+00:00", "100000.00", "94000.00"),  # intraday only: not judged
        snap("2026-03-02T20:00:00+00:00", "96000.00", "96000.00"),   # day 1 closes above 95,000
        snap("2026-03-03T10:00:00+00:00", "96000.00", "90500.00"),   # day 2 floor 91,000, intraday
        snap("2026-03-03T23:00:00+00:00", "90800.00", "90800.00"),   # day 2 closes below it
        snap("2026-03-04T00:30:00+00:00", "90800.00", "91500.00"),
        snap("2026-03-04T01:30:00+00:00", "90800.00", "91500.00"),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-04T00:30:00+00:00", LOGIN, "failed", "phase1", "daily_loss", "91500.00", "91000.00"),
    ]


def _trailing_program(mode: str, *, lock: bool = False, pct: int = 10) -> dict:
    program = make_program(phase1={"max_loss_mode": mode, "max_loss_pct": pct, "trailing_lock": lock})
    program["phases"][0].pop("daily_loss_pct")
    program["phases"][0].pop("profit_target_pct")
    return program


def test_trailing_on_closed_balance_with_lock_e8_example(tmp_path):
    # E8 One (help 9122280, 9323884): 100k at 6%: closed balance 101k -> floor 95k; 103k -> 97k;
    # withdrawing 3k leaves the floor at 97k; a balance of 106k locks the floor at 100k.
    program = _trailing_program("trailing_balance", lock=True, pct=6)
    a, b = 1, 2
    events = [
        start("2026-03-02T08:00:00+00:00", login=a),
        start("2026-03-02T08:00:00+00:00", login=b),
        snap("2026-03-02T09:00:00+00:00", "101000.00", "101000.00", login=a),
        snap("2026-03-02T09:01:00+00:00", "101000.00", "95000.01", login=a),
        snap("2026-03-02T09:02:00+00:00", "103000.00", "103000.00", login=a),
        balance_op("2026-03-02T09:03:00+00:00", "-3000.00", "payout 1", login=a),
        snap("2026-03-02T09:04:00+00:00", "100000.00", "100000.00", login=a),
        snap("2026-03-02T09:05:00+00:00", "100000.00", "97000.00", login=a),
        snap("2026-03-02T10:00:00+00:00", "106000.00", "106000.00", login=b),
        snap("2026-03-02T10:01:00+00:00", "107000.00", "107000.00", login=b),
        snap("2026-03-02T10:02:00+00:00", "107000.00", "100500.00", login=b),
        snap("2026-03-02T10:03:00+00:00", "107000.00", "100000.00", login=b),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-02T09:05:00+00:00", a, "failed", "phase1", "max_loss", "97000.00", "97000.00"),
        expect("2026-03-02T10:03:00+00:00", b, "failed", "phase1", "max_loss", "100000.00", "100000.00"),
    ]


def test_end_of_day_trailing_ignores_intraday_peaks_ftmo_one_step_example(tmp_path):
    # FTMO 1-Step (ftmo.com/au/?p=1671): day-end balances 104,000 then 103,000 give floors
    # 90,000 -> 94,000 -> 94,000; an intraday equity peak of 108,000 closing at 101,000 gives 91,000.
    program = _trailing_program("trailing_eod")
    a, b = 1, 2
    events = [
        start("2026-03-02T08:00:00+00:00", login=a),
        start("2026-03-02T08:00:00+00:00", login=b),
        snap("2026-03-02T20:00:00+00:00", "104000.00", "104000.00", login=a),
        snap("2026-03-02T21:00:00+00:00", "100000.00", "108000.00", login=b),
        snap("2026-03-02T22:00:00+00:00", "101000.00", "101000.00", login=b),
        snap("2026-03-03T10:00:00+00:00", "104000.00", "94000.01", login=a),
        snap("2026-03-03T20:00:00+00:00", "103000.00", "103000.00", login=a),
        snap("2026-03-03T21:00:00+00:00", "101000.00", "91000.01", login=b),
        snap("2026-03-04T10:00:00+00:00", "103000.00", "94000.00", login=a),
        snap("2026-03-04T11:00:00+00:00", "101000.00", "91000.00", login=b),
    ]
    assert run(tmp_path, program, events) == [
        expect("2026-03-04T10:00:00+00:00", a, "failed", "phase1", "max_loss", "94000.00", "94000.00"),
        expect("2026-03-04T11:00:00+00:00", b, "failed", "phase1", "max_loss", "91000.00", "91000.00"),
    ]


def test_deadlines_fail_with_a_null_limit(tmp_path):
    program = make_program(phase1={"max_days": 30, "inactivity_days": 10})
    program_b = copy.deepcopy(program)
    program_b["id"] = "acc-slow"
    program_b["phases"][0].pop("inactivity_days")
    events = [
        start("2026-03-02T08:00:00+00:00", login=1),
        start("2026-03-02T08:00:00+00:00", login=2, program="acc-slow"),
        deal("2026-03-03T09:00:00+00:00", 1, "in", 1, login=1),
        deal("2026-03-03T10:00:00+00:00", 2, "out", 1, login=1),
        deal("2026-03-03T09:00:00+00:00", 3, "in", 2, login=2),
        deal("2026-03-03T10:00:00+00:00", 4, "out", 2, login=2),
        snap("2026-03-20T12:00:00+00:00", "100000.00", "100000.00", login=1),
        snap("2026-03-20T12:00:00+00:00", "100000.00", "100000.00", login=2),
        snap("2026-04-10T12:00:00+00:00", "100000.00", "100000.00", login=2),
    ]
    events.sort(key=lambda e: e["time"])
    assert run(tmp_path, [program, program_b], events) == [
        expect("2026-03-20T12:00:00+00:00", 1, "failed", "phase1", "inactivity", "100000.00", None),
        expect("2026-04-10T12:00:00+00:00", 2, "failed", "phase1", "max_days", "100000.00", None),
    ]


@pytest.mark.parametrize(
    "bad_line",
    [
        "{not json",
        '{"type":"snapshot","time":"2026-03-02T09:00:00+00:00","login":5001,"balance":"1e","equity":"1"}',
        '{"type":"snapshot","time":"2026-03-02T09:00:00","login":5001,"balance":"1","equity":"1"}',
        '{"type":"teleport","time":"2026-03-02T09:00:00+00:00","login":5001}',
        '{"type":"snapshot","time":"2026-03-02T09:00:00+00:00","login":5001,"equity":"1"}',
    ],
)
def test_a_bad_line_stops_the_replay_with_file_and_line(tmp_path, bad_line):
    folder = tmp_path / "programs"
    folder.mkdir()
    write_program(folder, make_program())
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"type":"start","time":"2026-03-02T08:00:00+00:00","login":5001,"program":"acc-two-step"}\n'
        '{"type":"snapshot","time":"2026-03-02T08:30:00+00:00","login":5001,"balance":"100000","equity":"100000"}\n'
        + bad_line + "\n"
    )
    result = replay(folder, events)
    assert result.status == 2
    assert "events.jsonl" in result.stderr and "3" in result.stderr


def test_an_unknown_program_is_refused(tmp_path):
    folder = tmp_path / "programs"
    folder.mkdir()
    write_program(folder, make_program())
    events = write_events(tmp_path, [start("2026-03-02T08:00:00+00:00", program="no-such-program")])
    result = replay(folder, events)
    assert result.status == 2
    assert "no-such-program" in result.stderr
