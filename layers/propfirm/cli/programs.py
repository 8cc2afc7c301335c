"""`propfirm programs validate PATH` and `propfirm programs load PATH`.

validate: check program files; exit 0 with one summary line per good program, 2 with the file, field
and reason of the first bad one. load: validate, then add the programs (or new versions of them) to
the database at DATABASE_URL (migrations applied), one line per program; nothing is added unless
every file is good.
"""

from __future__ import annotations

import argparse
import sys

from propfirm.domain.programs import ProgramError, load_programs, summary_line


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("programs", help="challenge program files")
    sub = p.add_subparsers(dest="programs_command", metavar="ACTION")
    sub.required = True
    validate = sub.add_parser("validate", help="validate program files (a file or a folder)")
    validate.add_argument("path", help="a program file (YAML or JSON) or a folder of them")
    validate.set_defaults(func=run_validate)
    load = sub.add_parser("load", help="add programs (or new versions of them) to DATABASE_URL")
    load.add_argument("path", help="a program file (YAML or JSON) or a folder of them")
    load.set_defaults(func=run_load)
    p.set_defaults(func=_usage(p))


def _usage(parser: argparse.ArgumentParser):
    def run(args: argparse.Namespace) -> int:
        parser.print_usage(sys.stderr)
        return 2

    return run


def run_validate(args: argparse.Namespace) -> int:
    try:
        programs = load_programs(args.path)
    except ProgramError as exc:
        print(f"propfirm programs validate: {exc}", file=sys.stderr)
        return 2
    for program in programs.values():
        print(summary_line(program))
    return 0


def run_load(args: argparse.Namespace) -> int:
    # the store (psycopg) is imported only here: validating needs no database driver
    import psycopg

    from propfirm.settings import DatabaseSettings, SettingsError, load
    from propfirm.store.errors import StoreError
    from propfirm.store.programs import load_program_path
    from propfirm.store.uow import UnitOfWork

    try:
        url = load(DatabaseSettings).database_url
        with UnitOfWork(url) as uow:
            results = load_program_path(uow, args.path)
            uow.commit()
    except (ProgramError, SettingsError, StoreError) as exc:
        print(f"propfirm programs load: {exc}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        print(f"propfirm programs load: database error: {exc}", file=sys.stderr)
        return 1
    for result in results:
        print(f"program {result.describe()}")
    return 0
