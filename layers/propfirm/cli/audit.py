"""`propfirm audit verify`: walk the audit chain in PostgreSQL (DATABASE_URL) and check every row's seal
with the audit key (`AUDIT_SEAL_KMS_KEY_ID` in AWS; locally `PROPFIRM_AUDIT_KEY` or the kept key).

Exit 0 when the chain is whole and every seal verifies (prints how many rows), 1 naming the first broken
row and what does not match (a row rewritten by the table's owner, chain recomputed, is named by its
seal), 2 when the database cannot be read.
"""

from __future__ import annotations

import argparse
import sys

import psycopg

from propfirm.settings import DatabaseSettings, SettingsError, load
from propfirm.store.audit import verify_stored_chain
from propfirm.store.seals import sealer_from_environment


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("audit", help="the audit log")
    sub = p.add_subparsers(dest="audit_command", metavar="ACTION")
    sub.required = True
    verify = sub.add_parser("verify", help="check the audit log's hash chain")
    verify.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    try:
        url = load(DatabaseSettings).database_url
        report = verify_stored_chain(url, sealer_from_environment())
    except SettingsError as exc:
        print(f"propfirm audit verify: {exc}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        print(f"propfirm audit verify: cannot read the audit log: {exc}".rstrip(), file=sys.stderr)
        return 2
    if report.ok:
        legacy = f" ({report.unsealed} from before sealing began, covered by later seals)" if report.unsealed else ""
        print(f"audit chain whole: {report.rows} rows, every seal verified{legacy}")
        return 0
    print(
        f"audit chain broken at row {report.broken_id}: {report.problem} "
        f"({report.rows} rows verified before it)"
    )
    return 1
