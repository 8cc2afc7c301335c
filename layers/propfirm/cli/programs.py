"""`propfirm programs validate PATH`: check program files; one summary line per good program.

Exit 0 when every file is good; 2 with the file, field and reason of the first bad one.
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
