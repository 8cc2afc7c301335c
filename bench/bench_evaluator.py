"""Evaluator benchmark: evaluation messages per second and PostgreSQL statements per changed account.

    .venv/bin/python bench/bench_evaluator.py [--quick]      (--quick: 1k accounts only)

Set-up (all on this machine): a fresh PostgreSQL database (created from DATABASE_URL, migrated, dropped
at the end), Redis from REDIS_URL under a namespace of its own, the command queue in moto (in-process).
N challenges on `two-step-100k` are registered in bulk; every cycle writes a snapshot of every account to
Redis (as the poller does) and hands the evaluator one claim-check message per shard (16 shards).

- cold: the first cycle, no state cache in Redis (every challenge row read from PostgreSQL);
- warm: the steady cycles: small equity moves, no decision (the common case);
- breach: a cycle in which 1% of the accounts breach their daily floor (a transition each, with its
  audit rows and commands, and the outbox relay sending them to SQS).
Statements are counted by the Unit of Work (every statement sent, reads included; BEGIN/COMMIT not).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from moto import mock_aws  # noqa: E402
from propfirm.domain import engine  # noqa: E402
from propfirm.domain.programs import load_example_programs  # noqa: E402
from propfirm.evaluation.live import LiveState  # noqa: E402
from propfirm.evaluation.relay import OutboxRelay  # noqa: E402
from propfirm.evaluation.service import Evaluator  # noqa: E402
from propfirm.live.keys import LiveKeys  # noqa: E402
from propfirm.live.records import encode_snapshot, iso_utc  # noqa: E402
from propfirm.queues.messages import EvaluationMessage  # noqa: E402
from propfirm.queues.sharding import shard_of  # noqa: E402
from propfirm.queues.sqs import SqsSender  # noqa: E402
from propfirm.settings import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL  # noqa: E402
from propfirm.store.db import StatementCounter, make_pool  # noqa: E402
from propfirm.store.jsonutil import plain  # noqa: E402
from propfirm.store.migrator import apply_migrations  # noqa: E402
from propfirm.store.programs import load_shipped_programs  # noqa: E402
from propfirm.store.uow import UnitOfWork  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

SERVER = "bench"
SHARDS = 16
FIRST_LOGIN = 100_000


def _database(admin_url: str) -> tuple[str, str]:
    name = f"propfirm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    info["dbname"] = name
    return name, psycopg.conninfo.make_conninfo(**info)


def _register(url: str, accounts: int, start: datetime) -> None:
    program = load_example_programs()["two-step-100k"]
    with UnitOfWork(url) as uow:
        load_shipped_programs(uow)
        trader = uow.traders.get_or_create("bench@example.com")
        states = []
        for i in range(accounts):
            states.append(
                Jsonb(plain(engine.new_challenge(program, FIRST_LOGIN + i, start, SERVER).to_dict()))
            )
        uow.execute(
            "INSERT INTO challenges (trader_id, program_id, program_version, server, login, status, phase,"
            " state) SELECT %s, 'two-step-100k', 1, %s, l, 'active', 0, s"
            " FROM unnest(%s::bigint[], %s::jsonb[]) AS v(l, s)",
            (trader, SERVER, [FIRST_LOGIN + i for i in range(accounts)], states),
        )
        uow.commit()


def _write_snapshots(
    client: redis.Redis, keys: LiveKeys, logins: list[int], cycle: int, at: datetime, equity_of
) -> None:
    text = iso_utc(at)
    pipe = client.pipeline(transaction=False)
    for login in logins:
        pipe.set(
            keys.snap(SERVER, login),
            encode_snapshot(
                SERVER, login, cycle, text, Decimal(100000), equity_of(login), Decimal(0), Decimal(0), ()
            ),
        )
    pipe.execute()


def _messages(logins: list[int], cycle: int, at: datetime) -> list[EvaluationMessage]:
    by_shard: dict[int, list[int]] = {}
    for login in logins:
        by_shard.setdefault(shard_of(SERVER, login, SHARDS), []).append(login)
    return [
        EvaluationMessage(server=SERVER, cycle=cycle, shard=shard, time=at, logins=sorted(ls))
        for shard, ls in sorted(by_shard.items())
    ]


def _run_cycle(evaluator: Evaluator, counter: StatementCounter, messages: list[EvaluationMessage]) -> dict:
    before = counter.count
    started = time.perf_counter()
    cpu = time.process_time()
    transitions = 0
    for message in messages:
        transitions += evaluator.handle(message).transitions
    wall = time.perf_counter() - started
    accounts = sum(len(m.logins) for m in messages)
    return {
        "messages": len(messages),
        "accounts": accounts,
        "seconds": round(wall, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "messages_per_s": round(len(messages) / wall, 1),
        "accounts_per_s": round(accounts / wall),
        "statements": counter.count - before,
        "statements_per_account": round((counter.count - before) / accounts, 4),
        "transitions": transitions,
    }


def bench(accounts: int, warm_cycles: int, admin_url: str, redis_url: str) -> dict:
    name, url = _database(admin_url)
    namespace = f"bench{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(redis_url)
    # trading days ahead of the real clock, so that floors are valid in Redis
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    try:
        apply_migrations(url)
        _register(url, accounts, start)
        with mock_aws():
            sqs = boto3.client("sqs", region_name="us-east-1")
            queue = sqs.create_queue(QueueName="commands.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
            pool = make_pool(url, max_size=2)
            counter = StatementCounter()

            def uow() -> UnitOfWork:
                return UnitOfWork(pool, counter)

            evaluator = Evaluator(uow, LiveState(client, namespace), OutboxRelay(uow, SqsSender(sqs, queue)))
            keys = LiveKeys(namespace)
            logins = [FIRST_LOGIN + i for i in range(accounts)]
            results: dict[str, dict] = {}
            at = start + timedelta(seconds=2)
            _write_snapshots(client, keys, logins, 1, at, lambda login: Decimal(99900))
            results["cold"] = _run_cycle(evaluator, counter, _messages(logins, 1, at))
            warm = []
            for c in range(warm_cycles):
                at += timedelta(seconds=2)
                _write_snapshots(client, keys, logins, 2 + c, at, lambda login, c=c: Decimal(99800 - c))
                warm.append(_run_cycle(evaluator, counter, _messages(logins, 2 + c, at)))
            best = max(warm, key=lambda r: r["accounts_per_s"])
            results["warm"] = {
                **best,
                "statements_per_account": round(
                    sum(r["statements"] for r in warm) / sum(r["accounts"] for r in warm), 4
                ),
            }
            at += timedelta(seconds=2)
            breaching = set(logins[::100])
            _write_snapshots(
                client,
                keys,
                logins,
                99,
                at,
                lambda login: Decimal(94000) if login in breaching else Decimal(99700),
            )
            breach = _run_cycle(evaluator, counter, _messages(logins, 99, at))
            warm_statements = results["warm"]["statements_per_account"] * accounts
            breach["statements_per_failed_account"] = round(
                (breach["statements"] - warm_statements) / max(1, breach["transitions"]), 1
            )
            results["breach"] = breach
            pool.close()
        return results
    finally:
        keys_left = list(client.scan_iter(match=f"{namespace}*", count=5000))
        for i in range(0, len(keys_left), 1000):
            client.delete(*keys_left[i : i + 1000])
        client.close()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench_evaluator", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k accounts only (well under 20 s)")
    parser.add_argument("--accounts", type=int, nargs="*", help="account counts (default 1000 10000)")
    parser.add_argument("--warm-cycles", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = args.accounts or ([1000] if args.quick else [1000, 10_000])
    admin_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    figures: dict = {"machine": f"{os.cpu_count()} cores", "shards": SHARDS, "runs": {}}
    print(
        f"{'accounts':>8} {'cycle':>6} {'msgs':>5} {'msgs/s':>8} {'accts/s':>8} {'stmts':>6}"
        f" {'stmts/acct':>10} {'transitions':>11} {'stmts/failed':>12}"
    )
    for n in sizes:
        run = bench(n, args.warm_cycles, admin_url, redis_url)
        figures["runs"][str(n)] = run
        for label, r in run.items():
            extra = r.get("statements_per_failed_account", "")
            print(
                f"{n:>8} {label:>6} {r['messages']:>5} {r['messages_per_s']:>8} {r['accounts_per_s']:>8}"
                f" {r['statements']:>6} {r['statements_per_account']:>10} {r['transitions']:>11} {extra:>12}"
            )
    return figures


if __name__ == "__main__":
    main()
