"""The `propfirm` command line: one entry point, one module per subcommand.

Each subcommand lives in its own module under `propfirm.cli` and exposes
`register(subparsers)`, which adds its parser and sets `func` to a callable
taking the parsed namespace and returning the process exit status. Modules are
imported only when their command runs, so `propfirm replay` never pays for boto3.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command name -> module implementing it (imported lazily)
COMMANDS: dict[str, str] = {
    "replay": "propfirm.cli.replay",
    "programs": "propfirm.cli.programs",
    "migrate": "propfirm.cli.migrate",
    "sim": "propfirm.cli.sim",
    "poller": "propfirm.cli.poller",
    "dev": "propfirm.cli.dev",
    "bench": "propfirm.cli.bench",
    "api": "propfirm.cli.api",
    "token": "propfirm.cli.token",
    "audit": "propfirm.cli.audit",
    "explain": "propfirm.cli.explain",
}


def _build_parser(command: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="propfirm", description="Prop-firm operations on top of MT5.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module_name in COMMANDS.items():
        if command is not None and name != command:
            # Only the chosen command's module is imported; others get a placeholder for --help.
            sub.add_parser(name)
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and not argv[0].startswith("-") else None
    if command is not None and command not in COMMANDS:
        command = None
    parser = _build_parser(command)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.error(f"command {args.command!r} is not available in this build")
    return int(func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
