"""`propfirm poller`: run the poller against MT5_URL, Redis and the queues (see docs/poller.md).

Exit status: 0 after a clean stop (SIGTERM/SIGINT, or --cycles done), 2 for bad settings or when a
group the programs name is missing on the MT5 server (the message names each one).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("poller", help="poll MT5 into Redis and the evaluation queue; run commands")
    p.add_argument("--programs", type=Path, default=None,
                   help="programs file or folder (default: PROGRAMS_PATH, else the example programs)")
    p.add_argument("--cycles", type=int, default=0, help="stop after this many cycles (0: run until stopped)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import boto3

    from propfirm.domain.programs import ProgramError, load_example_programs, load_programs
    from propfirm.live.connection import redis_from_url
    from propfirm.poller.gateway import build_gateway
    from propfirm.poller.observability import logger
    from propfirm.poller.runner import Poller
    from propfirm.poller.settings import PollerSettings
    from propfirm.poller.startup import MissingGroups
    from propfirm.settings import SettingsError, load

    try:
        settings = load(PollerSettings)
        path = args.programs or settings.programs_path
        programs = load_programs(path) if path else load_example_programs()
        gateway = build_gateway(settings.mt5_manager_password_secret_id)
    except (SettingsError, ProgramError) as exc:
        print(f"propfirm poller: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop.set())
    # the tick path polls quotes on a second MT5 session of its own, never waiting for a long full read, and
    # kills over a few more (POLLER_KILL_SESSIONS) when a quote takes several accounts to their floors
    tick_gateway = (build_gateway(settings.mt5_manager_password_secret_id)
                    if settings.poller_tick_interval_seconds > 0 else None)
    poller = Poller(gateway=gateway, redis_client=redis_from_url(settings.redis_url),
                    sqs_client=boto3.client("sqs"), settings=settings, programs=list(programs.values()),
                    tick_gateway=tick_gateway,
                    open_session=lambda: build_gateway(settings.mt5_manager_password_secret_id))
    if args.cycles:
        _stop_after(poller, args.cycles, stop)
    try:
        return poller.run(stop)
    except MissingGroups as exc:
        logger.error("refusing to start", missing_groups=exc.missing)
        print(f"propfirm poller: {exc}", file=sys.stderr)
        return 2


def _stop_after(poller: object, cycles: int, stop: threading.Event) -> None:
    """Wrap run_cycle so that the loop stops after `cycles` cycles (smoke runs and the local stack)."""
    original = poller.run_cycle  # type: ignore[attr-defined]
    count = 0

    def counted():
        nonlocal count
        report = original()
        count += 1
        if count >= cycles:
            stop.set()
        return report

    poller.run_cycle = counted  # type: ignore[attr-defined]
