"""Every decision kind and rule, decided by the evaluator against real PostgreSQL and Redis, read back and
recomputed by `propfirm explain` from the inputs stored with it: the same decision, an attribution that
adds up to the equity change, words that name the numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from propfirm.cli import main
from propfirm.domain.programs import parse_program
from propfirm.queues.messages import DealRecord
from propfirm.store.uow import UnitOfWork

from tests.instants import MONDAY_JANUARY

T0 = MONDAY_JANUARY  # Monday 5 January 2026, 09:00 UTC (10:00 in Prague)

# one program per family of rules, small enough that each scenario breaks exactly one
LAB = {
    "explain-lab-static": {
        "day_reset": {"time": "00:00", "zone": "Europe/Prague"},
        "phases": [
            {"name": "phase1", "group": "lab\\static1", "profit_target_pct": 10, "min_trading_days": 1,
             "daily_loss_pct": 5, "max_loss_pct": 10, "max_loss_mode": "static", "max_lots": 2,
             "max_positions": 2, "max_days": 30},
            {"name": "funded", "group": "lab\\static2", "funded": True, "daily_loss_pct": 5,
             "max_loss_pct": 10, "profit_split_pct": 80},
        ],
    },
    "explain-lab-trailing": {
        "day_reset": {"time": "17:00", "zone": "America/New_York"},
        "phases": [
            {"name": "funded", "group": "lab\\trailing", "funded": True, "daily_loss_pct": 4,
             "daily_loss_basis": "equity", "daily_loss_reference": "day_start", "daily_loss_action": "pause",
             "max_loss_pct": 6, "max_loss_mode": "trailing_intraday", "trailing_lock": True,
             "weekend_holding": False, "inactivity_days": 3, "payout_rebase": True, "profit_split_pct": 80},
        ],
    },
    "explain-lab-variants": {
        "account_size": "50000",
        "day_reset": {"time": "17:00", "zone": "America/Chicago"},
        "phases": [
            {"name": "evaluation", "group": "lab\\variants", "profit_target_amount": "3000",
             "daily_loss_amount": "1000", "daily_loss_basis": "intraday_high", "max_loss_amount": "2000",
             "max_trade_loss_amount": "400", "max_trade_loss_action": "restrict",
             "exposure_caps": [{"name": "metals", "symbols": ["XAU*"], "max_lots": 2}]},
            {"name": "funded", "group": "lab\\variants2", "funded": True, "max_loss_amount": "2000",
             "profit_split_pct": 80},
        ],
    },
    "explain-lab-qualifying": {
        "account_size": "10000",
        "phases": [
            {"name": "phase1", "group": "lab\\qualifying", "profit_target_pct": 10, "min_trading_days": 2,
             "qualifying_trade_min_value_pct": "5", "qualifying_trade_min_result_pct": "1"},
        ],
    },
    "explain-lab-value-caps": {
        "phases": [
            {"name": "phase1", "group": "lab\\valuecaps", "profit_target_pct": 10,
             "exposure_caps": [{"name": "crypto", "symbols": ["BTC*"], "max_value_pct": "20"}]},
        ],
    },
    "explain-lab-deadline": {
        "phases": [{"name": "phase1", "group": "lab\\deadline", "profit_target_pct": 10, "max_days": 3}],
    },
}


@pytest.fixture(scope="module", autouse=True)
def lab_programs(migrated_url: str) -> None:
    with UnitOfWork(migrated_url) as uow:
        for program_id, body in LAB.items():
            uow.programs.add(parse_program({"id": program_id, "account_size": "100000", **body}))
        uow.commit()


def fill(login: int, ticket: int, minutes: float, *, entry: str = "in", profit: str = "0",
         commission: str = "0", swap: str = "0", volume: str = "1.00", position: int | None = None,
         action: str = "buy", comment: str = "", symbol: str = "EURUSD", value: str | None = None) -> DealRecord:
    return DealRecord(
        ticket=ticket, login=login, time=T0 + timedelta(minutes=minutes), action=action, entry=entry,
        symbol=symbol, volume=Decimal(volume), price=Decimal("1.10000"), profit=Decimal(profit),
        commission=Decimal(commission), swap=Decimal(swap), position=position or ticket, comment=comment,
        value=None if value is None else Decimal(value),
    )


class Scenario:
    """One account on the rig: snapshots and deals at minutes after T0, each judged at once."""

    def __init__(self, rig: Any, login: int, program: str) -> None:
        self.rig, self.login = rig, login
        self.cid = rig.register(login, T0, program)

    def step(self, minutes: float, balance: str, equity: str, positions: list | None = None,
             deals: list[DealRecord] | None = None) -> None:
        when = T0 + timedelta(minutes=minutes)
        self.rig.snapshot(self.login, when, balance, equity, positions)
        self.rig.evaluator.handle(self.rig.message([self.login], when, deals))

    def transitions(self) -> list[tuple[int, str, str]]:
        return [tuple(r) for r in self.rig.fetch(
            "SELECT id, decision, reason FROM phase_transitions WHERE challenge_id = %s ORDER BY transition_no",
            self.cid)]


def explain(transition_id: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            url: str) -> tuple[int, dict[str, Any]]:
    monkeypatch.setenv("DATABASE_URL", url)
    capsys.readouterr()
    status = main(["explain", "--transition", str(transition_id), "--json"])
    return status, orjson.loads(capsys.readouterr().out)


@pytest.fixture
def explained(rig: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
              ) -> Callable[[int], dict[str, Any]]:
    def run(transition_id: int) -> dict[str, Any]:
        status, record = explain(transition_id, monkeypatch, capsys, rig.url)
        assert status == 0, record["differences"]
        assert record["same"] is True and record["replayed"] is True
        assert record["transition_id"] == transition_id
        assert len(record["inputs_sha256"]) == 64
        parts = record["attribution"]
        assert sum(Decimal(v) for k, v in parts.items() if k != "total") == Decimal(parts["total"])
        return record
    return run


def test_a_daily_loss_failure_is_recomputed_and_told_with_its_floor_and_what_moved(rig, explained) -> None:
    s = Scenario(rig, 7101, "explain-lab-static")
    two = [("EURUSD", "1.00", "buy"), ("GBPUSD", "1.00", "sell")]
    s.step(5, "99996.50", "99496.50", two, [fill(7101, 1, 4, commission="-3.50")])
    # EURUSD closed at a loss (commission and a night's swap booked), GBPUSD falls further while open
    closing = fill(7101, 2, 8, entry="out", profit="-1000", commission="-3.50", swap="-2.00", position=1,
                   action="sell")
    s.step(10, "98991.00", "94980.20", [("GBPUSD", "1.00", "sell")], [closing])
    [(tid, decision, reason)] = s.transitions()
    assert (decision, reason) == ("failed", "daily_loss")
    record = explained(tid)
    assert record["attribution"] == {
        "closed_profit": "-1000", "commission": "-3.50", "swap": "-2.00", "balance_operations": "0",
        "other_balance": "0.00", "open_positions": "-3510.80", "total": "-4516.30",
    }
    daily = record["floors"]["daily"]
    assert daily["level"] == "95000" and daily["basis_value"] == "100000" and daily["reset_time"] == "00:00"
    assert record["floors"]["binding"] == "daily"
    text = record["text"]
    assert "Your equity reached 94,980.20 at 2026-01-05 10:10:00 Europe/Prague time (09:10:00 UTC)" in text
    assert ("The daily floor was 95,000.00: the balance of 100,000.00 at the 00:00 Europe/Prague reset minus 5%"
            " of the account size (5,000.00)") in text
    assert "Of the 4,516.30 fall since the previous check" in text
    assert "−1,000.00 from trades closed, −3.50 from commission, −2.00 from swap booked on closing" in text
    assert "the same decision" in text


def test_a_static_maximum_loss_failure_names_its_floor(rig, explained) -> None:
    s = Scenario(rig, 7102, "explain-lab-static")
    # day one: down 4,000 (daily floor holds); day two's floor is 91,000, the maximum-loss floor 90,000
    s.step(5, "96000", "96000")
    s.step(24 * 60 + 5, "96000", "90000.00", [("EURUSD", "2.00", "sell")])
    [(tid, decision, reason)] = s.transitions()
    assert (decision, reason) == ("failed", "daily_loss")  # the higher floor is met first: 91,000
    record = explained(tid)
    assert record["floors"]["daily"]["level"] == "91000" and record["floors"]["max"]["level"] == "90000"
    s2 = Scenario(rig, 7103, "explain-lab-static")
    s2.step(5, "96000", "96000")
    s2.step(24 * 60 + 5, "92000", "92000")
    s2.step(2 * 24 * 60 + 5, "92000", "89999.99", [("EURUSD", "1.00", "buy")])
    [(tid2, decision2, reason2)] = s2.transitions()
    assert (decision2, reason2) == ("failed", "max_loss")
    record2 = explained(tid2)
    assert record2["floors"]["binding"] == "max" and record2["floors"]["max"]["mode"] == "static"
    assert "The maximum-loss floor was 90,000.00: the account size of 100,000.00 minus 10%" in record2["text"]


def test_a_pass_and_funding_are_recomputed(rig, explained) -> None:
    s = Scenario(rig, 7104, "explain-lab-static")
    s.step(5, "100000", "100000", [("EURUSD", "1.00", "buy")], [fill(7104, 11, 1)])
    s.step(60, "110000", "110000", [], [fill(7104, 12, 59, entry="out", profit="10000", position=11,
                                               action="sell")])
    [(tid, decision, reason)] = s.transitions()
    assert (decision, reason) == ("funded", "profit_target")  # the phase before the funded stage
    record = explained(tid)
    assert "at or above the target of 110,000.00" in record["text"] and "You are funded." in record["text"]
    assert "the minimum of 1 trading days was met" in record["text"]
    assert record["attribution"]["closed_profit"] == "10000" and record["attribution"]["total"] == "10000"


def test_restrictions_on_volume_and_positions_are_recomputed(rig, explained) -> None:
    s = Scenario(rig, 7105, "explain-lab-static")
    three = [("EURUSD", "1.00", "buy"), ("GBPUSD", "1.00", "buy"), ("USDJPY", "0.50", "sell")]
    s.step(5, "100000", "99900", three)
    found = {reason: tid for tid, decision, reason in s.transitions() if decision == "restricted"}
    assert set(found) == {"max_lots", "max_positions"}
    lots = explained(found["max_lots"])
    assert "the open volume was 2.50 lots, above the maximum of 2 lots" in lots["text"]
    positions = explained(found["max_positions"])
    assert "3 positions were open, above the maximum of 2" in positions["text"]


def test_a_time_limit_failure_is_recomputed(rig, explained) -> None:
    s = Scenario(rig, 7106, "explain-lab-deadline")
    s.step(5, "100500", "100500")
    s.step(4 * 24 * 60, "100500", "100400")
    [(tid, decision, reason)] = s.transitions()
    assert (decision, reason) == ("failed", "max_days")
    assert "time limit of 3 days" in explained(tid)["text"]


def test_a_trailing_floor_a_pause_a_weekend_and_inactivity_are_recomputed(rig, explained) -> None:
    s = Scenario(rig, 7107, "explain-lab-trailing")
    gold = [("XAUUSD", "1.00", "buy")]
    # Monday: equity up to 101,000 (the trailing floor follows to 95,000), then down through the daily
    # floor of 96,000 (4% under the day's starting equity of 100,000): a pause, not a failure
    s.step(5, "100000", "101000", gold, [fill(7107, 21, 1, symbol="XAUUSD")])
    s.step(10, "100000", "95999.00", gold)
    [(pause_id, decision, reason)] = s.transitions()
    assert (decision, reason) == ("restricted", "daily_loss")
    pause = explained(pause_id)
    floors = pause["floors"]
    assert floors["daily"]["basis"] == "equity" and floors["daily"]["basis_value"] == "100000"
    assert floors["max"] == {"level": "95000", "mode": "trailing_intraday", "pct": "6", "amount": "6000",
                             "high_water": "101000", "lock": "100000", "locked": False}
    assert "trading is paused until the next reset (2026-01-05 17:00 America/New_York)" in pause["text"]
    # up to 107,000: the floor would be 101,000 and stops at its lock, the account size
    s.step(20, "100000", "107000", gold)
    # held into the next week: the weekend restriction on the first snapshot after it
    s.step(7 * 24 * 60, "100000", "100500", gold)
    weekend = [t for t in s.transitions() if t[2] == "weekend_holding"]
    assert len(weekend) == 1
    held = explained(weekend[0][0])
    assert "held over the weekend" in held["text"] and held["floors"]["max"]["locked"] is True
    # flat, then no trade for more than 3 days
    closing = fill(7107, 22, 7 * 24 * 60 + 20, entry="out", profit="500", position=21, action="sell",
                   symbol="XAUUSD")
    s.step(7 * 24 * 60 + 30, "100500", "100500", [], [closing])
    s.step(12 * 24 * 60, "100500", "100500", [])
    inactive = [t for t in s.transitions() if t[2] == "inactivity"]
    assert len(inactive) == 1 and "No trade was placed for 3 days" in explained(inactive[0][0])["text"]


def test_tampered_inputs_and_unknown_ids_are_refused(rig, monkeypatch, capsys) -> None:
    s = Scenario(rig, 7108, "explain-lab-static")
    s.step(5, "100000", "94000")
    [(tid, _, _)] = s.transitions()
    with UnitOfWork(rig.url) as uow:
        # the stored snapshot's equity changed after the fact: the hash and the replay both disagree
        uow.execute(
            "UPDATE phase_transitions SET evidence = jsonb_set(evidence, '{inputs,events,0,equity}', '\"95500\"')"
            " WHERE id = %s", (tid,))
        uow.commit()
    status, record = explain(tid, monkeypatch, capsys, rig.url)
    assert status == 1 and record["same"] is False
    assert any(d.startswith("inputs_sha256: stored") for d in record["differences"])
    assert any(d.startswith("decision: stored failed, recomputed none") for d in record["differences"])

    monkeypatch.setenv("DATABASE_URL", rig.url)
    assert main(["explain", "--transition", "987654321"]) == 2
    assert "no transition 987654321" in capsys.readouterr().err


def test_a_rebase_after_a_payout_is_recomputed(rig, explained) -> None:
    s = Scenario(rig, 7109, "explain-lab-trailing")
    s.step(5, "104000", "104000", [])
    payout = fill(7109, 31, 6, action="balance", entry="in", profit="-4000", comment="payout 1")
    s.step(7, "100000", "100000", [], [payout])
    [(tid, decision, reason)] = s.transitions()
    assert decision == "rebased"
    record = explained(tid)
    assert record["attribution"]["balance_operations"] == "-4000"
    assert "the floors restarted from the balance left" in record["text"]


def test_the_variants_decided_live_are_recomputed_and_told(rig, explained) -> None:
    """A per-trade restriction from a position's floating result, an exposure cap, and a daily floor that
    trails the day's high, all in money: decided by the evaluator from the poller's snapshot, recomputed."""
    from propfirm.live.records import PositionSummary, Snapshot

    s = Scenario(rig, 7110, "explain-lab-variants")

    def step(minutes: int, balance: str, equity: str, *positions: tuple[str, str, int, str]) -> None:
        when = T0 + timedelta(minutes=minutes)
        rig.cycle += 1
        rig.at(when)
        listed = tuple(
            PositionSummary(symbol, Decimal(lots), "buy", ticket, Decimal("2000"), Decimal("1990"), when,
                            Decimal(profit), Decimal("-1.00"))
            for symbol, lots, ticket, profit in positions
        )
        snap = Snapshot(rig.server, 7110, rig.cycle, when, Decimal(balance), Decimal(equity), Decimal(0),
                        Decimal(0), listed)
        rig.redis.set(rig.keys.snap(rig.server, 7110), snap.encode())
        rig.evaluator.handle(rig.message([7110], when, [fill(7110, minutes, minutes - 1, volume="1.00")]))

    step(5, "50000", "51500", ("XAUUSD", "1", 1, "1500"))  # the day's high: 51,500, floor 50,500
    step(10, "50000", "50600", ("XAUUSD", "1", 1, "1000"), ("EURUSD", "1", 2, "-399.00"))
    step(15, "50000", "50550", ("XAUUSD", "3", 1, "950"), ("EURUSD", "1", 2, "-400.00"))  # -401 with swap
    step(20, "50000", "50500", ("XAUUSD", "1", 1, "500"))
    kinds = [(decision, reason) for _, decision, reason in s.transitions()]
    assert kinds == [("restricted", "max_trade_loss"), ("restricted", "exposure_cap"), ("failed", "daily_loss")]
    trade, cap, daily = (explained(tid) for tid, _, _ in s.transitions())
    assert trade["limit"] == "400" and "a position had lost 400.00 or more" in trade["text"]
    assert cap["limit"] == "2" and "3 lots were open in metals (XAU*), more than the 2 it allows" in cap["text"]
    assert daily["limit"] == "50500" and daily["floors"]["daily"]["basis_value"] == "51500"
    assert "the day's highest equity since the 17:00 America/Chicago reset, 51,500.00, minus 1,000.00" in (
        daily["text"])


def test_a_pass_held_back_by_qualifying_trades_is_recomputed_from_the_deals_values(rig, explained) -> None:
    """HyroTrader's trading days: a day counts with a closed trade worth 5% of the size that moved 1% of its
    value. The deals' values travel from the message to the stored deals and the decision's inputs."""
    s = Scenario(rig, 7120, "explain-lab-qualifying")
    day = 24 * 60
    s.step(60, "11000", "11000", [], [fill(7120, 31, 1, volume="0.01", value="600.00"),
                                      fill(7120, 32, 59, entry="out", profit="1000", position=31, action="sell",
                                           volume="0.01", value="610.00")])
    s.step(day + 60, "11004", "11004", [], [fill(7120, 33, day + 1, volume="0.01", value="499.00"),
                                            fill(7120, 34, day + 59, entry="out", profit="4", position=33,
                                                 action="sell", volume="0.01")])
    assert s.transitions() == []  # one qualifying day of the two: the 499.00 trade is too small
    s.step(2 * day + 60, "11010", "11010", [], [fill(7120, 35, 2 * day + 1, volume="0.01", value="600.00"),
                                                fill(7120, 36, 2 * day + 59, entry="out", profit="6",
                                                     position=35, action="sell", volume="0.01")])
    [(tid, decision, reason)] = s.transitions()
    assert (decision, reason) == ("funded", "profit_target")  # its one phase passed: funded
    record = explained(tid)
    assert "the minimum of 2 trading days was met" in record["text"]
    stored = rig.fetch("SELECT ticket, value FROM deals WHERE login = %s ORDER BY ticket", 7120)
    assert [(t, None if v is None else str(v)) for t, v in stored] == [
        (31, "600.00"), (32, "610.00"), (33, "499.00"), (34, None), (35, "600.00"), (36, None)]


def test_a_cap_on_the_value_held_is_decided_from_the_polled_positions_and_told(rig, explained) -> None:
    """The poller's positions carry what each holds in the account currency; the evaluator caps the sum."""
    from propfirm.live.records import PositionSummary, Snapshot

    s = Scenario(rig, 7130, "explain-lab-value-caps")

    def step(minutes: int, *values: str) -> None:
        when = T0 + timedelta(minutes=minutes)
        rig.cycle += 1
        rig.at(when)
        listed = tuple(
            PositionSummary("BTCUSD", Decimal("0.2"), "buy", ticket, Decimal("60000"), Decimal("60500"), when,
                            Decimal("100"), Decimal("0"), Decimal(value))
            for ticket, value in enumerate(values, start=1)
        )
        snap = Snapshot(rig.server, 7130, rig.cycle, when, Decimal("100000"), Decimal("100200"), Decimal(0),
                        Decimal(0), listed)
        rig.redis.set(rig.keys.snap(rig.server, 7130), snap.encode())
        rig.evaluator.handle(rig.message([7130], when, [fill(7130, 40 + minutes, minutes - 1, symbol="BTCUSD")]))

    step(5, "12100.00")
    step(10, "12100.00", "7900.00")  # 20,000: at the cap, allowed
    step(15, "12100.00", "7900.01")
    [(tid, decision, reason)] = s.transitions()
    assert (decision, reason) == ("restricted", "exposure_cap")
    record = explained(tid)
    assert record["limit"] == "20000"
    assert "positions worth 20,000.01 were open in crypto (BTC*), more than the 20,000.00 it allows" in record["text"]
