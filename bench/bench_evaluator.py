"""Evaluator benchmark: account evaluations per second per core, against the naive design, same run.

    .venv/bin/python bench/bench_evaluator.py [--quick] [--rtt-ms 0.5]
    .venv/bin/propfirm bench evaluator [--quick]

What runs: the evaluator Lambda's own handler (`propfirm.evaluation.function.lambda_handler`) is handed
Lambda's SQS event for batches of 10 evaluation messages of 100 accounts each (one handler-sized batch:
1,000 accounts), parsed by pydantic, processed by Powertools' FIFO batch processor, judged by the rule
engine and recorded in a fresh PostgreSQL database (created from DATABASE_URL, migrated, dropped at the
end), Redis from REDIS_URL under a namespace of its own; the command queue and the event bus in moto's
server, a child process (its CPU is not the evaluator's).

- per core: accounts judged / CPU seconds of this process over the handler calls (what a Lambda
  container pays for); wall: accounts / elapsed seconds. The CPU of the PostgreSQL backends serving
  the evaluator is reported beside it (the evaluator's share of the database).
- steady: every account has a new snapshot every cycle, small equity moves, no decision (the common case);
  the median cycle is reported. Cold: the first cycle, with no state cached in Redis.
- with transitions: cycles in which 1% of the accounts breach their daily floor (a transition each, its
  audit row, commands sent to SQS and an event put on EventBridge).
- naive: the same handler and engine, written as one would first write it: for each account of a
  message, one Redis read (its snapshot: GET) and one PostgreSQL query (its challenge row, by account);
  no state cache, so every judged state is saved back (in one statement per message, as generous to it
  as the real design), and the floors are written in one pipeline per message.
- --rtt-ms R: both run again with R ms of network round trip added in front of Redis and PostgreSQL by
  a delay proxy (a child process), as between a Lambda and ElastiCache / RDS Proxy in one AZ; loopback
  round trips cost almost nothing, which flatters the naive design.
- cold import: `python -X importtime -c "import propfirm.evaluation.function"` in fresh interpreters
  (median of 5), and import plus building the runtime (the pool connected), what a cold start costs.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
for _name, _value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench"),
                      ("AWS_DEFAULT_REGION", "us-east-1")):
    os.environ.setdefault(_name, _value)

import boto3  # noqa: E402
import orjson  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from propfirm.benchkit.harness import delay_proxy, moto_server, temporary_database, with_host  # noqa: E402
from propfirm.domain import engine  # noqa: E402
from propfirm.domain.programs import load_example_programs  # noqa: E402
from propfirm.evaluation import bootstrap  # noqa: E402
from propfirm.evaluation import function as handler  # noqa: E402  (its import tunes the collector, as in Lambda)
from propfirm.evaluation.live import AccountLive, LiveState, LiveWrite  # noqa: E402
from propfirm.evaluation.policy import SavePolicy  # noqa: E402
from propfirm.evaluation.service import Evaluator  # noqa: E402
from propfirm.evaluation.settings import EvaluatorSettings  # noqa: E402
from propfirm.live.floors import write_floor  # noqa: E402
from propfirm.live.keys import LiveKeys  # noqa: E402
from propfirm.live.records import Snapshot, encode_snapshot, iso_utc  # noqa: E402
from propfirm.queues.lambda_events import LocalContext  # noqa: E402
from propfirm.queues.messages import EvaluationMessage  # noqa: E402
from propfirm.settings import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, load  # noqa: E402
from propfirm.store.jsonutil import plain  # noqa: E402
from propfirm.store.migrator import apply_migrations  # noqa: E402
from propfirm.store.programs import load_shipped_programs  # noqa: E402
from propfirm.store.uow import UnitOfWork  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

SERVER, NAIVE_SERVER = "bench", "bench-naive"
# the bench's own time line (never the machine's): the trade server's clock the evaluator reads, moved to
# each cycle's snapshot time, so the floors it writes to Redis live as long as they would then
START = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


class BenchClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


CLOCK = BenchClock(START)
FIRST_LOGIN = 100_000
PER_MESSAGE, PER_BATCH = 100, 10  # accounts per message, messages per handler call
BATCH_ACCOUNTS = PER_MESSAGE * PER_BATCH
TARGET_PER_CORE, TARGET_RATIO = 20_000, 20


# -- set-up: propfirm.benchkit.harness (ports, child processes, temporary databases) -------------------------



def _register(url: str, server: str, accounts: int, start: datetime) -> None:
    program = load_example_programs()["two-step-100k"]
    with UnitOfWork(url) as uow:
        trader = uow.traders.get_or_create("bench@example.com").id
        states = [
            Jsonb(plain(engine.new_challenge(program, FIRST_LOGIN + i, start, server).to_dict()))
            for i in range(accounts)
        ]
        uow.execute(
            "INSERT INTO challenges (trader_id, program_id, program_version, server, login, status, phase,"
            " state) SELECT %s, 'two-step-100k', 1, %s, l, 'active', 0, s"
            " FROM unnest(%s::bigint[], %s::jsonb[]) AS v(l, s)",
            (trader, server, [FIRST_LOGIN + i for i in range(accounts)], states),
        )
        uow.commit()


# -- the naive design -----------------------------------------------------------------------------------
class NaiveLive(LiveState):
    """One Redis read per account (its snapshot); no state cache; floors written in one pipeline."""

    def read(self, server: str, logins: list[int]) -> dict[int, AccountLive]:
        result = {}
        for login in logins:
            raw = self.client.get(self.keys.snap(server, login))
            self.stats.round_trips += 1
            result[login] = AccountLive(None if raw is None else Snapshot.decode(raw), None, True)
        return result

    def write(self, server: str, writes: list[LiveWrite], now: datetime) -> None:
        pipe = self.client.pipeline(transaction=False)
        for w in writes:
            if w.floor is not None:
                write_floor(pipe, self.keys, server, w.login, w.floor, now)  # type: ignore[arg-type]
            elif w.delete_floor:
                pipe.delete(self.keys.floor(server, w.login))
        pipe.execute()
        self.stats.round_trips += 1


class NaiveEvaluator(Evaluator):
    """One PostgreSQL query per account: its challenge row, by account."""

    def _load(self, message, logins, live, deals_by_login):  # type: ignore[no-untyped-def]
        accounts = {}
        with self.uow_factory() as uow:
            for login in logins:
                record = uow.challenges.by_account(message.server, login)
                if record is not None and record.state is not None:
                    accounts[login] = self._from_record(record, uow, message.time, None)
        return accounts, {}, {}


# -- the run -----------------------------------------------------------------------------------------------
class Side:
    """One design wired to the handler: its runtime, accounts and Redis keys."""

    def __init__(self, name: str, server: str, runtime: bootstrap.Runtime, keys: LiveKeys, accounts: int) -> None:
        self.name, self.server, self.runtime, self.keys = name, server, runtime, keys
        self.logins = [FIRST_LOGIN + i for i in range(accounts)]
        self.cycle = 0


def _write_snapshots(client: redis.Redis, side: Side, at: datetime, equity_of: Callable[[int], Decimal]) -> None:
    """What the poller does before it sends the claim checks (not measured)."""
    text = iso_utc(at)
    pipe = client.pipeline(transaction=False)
    for login in side.logins:
        pipe.set(
            side.keys.snap(side.server, login),
            encode_snapshot(side.server, login, side.cycle, text, Decimal(100000), equity_of(login), Decimal(0),
                            Decimal(0), ()),
        )
    pipe.execute()


def _events(side: Side, at: datetime) -> list[dict[str, Any]]:
    """Lambda's SQS events: batches of 10 messages (one per shard) of 100 accounts."""
    records = []
    for shard, start in enumerate(range(0, len(side.logins), PER_MESSAGE)):
        message = EvaluationMessage(server=side.server, cycle=side.cycle, shard=shard, time=at,
                                    logins=side.logins[start : start + PER_MESSAGE])
        records.append({
            "messageId": str(uuid.uuid4()),
            "receiptHandle": f"bench-{side.cycle}-{shard}",
            "body": message.model_dump_json(),
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0", "MessageGroupId": str(shard),
                           "MessageDeduplicationId": f"{side.server}:{side.cycle}:{shard}:0",
                           "SequenceNumber": str(side.cycle * 1000 + shard)},
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:evaluation.fifo",
            "awsRegion": "us-east-1",
        })
    return [{"Records": records[i : i + PER_BATCH]} for i in range(0, len(records), PER_BATCH)]


def _backend_cpu(admin_url: str, database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends connected to the bench database."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


PROFILE: cProfile.Profile | None = None  # --profile: the real design's steady cycles, handler calls only
PROFILE_TRANSITIONS: cProfile.Profile | None = None  # --profile-transitions: its cycles with transitions


def _cycle(side: Side, client: redis.Redis, at: datetime, equity_of: Callable[[int], Decimal],
           admin_url: str, database: str, profile: cProfile.Profile | None = None) -> dict[str, Any]:
    side.cycle += 1
    CLOCK.now = at
    _write_snapshots(client, side, at, equity_of)
    events = _events(side, at)
    bootstrap.set_runtime(side.runtime)
    statements = side.runtime.statements.count
    round_trips = side.runtime.evaluator.live.stats.round_trips
    db_cpu = _backend_cpu(admin_url, database)
    judged = transitions = failures = 0
    reports: list[Any] = []
    original = side.runtime.evaluator.handle

    def counted(message: Any) -> Any:
        report = original(message)
        reports.append(report)
        return report

    side.runtime.evaluator.handle = counted  # type: ignore[method-assign]
    try:
        # the handler's metrics (EMF lines on stdout, as in Lambda) are made and printed, into the void
        with open(os.devnull, "w") as void, contextlib.redirect_stdout(void):
            cpu, wall = time.process_time(), time.perf_counter()
            if profile is not None:
                profile.enable()
            for event in events:
                response = handler.lambda_handler(event, LocalContext(function_name="evaluator"))
                failures += len(response.get("batchItemFailures", []))
            if profile is not None:
                profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        del side.runtime.evaluator.handle
    db_cpu = _backend_cpu(admin_url, database) - db_cpu
    judged = sum(r.judged for r in reports)
    transitions = sum(r.transitions for r in reports)
    if failures:
        raise RuntimeError(f"{failures} records failed in the {side.name} run")
    return {
        "accounts": judged,
        "batches": len(events),
        "cpu_s": round(cpu, 4),
        "wall_s": round(wall, 4),
        "per_core": round(judged / cpu),
        "per_s": round(judged / wall),
        "db_cpu_s": round(db_cpu, 3),
        "statements": side.runtime.statements.count - statements,
        "redis_round_trips": side.runtime.evaluator.live.stats.round_trips - round_trips,
        "transitions": transitions,
    }


def _median(cycles: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(cycles, key=lambda c: c["per_core"])
    middle = dict(ordered[len(ordered) // 2])
    middle["cycles"] = len(cycles)
    middle["per_core_range"] = [ordered[0]["per_core"], ordered[-1]["per_core"]]
    return middle


def run_designs(batches: int, naive_batches: int, steady_cycles: int, transition_cycles: int,
                admin_url: str, redis_url: str, rtt_ms: float) -> dict[str, Any]:
    database, url = temporary_database(admin_url)
    namespace = f"bench{uuid.uuid4().hex[:8]}:"
    start = START
    accounts, naive_accounts = batches * BATCH_ACCOUNTS, naive_batches * BATCH_ACCOUNTS
    cleanup = redis.Redis.from_url(redis_url)
    try:
        apply_migrations(url)
        with UnitOfWork(url) as uow:
            load_shipped_programs(uow)
            uow.commit()
        _register(url, SERVER, accounts, start)
        _register(url, NAIVE_SERVER, naive_accounts, start)
        with contextlib.ExitStack() as stack:
            aws = stack.enter_context(moto_server())
            db_url, r_url = url, redis_url
            if rtt_ms:
                info = psycopg.conninfo.conninfo_to_dict(url)
                db_url = with_host(url, stack.enter_context(
                    delay_proxy(info.get("host") or "127.0.0.1", int(info.get("port") or 5432), rtt_ms)))
                rinfo = redis.connection.parse_url(redis_url)
                r_port = stack.enter_context(delay_proxy(rinfo.get("host", "127.0.0.1"), rinfo.get("port", 6379),
                                                         rtt_ms))
                r_url = f"redis://127.0.0.1:{r_port}/{rinfo.get('db', 0)}"
            sqs = boto3.client("sqs", endpoint_url=aws)
            events = boto3.client("events", endpoint_url=aws)
            queue = sqs.create_queue(QueueName="commands.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
            bus = events.create_event_bus(Name="propfirm-bench")["EventBusArn"].rsplit("/", 1)[1]
            settings = load(EvaluatorSettings, database_url=db_url, redis_url=r_url, redis_namespace=namespace,
                            command_queue_url=queue, sqs_endpoint_url=aws, event_bus_name=bus,
                            events_endpoint_url=aws)
            client = redis.Redis.from_url(r_url)
            # as Lambda's own runtime: the outbox relayed once after each batch
            real = bootstrap.build_runtime(settings, redis_client=client, relay_per_batch=True, clock=CLOCK)
            naive_rt = bootstrap.build_runtime(settings, redis_client=client, relay_per_batch=True, clock=CLOCK)
            naive_live = NaiveLive(client, namespace)
            naive_rt.evaluator = NaiveEvaluator(naive_rt.uow, naive_live, naive_rt.relay,
                                                SavePolicy(save_every_snapshots=1), clock=CLOCK,
                                                relay_each_message=False)
            keys = LiveKeys(namespace)
            sides = [Side("real", SERVER, real, keys, accounts), Side("naive", NAIVE_SERVER, naive_rt, keys,
                                                                      naive_accounts)]
            results: dict[str, Any] = {"rtt_ms": rtt_ms, "accounts": accounts, "naive_accounts": naive_accounts}
            for side in sides:
                at = start + timedelta(seconds=2)
                out: dict[str, Any] = {}
                out["cold"] = _cycle(side, client, at, lambda login: Decimal(99900), admin_url, database)
                steady = []
                for c in range(steady_cycles):
                    at += timedelta(seconds=2)
                    steady.append(_cycle(side, client, at, lambda login, c=c: Decimal(99800 - c), admin_url,
                                         database, PROFILE if side.name == "real" else None))
                out["steady"] = _median(steady)
                with_transitions = []
                for c in range(transition_cycles):
                    at += timedelta(seconds=2)
                    breaching = set(side.logins[c::100])  # 1% of the accounts, new ones each cycle

                    def equity(login: int, breaching: set[int] = breaching, c: int = c) -> Decimal:
                        return Decimal(94000) if login in breaching else Decimal(99700 - c)

                    with_transitions.append(_cycle(side, client, at, equity, admin_url, database,
                                                   PROFILE_TRANSITIONS if side.name == "real" else None))
                out["transitions"] = _median(with_transitions)
                results[side.name] = out
            for rt in (real, naive_rt):
                rt.evaluator.uow_factory().source.close()  # type: ignore[attr-defined]
            results["commands_on_queue"] = int(sqs.get_queue_attributes(
                QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
                "ApproximateNumberOfMessages"])
            client.close()
        return results
    finally:
        bootstrap.set_runtime(None)
        left = list(cleanup.scan_iter(match=f"{namespace}*", count=5000))
        for i in range(0, len(left), 1000):
            cleanup.delete(*left[i : i + 1000])
        cleanup.close()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


# -- cold start ---------------------------------------------------------------------------------------------


def cold_start(admin_url: str, redis_url: str, runs: int = 5) -> dict[str, Any]:
    env = dict(os.environ, DATABASE_URL=admin_url, REDIS_URL=redis_url,
               COMMAND_QUEUE_URL="http://127.0.0.1:1/000000000000/commands.fifo")
    imports, ready, totals = [], [], []
    heavy = ""
    for _ in range(runs):
        probe = str(Path(__file__).resolve().parent / "cold_start_probe.py")
        out = subprocess.run([sys.executable, "-X", "importtime", probe], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True)
        first, second, *rest = out.stdout.split()
        imports.append(float(first))
        ready.append(float(second))
        heavy = rest[0] if rest else ""
        line = re.search(r"import time:\s+\d+ \|\s+(\d+) \| propfirm\.evaluation\.function\s*$", out.stderr, re.M)
        if line:
            totals.append(int(line.group(1)) / 1e6)
    return {
        "import_s": round(statistics.median(imports), 3),
        "importtime_s": round(statistics.median(totals), 3) if totals else None,
        "import_and_runtime_s": round(statistics.median(ready), 3),
        "heavy_modules": heavy or "none",
        "runs": runs,
    }


# -- EXPLAIN of the recurring queries at volume ---------------------------------------------------------------
_FILL = """
INSERT INTO traders (email) VALUES ('explain@example.com');
INSERT INTO challenges (trader_id, program_id, program_version, server, login, status, phase, state, version)
SELECT 1, 'two-step-100k', 1, 's' || (g % 4), 100000 + g, CASE WHEN g % 10 = 0 THEN 'failed' ELSE 'active' END, 0,
       %(state)s::jsonb, 1 + g % 7
FROM generate_series(1, %(challenges)s) AS g;
INSERT INTO equity_points SELECT 1 + (g % %(challenges)s), now() - (g / %(challenges)s) * interval '1 minute'
       - (g %% 1000) * interval '1 millisecond', 100000, 99000 + g %% 1000
FROM generate_series(1, %(points)s) AS g;
INSERT INTO deals (server, ticket, login, challenge_id, time, action, entry, symbol, volume, price, profit,
                   commission, swap, position, role)
SELECT 's' || (c % 4), g, 100000 + c, c, now() - g * interval '1 second', 'buy', 'in', 'EURUSD', 1, 1.1, 0, 0,
       0, g, 'trade'
FROM (SELECT g, 1 + g % %(challenges)s AS c FROM generate_series(1, %(deals)s) AS g) AS d;
INSERT INTO outbox (command_id, challenge_id, server, login, kind, command, status, mt5_comment)
SELECT 'c' || g, 1 + g % %(challenges)s, 's' || ((1 + g % %(challenges)s) % 4), 100001 + g % %(challenges)s,
       CASE WHEN g % 50 = 0 THEN 'create_account' WHEN g % 5 = 0 THEN 'balance_operation' ELSE 'set_trading' END,
       '{}', CASE WHEN g % 1000 = 0 THEN 'pending' ELSE 'done' END,
       CASE WHEN g % 5 = 0 THEN 'phase reset#' || g END
FROM generate_series(1, %(commands)s) AS g;
INSERT INTO daily_statistics (challenge_id, trading_day, start_balance)
SELECT 1 + g % %(challenges)s, current_date - (g / %(challenges)s)::int, 100000
FROM generate_series(0, %(challenges)s * 30 - 1) AS g;
INSERT INTO domain_events (event_id, detail_type, challenge_id, detail, status)
SELECT 'e' || g, 'ChallengeFailed', 1 + g % %(challenges)s, '{}', CASE WHEN g % 500 = 0 THEN 'pending' ELSE 'sent' END
FROM generate_series(1, %(challenges)s) AS g;
INSERT INTO phase_transitions (challenge_id, transition_no, from_phase, to_phase, decision, reason, equity,
                               decided_at, state_version, evidence)
SELECT c, 1, 0, NULL, 'failed', 'daily_loss', 94000, now(), 2, '{}'
FROM generate_series(1, %(challenges)s, 3) AS c;
ANALYZE;
"""

EXPLAINED = {
    "versions of a message's 100 accounts (evaluator, every message)":
        "SELECT id, login, version FROM challenges WHERE server = 's1' AND login = ANY(%(logins)s)",
    "rows of stale caches (evaluator, cold)":
        "SELECT id, state, version FROM challenges WHERE id = ANY(%(ids)s)",
    "deals of a message stored already (evaluator)":
        "SELECT ticket FROM deals WHERE server = 's1' AND ticket = ANY(%(tickets)s)",
    "our balance operations by comment (evaluator, balance deals)":
        "SELECT login, mt5_comment, command_id FROM outbox WHERE server = 's1' AND login = ANY(%(logins)s)"
        " AND mt5_comment = ANY(ARRAY['phase reset#5', 'phase reset#10'])",
    "funding deals of created accounts (evaluator, balance deals)":
        "SELECT (result->'details'->>'funding_deal')::bigint FROM outbox WHERE server = 's1'"
        " AND kind = 'create_account' AND login = ANY(%(logins)s)"
        " AND result->'details'->>'funding_deal' IS NOT NULL",
    "anything due? (relay, after every batch)":
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE status = 'pending' AND (not_before IS NULL OR not_before <= now()))",
    "due commands (relay)":
        "SELECT id, command_id, server, login, command FROM outbox WHERE status = 'pending'"
        " AND (not_before IS NULL OR not_before <= now()) ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED",
    "due events (relay)":
        "SELECT id, event_id, detail_type, detail FROM domain_events WHERE status = 'pending'"
        " ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED",
    "a challenge's equity curve, last 7 days (dashboard)":
        "SELECT time, balance, equity FROM equity_points WHERE challenge_id = 4242"
        " AND time >= now() - interval '7 days' AND time <= now() ORDER BY time LIMIT 5000",
    "a challenge's daily statistics (dashboard)":
        "SELECT * FROM daily_statistics WHERE challenge_id = 4242 ORDER BY trading_day",
    "routine saves of 100 states (evaluator, one statement)":
        "UPDATE challenges c SET state = c.state, version = c.version + 1, updated_at = now()"
        " FROM unnest(%(ids)s::bigint[], %(versions)s::integer[]) AS v(id, expected)"
        " WHERE c.id = v.id AND c.version = v.expected RETURNING c.id, c.version",
    "a challenge's transitions (dashboard, evaluator)":
        "SELECT * FROM phase_transitions WHERE challenge_id = 4242 ORDER BY transition_no",
}


def explain(admin_url: str, challenges: int = 20_000) -> dict[str, Any]:
    """A fresh database filled at volume; each recurring query's plan (EXPLAIN ANALYZE, inside a transaction
    rolled back) summarised as the access paths it uses and its execution time."""
    database, url = temporary_database(admin_url)
    volume = {"challenges": challenges, "points": challenges * 100, "deals": challenges * 50,
              "commands": challenges * 10}
    try:
        apply_migrations(url)
        with UnitOfWork(url) as uow:
            load_shipped_programs(uow)
            uow.commit()
        state = orjson.dumps(plain(engine.new_challenge(load_example_programs()["two-step-100k"], 1,
                                                        START, "s").to_dict())).decode()
        with psycopg.connect(url, autocommit=True) as conn:
            fill = _FILL.replace("%(state)s", "'" + state + "'")
            for key, value in volume.items():
                fill = fill.replace(f"%({key})s", str(value))
            conn.execute(fill.replace("%%", "%"))
            params = {"logins": [100000 + 4 * i + 1 for i in range(100)], "ids": list(range(1, 101)),
                      "tickets": list(range(1000, 1100)), "versions": [1 + i % 7 for i in range(1, 101)]}
            plans: dict[str, Any] = {}
            for label, query in EXPLAINED.items():
                with conn.transaction(force_rollback=True):
                    rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query, params).fetchone()[0]
                plan = rows[0]
                paths: list[str] = []
                pruned: list[int] = []

                def walk(node: dict[str, Any], paths: list[str] = paths, pruned: list[int] = pruned) -> None:
                    kind = node["Node Type"]
                    if node.get("Subplans Removed"):
                        pruned.append(node["Subplans Removed"])
                    if "Index Name" in node:
                        paths.append(f"{kind} {node['Index Name']}")
                    elif kind in ("Seq Scan", "Bitmap Heap Scan") and "Relation Name" in node:
                        paths.append(f"{kind} {node['Relation Name']}")
                    for child in node.get("Plans", []):
                        walk(child)

                walk(plan["Plan"])
                plans[label] = {"ms": round(plan["Execution Time"], 3), "paths": sorted(set(paths)),
                                "pruned_partitions": sum(pruned)}
        return {"volume": volume, "plans": plans}
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


# -- the floor: the steps every steady evaluation takes, timed alone --------------------------------------------
def floor_steps(redis_url: str, accounts: int = PER_MESSAGE, repeat: int = 300) -> dict[str, float]:
    """CPU microseconds per account of each step a steady evaluation cannot skip in this design, each timed
    alone on a message's worth of accounts: the read of its four keys (one MGET), the snapshot's decode,
    the engine (its event and its copy of the state), the state's text and the cache's encoding, the write
    (one EVALSHA). Their sum bounds the rate from above whatever the rest costs: the handler, the loading,
    the policy, the floors and the bookkeeping around them are the difference to the measured cycle."""
    from propfirm.evaluation.accounts import snapshot_event
    from propfirm.evaluation.live import _SET_ALL, CachedChallenge

    program = load_example_programs()["two-step-100k"]
    client = redis.Redis.from_url(redis_url)
    namespace = f"benchfloor{uuid.uuid4().hex[:8]}:"
    logins = [FIRST_LOGIN + i for i in range(accounts)]
    states = [engine.new_challenge(program, login, START, SERVER) for login in logins]
    texts = [state.to_dict() for state in states]
    names: list[bytes] = []
    for login in logins:
        prefix = f"{namespace}acct:{{{SERVER}:{login}}}:".encode()
        names += (prefix + b"snap", prefix + b"state", prefix + b"floor", prefix + b"floor_hold")
    at = START + timedelta(seconds=2)
    try:
        for i, login in enumerate(logins):
            client.set(names[4 * i], encode_snapshot(SERVER, login, 1, iso_utc(at), Decimal(100000),
                                                     Decimal("99800.50"), Decimal(0), Decimal(0), ()))
            client.set(names[4 * i + 1], CachedChallenge(1, 1, program.id, 1, texts[i]).encode())
        sha = client.script_load(_SET_ALL)
        raws = client.execute_command("MGET", *names)[0::4]
        snapshots = [Snapshot.decode(raw) for raw in raws]
        events = [snapshot_event(s) for s in snapshots]
        afters = [engine.evaluate(program, st, e).state for st, e in zip(states, events, strict=True)]
        since = [a.to_dict_since(b, t) for a, b, t in zip(afters, states, texts, strict=True)]
        caches = [CachedChallenge(1, 1, program.id, 1, t).encode() for t in since]
        state_keys = names[1::4]
        steps: dict[str, Callable[[], object]] = {
            "read (MGET of 4 keys)": lambda: client.execute_command("MGET", *names),
            "snapshot decode": lambda: [Snapshot.decode(raw) for raw in raws],
            "engine (event, copy, judgement)": lambda: [
                engine.evaluate(program, st, snapshot_event(s)) for st, s in zip(states, snapshots, strict=True)],
            "state text (to_dict_since)": lambda: [
                a.to_dict_since(b, t) for a, b, t in zip(afters, states, texts, strict=True)],
            "cache encode": lambda: [CachedChallenge(1, 1, program.id, 1, t, decoded=a).encode()
                                     for t, a in zip(since, afters, strict=True)],
            "write (EVALSHA of the caches)": lambda: client.evalsha(sha, len(state_keys), *state_keys, *caches, 60),
        }
        timed: dict[str, float] = {}
        for label, step in steps.items():
            started = time.process_time()
            for _ in range(repeat):
                step()
            timed[label] = round((time.process_time() - started) / (repeat * accounts) * 1e6, 2)
        return timed
    finally:
        client.delete(*names)


def print_floor(steps: dict[str, float], measured_per_core: int) -> None:
    total = sum(steps.values())
    print("\nthe floor: steps every steady evaluation takes, each timed alone (CPU us per account)")
    for label, us in steps.items():
        print(f"  {label:<34} {us:>6.2f}")
    print(f"  {'sum':<34} {total:>6.2f}  = at most {1e6 / total:,.0f} accounts per core-second;"
          f" measured {measured_per_core:,} ({1e6 / measured_per_core:.1f} us an account)")


# -- output ------------------------------------------------------------------------------------------------
def _row(label: str, r: dict[str, Any]) -> str:
    return (f"  {label:<24} {r['per_core']:>9,} {r['per_s']:>9,} {r['db_cpu_s'] * 1000 / r['accounts']:>9.3f}"
            f" {r['statements'] / r['accounts']:>8.4f} {r['redis_round_trips'] / r['batches']:>7.1f}"
            f" {r['transitions']:>6}")


def print_run(run: dict[str, Any]) -> None:
    print(f"\nnetwork: {'loopback' if not run['rtt_ms'] else str(run['rtt_ms']) + ' ms round trip added'};"
          f" {run['accounts']:,} accounts (naive: {run['naive_accounts']:,}); batches of {PER_BATCH} messages"
          f" x {PER_MESSAGE} accounts")
    print(f"  {'design / cycle':<24} {'per core':>9} {'per s':>9} {'db ms/ac':>9} {'stmt/ac':>8}"
          f" {'rt/batch':>7} {'trans':>6}")
    for name in ("real", "naive"):
        for cycle in ("cold", "steady", "transitions"):
            print(_row(f"{name} {cycle}", run[name][cycle]))
    for cycle in ("steady", "transitions"):
        real, naive = run["real"][cycle], run["naive"][cycle]
        print(f"  {cycle}: {real['per_core'] / naive['per_core']:.1f}x the naive design per core,"
              f" {real['per_s'] / naive['per_s']:.1f}x its rate")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench_evaluator", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one batch, few cycles, loopback only")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the real design's steady cycles here "
                        "(the handler's calls only; read with python -m pstats)")
    parser.add_argument("--profile-transitions", type=Path,
                        help="write a cProfile of the real design's cycles with transitions here")
    parser.add_argument("--batches", type=int, help="handler batches per cycle (default 10; --quick 1)")
    parser.add_argument("--explain", action="store_true", help="only EXPLAIN ANALYZE the recurring queries"
                        " on a database filled at volume (20,000 challenges, 2 M equity points, 1 M deals)")
    parser.add_argument("--steady-cycles", type=int, help="steady cycles per run, their median reported (default 7;"
                        " --quick 3): more of them for a profile of the steady state alone")
    parser.add_argument("--rtt-ms", type=float, default=None, help="also run with this round trip added"
                        " in front of Redis and PostgreSQL (default 0.5; --quick: none)")
    args = parser.parse_args(argv)
    batches = args.batches or (1 if args.quick else 10)
    steady, transitions = (3, 1) if args.quick else (7, 3)
    steady = args.steady_cycles or steady
    rtts = [0.0] + ([args.rtt_ms] if args.rtt_ms else ([] if args.quick else [0.5]))
    admin_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    if args.explain:
        found = explain(admin_url)
        print(f"EXPLAIN ANALYZE at {found['volume']}")
        for label, plan in found["plans"].items():
            print(f"  {label}: {plan['ms']} ms, {', '.join(plan['paths']) or 'no table read'}"
                  + (f" ({plan['pruned_partitions']} partitions pruned)" if plan["pruned_partitions"] else ""))
        return found
    global PROFILE, PROFILE_TRANSITIONS
    PROFILE = cProfile.Profile() if args.profile else None
    PROFILE_TRANSITIONS = cProfile.Profile() if args.profile_transitions else None
    figures: dict[str, Any] = {"machine": f"{os.cpu_count()} cores", "python": sys.version.split()[0],
                               "targets": {"per_core": TARGET_PER_CORE, "ratio": TARGET_RATIO}, "runs": []}
    for rtt in rtts:
        run = run_designs(batches, 1, steady, transitions, admin_url, redis_url, rtt)
        figures["runs"].append(run)
        print_run(run)
    figures["floor_us"] = floor = floor_steps(redis_url)
    print_floor(floor, figures["runs"][0]["real"]["steady"]["per_core"])
    figures["cold_start"] = cold = cold_start(admin_url, redis_url, 3 if args.quick else 5)
    print(f"\ncold start: import {cold['import_s']} s (-X importtime: {cold['importtime_s']} s), import and"
          f" runtime built {cold['import_and_runtime_s']} s; heavy modules imported: {cold['heavy_modules']}")
    if PROFILE is not None:
        PROFILE.dump_stats(str(args.profile))
        print(f"profile of the steady cycles: {args.profile}")
    if PROFILE_TRANSITIONS is not None:
        PROFILE_TRANSITIONS.dump_stats(str(args.profile_transitions))
        print(f"profile of the cycles with transitions: {args.profile_transitions}")
    figures["time"] = iso_utc(datetime.now(UTC))
    print(orjson.dumps({"summary": [{"rtt_ms": r["rtt_ms"], "steady_per_core": r["real"]["steady"]["per_core"],
                                     "naive_steady_per_core": r["naive"]["steady"]["per_core"]}
                                    for r in figures["runs"]]}).decode())
    return figures


if __name__ == "__main__":
    main()
