"""`propfirm migrate`: apply the database migrations to DATABASE_URL and load the shipped example programs.

Safe to run again (and by two deploys at once): applied migrations and unchanged programs are skipped.
"""

from __future__ import annotations

import argparse
import sys

import psycopg

from propfirm.settings import DatabaseSettings, SettingsError, load
from propfirm.store.migrator import MigrationError, apply_migrations
from propfirm.store.programs import load_shipped_programs
from propfirm.store.uow import UnitOfWork
from propfirm.store.webhooks import WebhookStore


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("migrate", help="apply the database migrations (DATABASE_URL)")
    p.add_argument("--no-programs", action="store_true", help="do not load the shipped example programs")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        url = load(DatabaseSettings).database_url
        applied = apply_migrations(url)
        with UnitOfWork(url) as uow:  # webhook secrets written before they were sealed at rest
            sealed = WebhookStore(uow).seal_plain_secrets()
            uow.commit()
        loaded = []
        if not args.no_programs:
            with UnitOfWork(url) as uow:
                loaded = load_shipped_programs(uow)
                uow.commit()
    except (SettingsError, MigrationError) as exc:
        print(f"propfirm migrate: {exc}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        print(f"propfirm migrate: database error: {exc}", file=sys.stderr)
        return 1
    for migration in applied:
        print(f"applied {migration.version:04d}_{migration.name}")
    if not applied:
        print("migrations: up to date")
    if sealed:
        print(f"webhook secrets: {sealed} sealed at rest")
    for result in loaded:
        if result.added:
            print(f"program {result.describe()}")
    return 0
