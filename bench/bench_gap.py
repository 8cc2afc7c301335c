"""Benchmark: a blind interval's check (propfirm.poller.gap_check) over many accounts: CPU per account and per
account-minute, and whether the planted dips are found (and nothing else).

Accounts hold one to three positions in the simulator's symbols; the gap's minute bars are a seeded random
walk; one account in a hundred gets its floor put just above its lowest equity of the gap (a dip that came
back), the others a floor far below. Everything is pure: no MT5, no Redis; the clock is the bench's own.

    .venv/bin/python bench/bench_gap.py [--quick] [--accounts N] [--minutes 60,240] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propfirm.live.records import FloorRecord
from propfirm.mt5.models import MinuteBar, SymbolInfo
from propfirm.poller.gap_check import AccountAt, GapWindow, MinutePrices, check_gap
from propfirm.poller.held import HeldPosition
from propfirm.sim.market import DEFAULT_SYMBOLS

START = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # the bench's clock: fixed, never the machine's
USD = [s for s in DEFAULT_SYMBOLS if s.profit_currency == "USD"]  # quoted in the accounts' currency
SPECS = {s.name: SymbolInfo(s.name, s.digits, s.contract_size, s.base_currency, s.profit_currency) for s in USD}


def _walk(rng: random.Random, minutes: int) -> dict[str, list[MinuteBar]]:
    bars: dict[str, list[MinuteBar]] = {}
    for spec in USD:
        price = float(spec.start_bid)
        rows = []
        for m in range(minutes + 1):
            ticks = [price := price * (1 + rng.gauss(0, spec.volatility)) for _ in range(6)]
            q = [Decimal(repr(round(t, spec.digits))) for t in ticks]
            rows.append(MinuteBar(spec.name, START + timedelta(minutes=m), q[0], max(q), min(q), q[-1], spec.spread))
        bars[spec.name] = rows
    return bars


def _accounts(rng: random.Random, count: int) -> list[AccountAt]:
    accounts = []
    for i in range(count):
        held = []
        for k in range(rng.randint(1, 3)):
            spec = rng.choice(USD)
            buy = rng.random() < 0.5
            lots = Decimal(rng.choice(["0.10", "0.50", "1.00", "2.00"]))
            held.append(HeldPosition(spec.name, buy, lots, spec.start_bid, Decimal(0), i * 10 + k))
        accounts.append(AccountAt(1_000_000 + i, Decimal(100_000), tuple(held)))
    return accounts


def _floor(level: Decimal, minutes: int) -> FloorRecord:
    return FloorRecord(level, START + timedelta(minutes=minutes + 60), "max_loss", "touch", "fail", 1)


def _converter(source: str, target: str) -> str | None:
    return None


def run(accounts: int, minutes: int, seed: int) -> dict:
    rng = random.Random(seed)
    prices_bars = _walk(rng, minutes)
    book = _accounts(rng, accounts)
    window = GapWindow.instants(START, START + timedelta(minutes=minutes))
    # a first pass with a floor above everything walks every minute and finds each account's lowest equity;
    # one in a hundred then gets a floor a cent above it (a dip that went a cent through and came back), the
    # rest 10,000 below it
    probe = MinutePrices(prices_bars)
    lowest = {a.login: check_gap(a, a, _floor(Decimal(10**9), minutes), (), window, probe, SPECS, "USD",
                                 _converter).lowest for a in book}
    planted = {a.login for a in book[::100]}
    floors = {a.login: _floor(lowest[a.login] + (Decimal("0.01") if a.login in planted else Decimal(-10_000)),
                              minutes) for a in book}
    began = time.process_time()
    prices = MinutePrices(prices_bars)  # built once per gap, as the reviewer does
    verdicts = [check_gap(a, a, floors[a.login], (), window, prices, SPECS, "USD", _converter) for a in book]
    seconds = time.process_time() - began
    flagged = {v.login for v in verdicts if v.outcome in ("breached", "possible")}
    return {
        "accounts": accounts,
        "minutes": minutes,
        "cpu_s": round(seconds, 3),
        "accounts_per_s": round(accounts / seconds),
        "us_per_account_minute": round(seconds / (accounts * minutes) * 1e6, 2),
        "planted": len(planted),
        "found": len(flagged & planted),
        "false": len(flagged - planted),
        "breached": sum(v.outcome == "breached" for v in verdicts),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench_gap", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run")
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--minutes", default=None, help="gap lengths in minutes, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    accounts = args.accounts or (1_000 if args.quick else 10_000)
    lengths = [int(m) for m in (args.minutes or ("30" if args.quick else "10,60,240")).split(",")]
    rows = [run(accounts, minutes, args.seed) for minutes in lengths]
    print(f"{'accounts':>9} {'minutes':>8} {'cpu s':>8} {'accounts/s':>11} {'us/acct-min':>12} "
          f"{'planted':>8} {'found':>6} {'false':>6}")
    for r in rows:
        print(f"{r['accounts']:>9,} {r['minutes']:>8} {r['cpu_s']:>8} {r['accounts_per_s']:>11,} "
              f"{r['us_per_account_minute']:>12} {r['planted']:>8} {r['found']:>6} {r['false']:>6}")
    return {"summary": rows}


if __name__ == "__main__":
    main()
