"""Benchmark of the MT5 simulator: memory of 100,000 accounts, and group batches over HTTP.

    .venv/bin/python bench/bench_sim.py [--quick]

Builds a world of N accounts (100,000; 20,000 with --quick) in 10 groups with
scripted traders, lets them trade one round (about half hold positions), starts the
Web API server, logs in with a raw httpx client on one keep-alive connection and
times `/api/user/account/get_batch?group=` (10,000 account states; 2,000 quick),
`/api/position/get_batch?group=` and `/api/user/get_batch?group=` for one group.
"""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import ssl
import statistics
import time
from datetime import UTC, datetime

import httpx
from propfirm.mt5.auth import password_hash, rand_answer
from propfirm.sim.testing import Simulator, build_world, create_simulator

GROUPS = [f"bench\\g{i}" for i in range(10)]
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _session(sim: Simulator) -> httpx.Client:
    """One keep-alive connection, authenticated with the documented handshake."""
    verify = ssl.create_default_context(cafile=sim.cafile) if sim.cafile else False
    http = httpx.Client(base_url=sim.url, verify=verify, timeout=60, limits=httpx.Limits(max_connections=1))
    start = http.get(
        "/api/auth/start",
        params={"version": 4755, "agent": "bench", "login": sim.manager_login, "type": "manager"},
    ).json()
    key = password_hash(sim.manager_password)
    answer = http.get(
        "/api/auth/answer",
        params={
            "srv_rand_answer": rand_answer(key, bytes.fromhex(start["srv_rand"])),
            "cli_rand": secrets.token_hex(16),
        },
    ).json()
    if answer["retcode"] != "0 Done":
        raise RuntimeError(f"login failed: {answer}")
    return http


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _time(http, path: str, params: dict, repeat: int) -> tuple[float, float, int, int]:
    timings, size, count = [], 0, 0
    for _ in range(repeat):
        began = time.perf_counter()
        response = http.get(path, params=params)
        body = response.json()
        timings.append(time.perf_counter() - began)
        size, count = len(response.content), len(body["answer"])
    return statistics.median(timings), min(timings), count, size


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 accounts, 3 repeats")
    parser.add_argument("--accounts", type=int, default=None)
    args = parser.parse_args(argv)
    accounts = args.accounts or (20_000 if args.quick else 100_000)
    repeat = 3 if args.quick else 7

    gc.collect()
    before = _rss()
    began = time.perf_counter()
    world = build_world(accounts, seed=1, speed=0, groups=GROUPS, start=START)
    build_seconds = time.perf_counter() - began
    gc.collect()
    memory = _rss() - before
    began = time.perf_counter()
    world.step()
    trades = world.run_traders()
    round_seconds = time.perf_counter() - began

    figures: dict = {
        "accounts": accounts,
        "build_seconds": round(build_seconds, 2),
        "memory_mb": round(memory / 1e6, 1),
        "memory_bytes_per_account": round(memory / accounts),
        "positions": len(world.positions),
        "trader_round_seconds": round(round_seconds, 2),
        "trader_round_trades": trades,
    }
    endpoints = (
        ("account_batch", "/api/user/account/get_batch"),
        ("position_batch", "/api/position/get_batch"),
        ("user_batch", "/api/user/get_batch"),
        ("account_batch_https", "/api/user/account/get_batch"),
    )
    for tls in (False, True):
        sim = create_simulator(world, tls=tls).start()
        http = None
        try:
            http = _session(sim)
            for name, path in endpoints:
                if name.endswith("_https") != tls:
                    continue
                median, best, count, size = _time(http, path, {"group": GROUPS[0]}, repeat)
                figures[f"{name}_records"] = count
                figures[f"{name}_median_seconds"] = round(median, 3)
                figures[f"{name}_best_seconds"] = round(best, 3)
                figures[f"{name}_bytes"] = size
        finally:
            if http is not None:
                http.close()
            sim.stop()

    print(f"MT5 simulator, {accounts:,} accounts in {len(GROUPS)} groups (cores: {os.cpu_count()})")
    print(f"  build                {figures['build_seconds']:>8} s")
    per_account = figures["memory_bytes_per_account"]
    print(f"  memory               {figures['memory_mb']:>8} MB  ({per_account} B/account)")
    print(f"  trader round         {figures['trader_round_seconds']:>8} s  ({trades} trades)")
    for name, _ in endpoints:
        print(
            f"  {name:<20} {figures[name + '_median_seconds']:>8} s median, "
            f"{figures[name + '_best_seconds']} s best, {figures[name + '_records']:,} records, "
            f"{figures[name + '_bytes'] / 1e6:.1f} MB"
        )
    return figures


if __name__ == "__main__":
    main()
