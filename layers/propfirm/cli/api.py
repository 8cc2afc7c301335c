"""`propfirm api [--host 127.0.0.1] [--port 8080]`: the API Lambda's handler served on localhost.

Applies the migrations first (and loads the shipped programs), then serves against DATABASE_URL and
REDIS_URL. Tokens: `propfirm token`. The webhook secret is PROPFIRM_WEBHOOK_SECRET, or one generated and
kept under $PROPFIRM_HOME (printed at start). Commands wait in the outbox: no SQS is needed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

import psycopg

from propfirm.settings import SettingsError, load


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("api", help="serve the API locally (DATABASE_URL, REDIS_URL)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--pool", type=int, default=10, help="PostgreSQL connections (default 10)")
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.add_argument("--openapi", action="store_true", help="print the OpenAPI document and exit (no database)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.openapi:  # the web app's typed client is generated from this (make web)
        from propfirm.api.app import openapi_document

        sys.stdout.write(openapi_document() + "\n")
        return 0
    from propfirm.api.local_server import serve_api
    from propfirm.api.settings import ApiSettings
    from propfirm.api.tokens import JWT_KEY_FILE, WEBHOOK_SECRET_FILE, jwt_secret, webhook_secret
    from propfirm.kept import secret_path
    from propfirm.store.migrator import MigrationError, apply_migrations
    from propfirm.store.programs import load_shipped_programs
    from propfirm.store.uow import UnitOfWork

    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # no metrics sink locally
    try:
        settings = load(ApiSettings)
        apply_migrations(settings.database_url)
        with UnitOfWork(settings.database_url) as uow:
            load_shipped_programs(uow)
            uow.commit()
        secret = settings.propfirm_webhook_secret or webhook_secret()
        key = jwt_secret()
        handle = serve_api(
            args.host,
            args.port,
            settings.database_url,
            settings.redis_url,
            settings.redis_namespace,
            webhook_secret=secret,
            jwt_key=key,
            db_pool_max=args.pool,
            quiet=not args.verbose,
        )
    except (SettingsError, MigrationError) as exc:
        print(f"propfirm api: {exc}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        print(f"propfirm api: database error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"propfirm api: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"propfirm api: serving on {handle.url} (OpenAPI: {handle.url}/openapi.json)", flush=True)
    if os.environ.get("PROPFIRM_WEBHOOK_SECRET"):
        print("webhook secret: PROPFIRM_WEBHOOK_SECRET", flush=True)
    else:
        print(f"webhook secret: kept in {secret_path(WEBHOOK_SECRET_FILE)}", flush=True)
    if os.environ.get("PROPFIRM_JWT_SECRET"):
        print("token key: PROPFIRM_JWT_SECRET", flush=True)
    else:
        print(f"token key: kept in {secret_path(JWT_KEY_FILE)} (propfirm token uses it)", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        handle.stop()
    return 0
