"""`propfirm sim`: serve the simulated MT5 Web API on localhost.

    propfirm sim [--host 127.0.0.1] [--port 8443] [--http] [--accounts N] [--seed S]
                 [--programs PATH] [--manager-login 1000] [--manager-password PASSWORD] [--speed X]
                 [--start ISO] [--server-zone ZONE]

HTTPS with a freshly generated self-signed certificate (its path is printed; trust it
as a CA file), or plain HTTP with `--http`. N accounts are spread over the groups of
the programs (the example programs by default), each driven by a scripted trader.
The simulated clock starts at `--start` (default: now) and runs X times faster than real time.
Prints one line with the URL and the manager login, then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType

from propfirm.cli.instants import add_start_argument
from propfirm.sim.testing import DEFAULT_MANAGER_LOGIN, DEFAULT_MANAGER_PASSWORD


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sim",
        help="serve the simulated MT5 Web API (HTTPS, self-signed) with scripted traders",
        description=__doc__.split("\n\n", 2)[2] if __doc__ else None,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8443, help="port (default 8443; 0 picks a free one)")
    p.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS")
    p.add_argument("--accounts", type=int, default=1000, help="accounts to create (default 1000)")
    p.add_argument("--seed", type=int, default=1, help="seed of prices and traders (default 1)")
    p.add_argument(
        "--programs",
        default=None,
        help="program file or folder whose phase groups to create (default: the example programs)",
    )
    p.add_argument(
        "--manager-login",
        type=int,
        default=DEFAULT_MANAGER_LOGIN,
        help=f"manager login for the Web API (default {DEFAULT_MANAGER_LOGIN})",
    )
    p.add_argument(
        "--manager-password",
        default=DEFAULT_MANAGER_PASSWORD,
        help=f"its API password (default {DEFAULT_MANAGER_PASSWORD!r})",
    )
    p.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second (default 1; 0 freezes the clock)",
    )
    add_start_argument(p)
    p.add_argument(
        "--server-zone",
        default="America/New_York+7",
        help="the trade server's time zone: an IANA zone with an optional +H[:MM] shift "
        "(default America/New_York+7: GMT+2, GMT+3 in US summer time; e.g. UTC+2, Europe/Athens)",
    )
    p.add_argument("--cert-dir", default=None, help="where to write cert.pem/key.pem (default: a temp dir)")
    p.add_argument(
        "--no-abusers",
        dest="abusers",
        action="store_false",
        help="no scripted abusers (by default a hedging pair, a copy ring, a scalper, a martingale and a grid "
        "per hundred first-phase accounts; the truth file's start lines name each account's profile)",
    )
    p.add_argument(
        "--sessions",
        action="store_true",
        help="trade each symbol only within its trading sessions (FX Monday to Friday, gold, indices with "
        "their daily breaks; server time): a request outside them is refused with 10018, market closed",
    )
    p.add_argument(
        "--netting",
        action="append",
        default=[],
        metavar="MASK",
        help="make the groups matching MASK (* for any text, e.g. '*\\futures') netting groups: one position "
        "per symbol that deals add to, reduce or reverse (repeatable; default: every group hedging)",
    )
    p.add_argument(
        "--truth",
        default=None,
        metavar="FILE",
        help="write the run's ground truth here: every account's events in the replay format (start, deal, "
        "balance, snapshot at each new high or low and every hour)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from propfirm.sim.clock import ServerZone
    from propfirm.sim.driver import MarketDriver
    from propfirm.sim.testing import build_world, create_simulator

    if args.accounts < 0 or args.speed < 0:
        print("propfirm sim: --accounts and --speed must not be negative", file=sys.stderr)
        return 2
    try:
        zone = ServerZone.parse(args.server_zone)
        world = build_world(
            args.accounts,
            seed=args.seed,
            speed=args.speed,
            programs=args.programs,
            zone=zone,
            start=args.start,
            abusers=args.abusers,
            trade_sessions=args.sessions,
            netting=tuple(args.netting),
        )
        sim = create_simulator(
            world,
            host=args.host,
            port=args.port,
            tls=not args.http,
            manager_login=args.manager_login,
            manager_password=args.manager_password,
            cert_dir=args.cert_dir,
        )
    except (OSError, ValueError) as exc:
        print(f"propfirm sim: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sim.start()
    cert = f" cert {sim.cafile}" if sim.cafile else ""
    print(
        f"propfirm sim: serving MT5 Web API at {sim.url} manager login {sim.manager_login}"
        f"{cert} ({len(world.accounts)} accounts in {len(world.groups)} groups, seed {args.seed}, "
        f"speed {args.speed:g}, simulated time from {world.now().isoformat()})",
        flush=True,
    )
    truth = None
    if args.truth:
        from propfirm.domain.programs import EXAMPLE_PROGRAMS_DIR, load_programs
        from propfirm.sim.truth import TruthWriter, first_phase_starts

        programs = load_programs(args.programs or EXAMPLE_PROGRAMS_DIR)
        with world.lock:
            server = os.environ.get("MT5_SERVER_NAME", "default")  # the name the poller gives this server
            truth = TruthWriter(world, args.truth, server, first_phase_starts(world, programs))
            world.observer = truth
    driver = MarketDriver(world)
    try:
        driver.run_forever(stop)
    finally:
        sim.stop()
        if truth is not None:
            with world.lock:
                world.observer = None
                truth.close()
    return 0
