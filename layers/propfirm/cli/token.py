"""`propfirm token --role trader|support|admin [--email E] [--sub S] [--ttl SECONDS]`: a bearer token the
local API accepts, with the claims of a Cognito ID token (sub, email, cognito:groups, exp, iat,
token_use, iss, aud), signed with PROPFIRM_JWT_SECRET or the key kept under $PROPFIRM_HOME.

A trader is their `sub`: with `--role trader --email E` (and no `--sub`), the token carries the sub
recorded for E in DATABASE_URL's traders, or a fresh one when no purchase has used E."""

from __future__ import annotations

import argparse
import sys

from propfirm.domain.roles import Role


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("token", help="mint a local bearer token for the API")
    p.add_argument("--role", required=True, choices=[str(r) for r in Role])
    p.add_argument("--email", help="the identity's email (default <role>@example.com)")
    p.add_argument(
        "--sub", help="the subject (default: a trader's recorded for --email in DATABASE_URL; else a new UUID)"
    )
    p.add_argument("--ttl", type=int, default=3600, help="seconds until it expires (default 3600)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from propfirm.api.tokens import mint, recorded_sub
    from propfirm.domain.roles import Role

    if args.ttl <= 0 or args.ttl > 366 * 86400:
        print("propfirm token: --ttl must be between 1 and 31622400 seconds", file=sys.stderr)
        return 2
    sub = args.sub
    if sub is None and args.role == Role.TRADER and args.email:
        import psycopg

        from propfirm.settings import DatabaseSettings, SettingsError, load

        try:
            sub = recorded_sub(load(DatabaseSettings).database_url, args.email)
        except (SettingsError, psycopg.Error) as exc:
            reason = " ".join(str(exc).split())
            print(
                f"propfirm token: cannot read the trader of {args.email} from DATABASE_URL ({reason}); "
                "give the trader's --sub instead",
                file=sys.stderr,
            )
            return 2
    print(mint(args.role, email=args.email, sub=sub, ttl=args.ttl))
    return 0
