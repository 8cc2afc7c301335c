"""API benchmark: the dashboards' pages through the Lambda handler with 100,000 challenges in PostgreSQL.

    .venv/bin/python bench/bench_api.py [--quick] [--challenges N] [--requests R]
    .venv/bin/propfirm bench api [--quick]

Set-up (all on this machine): a fresh PostgreSQL database (created from DATABASE_URL, migrated, dropped at
the end) filled in bulk: 20,000 traders with 100,000 challenges over the four shipped programs (80%
active with a saved state whose equity is spread so the risk column varies, 15% failed, 5% passed), 200
deals and a day of equity points (one a minute) for 1,000 of them, 2 transitions and 2 audit rows for
every tenth, a done create_account command for each (and a pending one for every hundredth), a snapshot
in Redis for each active account. Redis from REDIS_URL under a namespace of its
own, removed at the end.

Each page is requested R times through `functions.api.handler.lambda_handler` with API Gateway's REST
event and the Cognito claims (metrics off), a different challenge or trader each time where the page
names one; the figures are the handler's wall time per request (p50, p95, p99, in ms). Every SQL
statement a page ran is then EXPLAINed: the plan's scans are listed, and any sequential scan of a table
that grows with the business is reported (there must be none).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

import orjson  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from propfirm.api import queries  # noqa: E402
from propfirm.api.function import lambda_handler  # noqa: E402
from propfirm.api.local_server import _templates, build_event  # noqa: E402
from propfirm.api.runtime import Runtime, set_runtime  # noqa: E402
from propfirm.benchkit.harness import temporary_database  # noqa: E402
from propfirm.domain import engine  # noqa: E402
from propfirm.domain.programs import load_example_programs  # noqa: E402
from propfirm.live.keys import LiveKeys  # noqa: E402
from propfirm.live.records import PositionSummary, encode_snapshot, iso_utc  # noqa: E402
from propfirm.queues.lambda_events import LocalContext  # noqa: E402
from propfirm.settings import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL  # noqa: E402
from propfirm.store.db import make_pool  # noqa: E402
from propfirm.store.jsonutil import plain  # noqa: E402
from propfirm.store.migrator import apply_migrations  # noqa: E402
from propfirm.store.programs import load_shipped_programs  # noqa: E402
from propfirm.store.uow import UnitOfWork  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402

SERVER = "bench"
FIRST_LOGIN = 1_000_000
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SMALL_TABLES = {"programs", "audit_chain_head", "schema_migrations"}


CONTEXT = LocalContext(function_name="bench-api", aws_request_id="bench")


def _fill(url: str, challenges: int, detailed: int) -> dict[str, float]:
    """Bulk rows; returns the seconds each step took (the risk trigger runs on every challenge insert)."""
    programs = load_example_programs()
    traders = max(1, challenges // 5)
    took: dict[str, float] = {}
    with UnitOfWork(url) as uow:
        load_shipped_programs(uow)
        uow.commit()
        t0 = time.perf_counter()
        uow.execute(
            "INSERT INTO traders (email, name, sub) SELECT 'trader' || n || '@example.com', 'Trader ' || n,"
            " 'bench-trader-' || n FROM generate_series(1, %s) AS n",
            (traders,),
        )
        took["traders_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        ids = sorted(programs)
        for index, program_id in enumerate(ids):
            template = Jsonb(
                plain(engine.new_challenge(programs[program_id], 0, NOW - timedelta(days=3), SERVER).to_dict())
            )
            # challenge n belongs to program n mod 4; equity from 100% down to 90.5% of the account size
            uow.execute(
                "INSERT INTO challenges (trader_id, program_id, program_version, server, login, status, phase,"
                " state, order_id)"
                " SELECT 1 + (n %% %(traders)s), %(program)s, 1, %(server)s, %(first)s + n,"
                "  CASE WHEN n %% 20 < 16 THEN 'active' WHEN n %% 20 < 19 THEN 'failed' ELSE 'passed' END, 0,"
                "  CASE WHEN n %% 20 < 16 THEN"
                "   jsonb_set(jsonb_set(%(template)s::jsonb, '{login}', to_jsonb(%(first)s + n)), '{equity}',"
                "    to_jsonb(round((%(size)s::numeric * (1 - ((n * 7919) %% 9500) / 100000.0)), 2)::text))"
                "  ELSE NULL END, 'order-' || n"
                " FROM generate_series(0, %(count)s - 1) AS n WHERE n %% 4 = %(index)s",
                {
                    "traders": traders,
                    "program": program_id,
                    "server": SERVER,
                    "first": FIRST_LOGIN,
                    "template": template,
                    "size": str(programs[program_id].account_size),
                    "count": challenges,
                    "index": index,
                },
            )
        uow.commit()
        took["challenges_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        # the first `detailed` challenges get 200 deals and a day of equity points (one a minute)
        uow.execute(
            "INSERT INTO deals (server, ticket, login, challenge_id, time, action, entry, symbol, volume, price,"
            " profit, commission, swap, position, role)"
            " SELECT %s, c.id * 1000 + d, c.login, c.id, %s::timestamptz - make_interval(mins => d * 5),"
            "  CASE WHEN d %% 2 = 0 THEN 'buy' ELSE 'sell' END, CASE WHEN d %% 2 = 0 THEN 'in' ELSE 'out' END,"
            "  'EURUSD', 1.00, 1.0850, CASE WHEN d %% 2 = 0 THEN 0 ELSE 12.5 END, -3.5, 0, c.id * 1000 + d / 2,"
            "  'trade'"
            " FROM challenges c, generate_series(1, 200) AS d WHERE c.id <= %s",
            (SERVER, NOW, detailed),
        )
        uow.execute(
            "INSERT INTO equity_points (challenge_id, time, balance, equity)"
            " SELECT c.id, %s::timestamptz - make_interval(mins => m), 100000, 100000 - m"
            " FROM challenges c, generate_series(0, 1439) AS m WHERE c.id <= %s",
            (NOW, detailed),
        )
        took["deals_points_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        uow.execute(
            "INSERT INTO phase_transitions (challenge_id, transition_no, from_phase, to_phase, decision, reason,"
            ' equity, "limit", decided_at, state_version, evidence)'
            " SELECT c.id, k, 0, NULL, 'restricted', 'max_lots', 99000, 20,"
            "  %s::timestamptz - make_interval(hours => (c.id %% 72)::int), 1, '{}'::jsonb"
            " FROM challenges c, generate_series(1, 2) AS k WHERE c.id %% 10 = 0",
            (NOW,),
        )
        # audit rows in bulk (the chain's hashes are not computed here: `audit verify` is not run on this)
        uow.execute(
            "INSERT INTO audit_log (id, created_at, kind, challenge_id, server, login, payload, prev_hash, hash)"
            " SELECT row_number() OVER (), %s, 'command.done', c.id, %s, c.login, '{}'::jsonb, '', ''"
            " FROM challenges c, generate_series(1, 2) AS k WHERE c.id %% 10 = 0",
            (NOW, SERVER),
        )
        uow.execute("UPDATE audit_chain_head SET last_id = (SELECT max(id) FROM audit_log)")
        # every account's create_account command, done; 1% of them with a command still pending
        uow.execute(
            "INSERT INTO outbox (command_id, challenge_id, server, login, kind, command, status)"
            " SELECT c.id || ':0:create_account', c.id, %s, c.login, 'create_account', '{}'::jsonb, 'done'"
            " FROM challenges c",
            (SERVER,),
        )
        uow.execute(
            "INSERT INTO outbox (command_id, challenge_id, server, login, kind, command, status)"
            " SELECT c.id || ':1:close_all', c.id, %s, c.login, 'close_all', '{}'::jsonb, 'pending'"
            " FROM challenges c WHERE c.id %% 100 = 0",
            (SERVER,),
        )
        took["history_s"] = time.perf_counter() - t0
        uow.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return took


def _snapshots(client: redis.Redis, keys: LiveKeys, url: str, limit: int) -> list[str]:
    with UnitOfWork(url) as uow:
        rows = uow.fetchall(
            "SELECT login, state->>'equity' FROM challenges WHERE status = 'active' ORDER BY id LIMIT %s", (limit,)
        )
    written = []
    pipe = client.pipeline(transaction=False)
    for login, equity in rows:
        key = keys.snap(SERVER, login)
        snapshot = encode_snapshot(
            SERVER,
            login,
            1,
            iso_utc(NOW - timedelta(seconds=2)),
            Decimal("100000.00"),
            Decimal(equity),
            Decimal(0),
            Decimal(0),
            (PositionSummary("EURUSD", Decimal("1.00"), "buy"),),
        )
        pipe.set(key, snapshot)
        written.append(key)
    pipe.execute()
    return written


def _claims(role: str, email: str) -> dict[str, str]:
    # a trader is known by the sub recorded with them (traderN@example.com: bench-trader-N, as filled)
    sub = "bench-trader-" + email.split("@")[0].removeprefix("trader") if role == "trader" else str(uuid.uuid4())
    return {"sub": sub, "email": email, "cognito:groups": f"[{role}]", "token_use": "id"}


class _Recorder:
    """Keeps the SQL each page runs (through `queries`), to EXPLAIN it afterwards."""

    def __init__(self) -> None:
        self.statements: dict[str, tuple[str, Any]] = {}
        self.page = ""
        self._rows = queries._rows

        def recording(uow: UnitOfWork, query: str, params: Any = None) -> list[dict[str, Any]]:
            self.statements.setdefault(f"{self.page}: {query[:60]}", (query, params))
            return self._rows(uow, query, params)

        queries._rows = recording


def _scans(plan: dict) -> list[tuple[str, str]]:
    found = []
    node_type = plan.get("Node Type", "")
    if "Scan" in node_type:
        found.append((node_type, plan.get("Index Name") or plan.get("Relation Name") or ""))
    for child in plan.get("Plans", []):
        found.extend(_scans(child))
    return found


def _explain(url: str, recorder: _Recorder) -> tuple[dict[str, list[str]], list[str]]:
    plans: dict[str, list[str]] = {}
    seq_scans: list[str] = []
    with psycopg.connect(url) as conn:
        for label, (query, params) in recorder.statements.items():
            row = conn.execute("EXPLAIN (FORMAT JSON) " + query, params).fetchone()
            scans = _scans(row[0][0]["Plan"])
            plans[label] = [f"{kind} {name}" for kind, name in scans]
            seq_scans += [f"{label}: {name}" for kind, name in scans if kind == "Seq Scan" and name not in SMALL_TABLES]
    return plans, seq_scans


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "mean_ms": round(statistics.mean(ordered) * 1000, 2),
    }


def bench(challenges: int, requests: int, admin_url: str, redis_url: str) -> dict[str, Any]:
    name, url = temporary_database(admin_url, "propfirm_bench_api")
    client = redis.Redis.from_url(redis_url)
    keys = LiveKeys(f"bench-api-{uuid.uuid4().hex[:6]}:")
    written: list[str] = []
    try:
        t0 = time.perf_counter()
        apply_migrations(url)
        detailed = min(1000, challenges)
        took = _fill(url, challenges, detailed)
        took["total_fill_s"] = time.perf_counter() - t0
        active = challenges * 16 // 20
        written = _snapshots(client, keys, url, active)
        pool = make_pool(url, min_size=1, max_size=2)
        set_runtime(
            Runtime(
                pool=pool,
                redis=client,
                keys=keys,
                webhook_secret="bench-webhook-secret-0123456789",
                server=SERVER,
                clock=lambda: NOW,
                wall_clock=lambda: NOW,
            )
        )
        with UnitOfWork(url) as uow:
            owners = {
                cid: email
                for cid, email in uow.fetchall(
                    "SELECT c.id, t.email FROM challenges c JOIN traders t ON t.id = c.trader_id"
                    " WHERE c.status = 'active' AND c.id <= %s",
                    (detailed,),
                )
            }
            risk_cursors = [
                f"{r}_{i}"
                for r, i in uow.fetchall(
                    "SELECT risk, id FROM challenges WHERE status = 'active' AND risk IS NOT NULL"
                    " ORDER BY risk, id OFFSET 1000 LIMIT 1"
                )
            ]
        detailed_ids = sorted(owners)
        all_ids = list(range(1, challenges + 1))
        rng = random.Random(7)
        templates = _templates()
        admin = _claims("admin", "ops@example.com")
        start = (NOW - timedelta(hours=6)).isoformat().replace("+", "%2B")
        end = NOW.isoformat().replace("+", "%2B")

        def any_challenge() -> tuple[int, str]:
            with UnitOfWork(url) as uow:
                cid, email = uow.fetchone(
                    "SELECT c.id, t.email FROM challenges c JOIN traders t ON t.id = c.trader_id WHERE c.id = %s",
                    (rng.choice(all_ids),),
                )
            return cid, email

        pages: dict[str, Any] = {
            "admin: accounts by risk, first page (50)": lambda: ("/admin/accounts?sort=risk&limit=50", admin),
            "admin: accounts by risk, a page 1,000 rows in (cursor)": lambda: (
                f"/admin/accounts?sort=risk&limit=50&cursor={risk_cursors[0]}",
                admin,
            ),
            "admin: accounts by risk, one program": lambda: (
                "/admin/accounts?sort=risk&limit=50&program=one-step-100k",
                admin,
            ),
            "admin: one trader's accounts by risk (email filter)": lambda: (
                f"/admin/accounts?sort=risk&email=trader{rng.randrange(1, challenges // 5)}@example.com",
                admin,
            ),
            "admin: accounts within 10% of a limit": lambda: ("/admin/accounts/near-limit?within=0.1&limit=100", admin),
            "admin: failed accounts by id": lambda: ("/admin/accounts?sort=id&status=failed&limit=50", admin),
            "admin: one challenge (view, transitions, commands)": lambda: (
                f"/admin/challenges/{rng.choice(all_ids)}",
                admin,
            ),
            "admin: transitions, newest": lambda: ("/admin/transitions?limit=100", admin),
            "admin: transitions pending": lambda: ("/admin/transitions/pending?limit=100", admin),
            "admin: audit of one challenge": lambda: (
                f"/admin/audit?challenge_id={rng.randrange(10, challenges, 10)}",
                admin,
            ),
            "admin: audit, newest": lambda: ("/admin/audit?limit=100", admin),
            "admin: payouts awaiting approval": lambda: ("/admin/payouts?status=awaiting_approval", admin),
            "trader: challenge view": lambda: (lambda cid, email: (f"/challenges/{cid}", _claims("trader", email)))(
                *any_challenge()
            ),
            "trader: my challenges": lambda: (lambda cid, email: ("/challenges", _claims("trader", email)))(
                *any_challenge()
            ),
            "trader: deals, first page (100)": lambda: (
                lambda cid: (f"/challenges/{cid}/deals?limit=100", _claims("trader", owners[cid]))
            )(rng.choice(detailed_ids)),
            "trader: equity curve, 6 hours (360 points)": lambda: (
                lambda cid: (f"/challenges/{cid}/equity?from={start}&to={end}", _claims("trader", owners[cid]))
            )(rng.choice(detailed_ids)),
        }
        recorder = _Recorder()
        results: dict[str, Any] = {}
        for label, make in pages.items():
            recorder.page = label
            samples = []
            for i in range(requests + 5):
                path, claims = make()
                event = build_event("GET", path, [], b"", claims, templates)
                t = time.perf_counter()
                response = lambda_handler(event, CONTEXT)
                elapsed = time.perf_counter() - t
                if response["statusCode"] != 200:
                    raise RuntimeError(f"{label}: {path} answered {response['statusCode']}: {response['body'][:300]}")
                if i >= 5:  # the first few warm the pool and the caches
                    samples.append(elapsed)
            results[label] = _percentiles(samples)
            body = orjson.loads(response["body"])
            if "items" in body:
                results[label]["items"] = len(body["items"])
        queries._rows = recorder._rows
        plans, seq_scans = _explain(url, recorder)
        pool.close()
        set_runtime(None)
        return {
            "challenges": challenges,
            "active": active,
            "requests_per_page": requests,
            "fill": {k: round(v, 2) for k, v in took.items()},
            "pages": results,
            "plans": plans,
            "sequential_scans": seq_scans,
        }
    finally:
        if written:
            for i in range(0, len(written), 10_000):
                client.delete(*written[i : i + 10_000])
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="bench_api", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 challenges, 50 requests a page")
    parser.add_argument("--challenges", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="requests per page")
    args = parser.parse_args(argv)
    challenges, requests = (10_000, 50) if args.quick else (args.challenges, args.requests)
    result = bench(
        challenges,
        requests,
        os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
    )
    width = max(len(label) for label in result["pages"])
    print(f"{result['challenges']:,} challenges ({result['active']:,} active); fill: {result['fill']}")
    for label, figures in result["pages"].items():
        print(
            f"  {label:<{width}}  p50 {figures['p50_ms']:7.2f} ms  p95 {figures['p95_ms']:7.2f} ms"
            f"  p99 {figures['p99_ms']:7.2f} ms"
        )
    print("plans:")
    for label, scans in result["plans"].items():
        print(f"  {label}: {', '.join(scans) or '-'}")
    print("sequential scans of growing tables:", result["sequential_scans"] or "none")
    return result


if __name__ == "__main__":
    main()
