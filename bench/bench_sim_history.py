"""Benchmark of the MT5 simulator's memory over a simulated month: the deal history stays bounded.

    .venv/bin/python bench/bench_sim_history.py [--quick] [--accounts N] [--days D] [--deals-per-day K]

Builds a world of N accounts (100,000; 20,000 with --quick) and trades every account K deals a simulated
day (18, the default trader mix's rate: K/2 round trips in EURUSD, each held 10 minutes, spread over the
day's hours), for D days (30; 7 with --quick), the clock advancing an hour at a time so that rollovers
and the history's hourly spills happen as in a run. At the end of each day it records the resident
memory (after a collection), the deals in memory and on disk; at the end it reads one account's whole
month back through `deals_of` and a deal from the first day by ticket, and times both.

The clock is the world's own (`SimClock`, frozen between steps), started on a fixed Monday: the figures do
not depend on the day the bench runs.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import time
from datetime import UTC, datetime, timedelta

from propfirm.sim.testing import build_world

START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # a Monday
GROUPS = [f"bench\\g{i}" for i in range(10)]


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 accounts for 7 days")
    parser.add_argument("--accounts", type=int, default=None)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--deals-per-day", type=int, default=18)
    args = parser.parse_args(argv)
    accounts = args.accounts or (20_000 if args.quick else 100_000)
    days = args.days or (7 if args.quick else 30)
    trips = max(1, args.deals_per_day // 2)

    began = time.perf_counter()
    world = build_world(accounts, seed=1, speed=0, groups=GROUPS, start=START)
    world.traders.clear()  # the bench trades itself, at a known rate
    logins = sorted(world.accounts)
    gc.collect()
    built = _rss_mib()
    print(f"MT5 simulator history, {accounts:,} accounts, {trips * 2} deals each a day, {days} days")
    print(f"  built in {time.perf_counter() - began:.1f} s, resident {built:.0f} MiB")
    per_day = []
    trading = 0.0
    for day in range(days):
        day_began = time.perf_counter()
        for hour in range(24):
            # account i trades in `trips` of the day's 24 hours, spread by its index
            chosen = [login for i, login in enumerate(logins) if (i * 7 + hour * trips) % 24 < trips]
            with world.lock:
                opened = [(login, world.open_position(login, "EURUSD", "buy", "0.1")) for login in chosen]
            world.clock.advance(timedelta(minutes=10))
            with world.lock:
                for login, ticket in opened:
                    world.close_position(login, ticket)
            world.clock.advance(timedelta(minutes=50))  # rollovers and the hourly spill happen here
        trading += time.perf_counter() - day_began
        gc.collect()
        row = {
            "day": day + 1,
            "rss_mib": round(_rss_mib(), 1),
            "deals": len(world.deals),
            "in_memory": world.deals.in_memory,
            "disk_mib": round(world.deals.disk_bytes / 2**20, 1),
            "seconds": round(time.perf_counter() - day_began, 1),
        }
        per_day.append(row)
        print(
            f"  day {row['day']:>2}: resident {row['rss_mib']:>7.0f} MiB, {row['deals']:>11,} deals "
            f"({row['in_memory']:,} in memory, {row['disk_mib']:,.0f} MiB on disk), {row['seconds']} s",
            flush=True,
        )

    account = world.accounts[logins[len(logins) // 2]]
    began = time.perf_counter()
    month = world.deals_of(account)
    read_month = time.perf_counter() - began
    first = month[1]
    began = time.perf_counter()
    assert world.deals[first.ticket] == first
    read_one = time.perf_counter() - began

    figures = {
        "accounts": accounts,
        "days": days,
        "deals_per_account_day": trips * 2,
        "built_rss_mib": round(built, 1),
        "final_rss_mib": per_day[-1]["rss_mib"],
        "max_daily_rss_mib": max(r["rss_mib"] for r in per_day),
        "peak_rss_mib": round(_peak_mib(), 1),
        "deals": per_day[-1]["deals"],
        "in_memory": per_day[-1]["in_memory"],
        "disk_mib": per_day[-1]["disk_mib"],
        "trading_seconds": round(trading, 1),
        "read_account_month_ms": round(read_month * 1000, 2),
        "read_account_month_deals": len(month),
        "read_one_deal_ms": round(read_one * 1000, 3),
        "per_day": per_day,
    }
    growth = figures["final_rss_mib"] - per_day[0]["rss_mib"]
    print(f"  resident after day 1 {per_day[0]['rss_mib']:.0f} MiB, after day {days} "
          f"{figures['final_rss_mib']:.0f} MiB ({growth:+.0f} MiB), peak {figures['peak_rss_mib']:.0f} MiB")
    print(f"  one account's {len(month)} deals of the whole run read back in {figures['read_account_month_ms']} ms; "
          f"a first-day deal by ticket in {figures['read_one_deal_ms']} ms")
    world.deals.close()
    return figures


if __name__ == "__main__":
    main()
