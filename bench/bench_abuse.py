"""Benchmark: the abuse detectors' cost per 1,000 deals, and their precision and recall on the simulator's
mix (honest profiles with the scripted abusers: a hedging pair, a copy ring, a scalper, a martingale, a grid
and a news straddler per hundred accounts in first phases; the simulated news calendar, two releases a weekday).

    .venv/bin/python bench/bench_abuse.py [--quick] [--accounts N] [--days D] [--seeds 1,2,3]
"""

from __future__ import annotations

import argparse
import time

from propfirm.domain.abuse.detectors import DETECTORS, detect
from propfirm.domain.abuse.trades import trades_of
from propfirm.sim.deal_stream import abusers, releases, run_world, sizes, trade_deals

EXPECTED = {"hedger": "hedging", "copier": "copy_trading", "scalper": "latency_arbitrage", "martingale": "martingale",
            "grid": "grid", "straddler": "news_straddle"}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench_abuse", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run")
    parser.add_argument("--accounts", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--seeds", default=None, help="comma-separated seeds (default 1,2,3; quick: 1)")
    args = parser.parse_args(argv)
    accounts = args.accounts or (200 if args.quick else 400)
    days = args.days or (5 if args.quick else 10)
    seeds = [int(s) for s in (args.seeds or ("1" if args.quick else "1,2,3")).split(",")]
    tally = {str(d): {"true": 0, "false": 0, "missed": 0} for d in DETECTORS}
    deals_total = 0
    seconds = 0.0
    for seed in seeds:
        world = run_world(accounts, days, seed, news=True)
        deals = trade_deals(world)
        began = time.process_time()
        findings = detect(trades_of(deals, sizes(world)), releases=releases(world))
        seconds += time.process_time() - began
        deals_total += len(deals)
        planted = abusers(world)
        found_logins: dict[str, set[int]] = {str(d): set() for d in DETECTORS}
        for finding in findings:
            truly = all(EXPECTED.get(planted.get(login, "")) == finding.detector for login in finding.logins)
            tally[finding.detector]["true" if truly else "false"] += 1
            found_logins[finding.detector].update(finding.logins)
        for login, profile in planted.items():
            if login not in found_logins[EXPECTED[profile]]:
                tally[EXPECTED[profile]]["missed"] += 1
    per_detector = {}
    for name, t in tally.items():
        found = t["true"] + t["false"]
        per_detector[name] = {
            **t,
            "precision": round(t["true"] / found, 3) if found else None,
            "recall_accounts_missed": t["missed"],
        }
    result = {
        "accounts": accounts,
        "days": days,
        "seeds": seeds,
        "deals": deals_total,
        "cpu_ms_per_1000_deals": round(seconds * 1000 / max(1, deals_total) * 1000, 2),
        "detectors": per_detector,
    }
    print(result)
    return result


if __name__ == "__main__":
    main()
