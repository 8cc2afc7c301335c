"""`propfirm explain --transition ID [--json]`, against DATABASE_URL: recompute a recorded decision from
the inputs stored with it, check it comes out the same (decision, reason, equity, limit, the inputs'
SHA-256) and print a plain-language account of it.

Exit 0 when the replay agrees, 1 when it does not (the differing field named), 2 for an unknown id or a
database that cannot be read.
"""

from __future__ import annotations

import argparse
import sys

import orjson
import psycopg

from propfirm.explain.service import explain_transition
from propfirm.settings import DatabaseSettings, SettingsError, load
from propfirm.store.uow import UnitOfWork


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("explain", help="recompute a recorded decision and explain it")
    p.add_argument("--transition", type=int, required=True, metavar="ID", help="the phase transition's id")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        url = load(DatabaseSettings).database_url
        with UnitOfWork(url, autocommit=True) as uow:
            record = explain_transition(uow, args.transition)
    except SettingsError as exc:
        print(f"propfirm explain: {exc}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        print(f"propfirm explain: cannot read the database: {exc}".rstrip(), file=sys.stderr)
        return 2
    if record is None:
        print(f"propfirm explain: no transition {args.transition}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(orjson.dumps(record).decode() + "\n")
    else:
        print(record["text"])
        for difference in record["differences"]:
            print(f"differs: {difference}", file=sys.stderr)
    return 0 if record["same"] else 1
