"""`propfirm replay --programs PATH --events EVENTS.jsonl [--news FILE]`: decisions as JSON lines.

Exit status 0 on success; 2 on a bad program or events file, with file, line and reason on stderr.
"""

from __future__ import annotations

import argparse
import sys

from propfirm.domain.programs import ProgramError, load_programs
from propfirm.replay import ReplayError, read_news, replay_file


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("replay", help="feed recorded events through the rule engine, print decisions")
    p.add_argument("--programs", required=True, help="a program file or a folder of them")
    p.add_argument("--events", required=True, help="events, one JSON object a line, in time order")
    p.add_argument("--news", help="news calendar: one ISO 8601 time a line (for news_blackout_minutes)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        programs = load_programs(args.programs)
        news = read_news(args.news) if args.news else None
    except (ProgramError, ReplayError) as exc:
        print(f"propfirm replay: {exc}", file=sys.stderr)
        return 2
    stdout = sys.stdout
    binary = getattr(stdout, "buffer", None)
    chunks: list[bytes] = []

    def write(line: bytes) -> None:
        chunks.append(line)
        if len(chunks) >= 4096:
            flush()

    def flush() -> None:
        if not chunks:
            return
        data = b"".join(chunks)
        chunks.clear()
        if binary is not None:
            stdout.flush()
            binary.write(data)
        else:
            stdout.write(data.decode())

    try:
        replay_file(programs, args.events, write, news)
    except ReplayError as exc:
        flush()
        stdout.flush()
        print(f"propfirm replay: {exc}", file=sys.stderr)
        return 2
    flush()
    stdout.flush()
    return 0
