"""The simulator's ground truth: the replay format, written as the market runs, exact enough that replaying
it through the rule engine finds a breach at the very instant it happened."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import orjson
from propfirm.domain.programs import load_example_programs
from propfirm.replay import Replay
from propfirm.sim.accounts import REASON_CLIENT
from propfirm.sim.testing import build_world
from propfirm.sim.truth import TruthWriter, first_phase_starts

from tests.instants import MONDAY_MORNING

PROGRAMS = load_example_programs()


def lines(path: Path) -> list[dict]:
    return [orjson.loads(raw) for raw in path.read_bytes().splitlines()]


def world_with_truth(tmp_path: Path):
    world = build_world(0, speed=0.0, start=MONDAY_MORNING, groups=["challenge\\phase1", "funded\\instant"])
    phase1 = world.create_account(group="challenge\\phase1", balance=Decimal(100_000))
    funded = world.create_account(group="funded\\instant", balance=Decimal(100_000))
    with world.lock:
        truth = TruthWriter(world, tmp_path / "truth.jsonl", "sim", first_phase_starts(world, PROGRAMS))
        world.observer = truth
    return world, truth, phase1, funded


def test_starts_deals_balances_and_snapshots_in_the_replay_format(tmp_path: Path) -> None:
    world, truth, phase1, funded = world_with_truth(tmp_path)
    ticket = world.open_position(phase1, "EURUSD", "buy", Decimal("1.00"), reason=REASON_CLIENT)
    world.clock.advance(timedelta(minutes=5))
    world.step()
    world.close_position(phase1, ticket, reason=REASON_CLIENT)
    world.balance(phase1, Decimal("-100.00"), comment="fee correction")
    truth.close()
    written = lines(truth.path)
    starts = [line for line in written if line["type"] == "start"]
    # the phase-1 account starts; the instantly funded one has no evaluation to replay
    assert starts == [{"type": "start", "time": MONDAY_MORNING.isoformat(), "login": phase1,
                       "program": "two-step-100k", "server": "sim"}]
    kinds = [line["type"] for line in written if line["login"] == phase1]
    assert kinds[:2] == ["start", "snapshot"]  # where it stands at the start
    deals = [line for line in written if line["type"] == "deal"]
    assert [(d["entry"], d["symbol"], d["volume"]) for d in deals] == [("in", "EURUSD", "1"), ("out", "EURUSD", "1")]
    assert deals[1]["position"] == ticket and Decimal(deals[1]["commission"]) <= 0
    # what each deal traded in the account currency, as a client computes it from MT5's deal record
    records = {d.ticket: d for d in world.accounts[phase1].deals}
    assert [Decimal(d["value"]) for d in deals] == [
        (Decimal(100000) * records[d["deal"]].price).quantize(Decimal("0.01")) for d in deals
    ]
    [balance] = [line for line in written if line["type"] == "balance"]
    assert (balance["amount"], balance["comment"]) == ("-100.00", "fee correction")
    # a snapshot right after each deal and balance operation, with the positions then open
    for index, line in enumerate(written):
        if line["type"] in ("deal", "balance"):
            after = written[index + 1]
            assert after["type"] == "snapshot" and after["login"] == line["login"] and after["time"] == line["time"]
    after_open = written[[i for i, line in enumerate(written) if line["type"] == "deal"][0] + 1]
    # with what it held at the bid then (a buy is valued at the bid), as the poller computes it from MT5's record
    held = (Decimal(100000) * records[deals[0]["deal"]].market_bid).quantize(Decimal("0.01"))
    assert after_open["positions"] == [{"symbol": "EURUSD", "volume": "1", "type": "buy", "value": str(held)}]
    times = [line["time"] for line in written]
    assert times == sorted(times)  # in time order
    # and the whole file replays through the engine
    Replay(PROGRAMS).feed((orjson.dumps(line) for line in written if line["login"] == phase1), "truth",
                          lambda d, digits: None)


def test_each_new_low_and_each_server_hour_is_written(tmp_path: Path) -> None:
    world, truth, phase1, _ = world_with_truth(tmp_path)
    world.open_position(phase1, "XAUUSD", "buy", Decimal("5.00"), reason=REASON_CLIENT)
    before = truth.lines
    lows = []
    for _ in range(200):  # price steps within one server hour
        world.clock.advance(timedelta(seconds=5))
        world.step()
        lows.append(world.account(phase1).equity)
    written = [line for line in lines_so_far(truth) if line["login"] == phase1 and line["type"] == "snapshot"]
    snapshots = [Decimal(line["equity"]) for line in written[-(truth.lines - before):]]
    # every written equity is a new high of the day or a new low since the last high: never a repeat
    assert all(e != previous for previous, e in zip(snapshots, snapshots[1:], strict=False))
    assert min(lows) in [Decimal(e) for e in snapshots]  # the lowest equity of the run is in the truth
    hour_marks = {line["time"][:13] for line in lines_so_far(truth) if line["type"] == "snapshot"}
    world.clock.advance(timedelta(hours=1))
    world.step()
    assert len({line["time"][:13] for line in lines_so_far(truth) if line["type"] == "snapshot"}) > len(hour_marks)


def lines_so_far(truth: TruthWriter) -> list[dict]:
    truth._out.flush()
    return lines(truth.path)


def test_replaying_the_truth_finds_a_breach_at_the_instant_it_happened(tmp_path: Path) -> None:
    world, truth, phase1, _ = world_with_truth(tmp_path)
    ticket = world.open_position(phase1, "EURUSD", "buy", Decimal("2.00"), reason=REASON_CLIENT)
    world.clock.advance(timedelta(minutes=3))
    price = world.positions[ticket].price_open - Decimal("0.0280")  # 2 lots: -5,600
    breach_time = world.now()
    world.close_position(phase1, ticket, price=price, reason=REASON_CLIENT)
    world.clock.advance(timedelta(minutes=3))
    world.step()
    truth.close()
    found = []
    Replay(PROGRAMS).feed(
        (orjson.dumps(line) for line in lines(truth.path) if line["login"] == phase1), "truth",
        lambda decision, digits: found.append(decision),
    )
    [failure] = [d for d in found if d.decision == "failed"]
    assert (failure.reason, failure.time) == ("daily_loss", breach_time)
