"""Run `propfirm replay` / `propfirm programs` through `propfirm.cli.main` and capture its output."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from propfirm.cli import main


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exc:
            status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


def replay(programs: Path, events: Path, *extra: str) -> tuple[int, list[dict], str]:
    status, out, err = cli("replay", "--programs", str(programs), "--events", str(events), *extra)
    return status, [json.loads(line) for line in out.splitlines() if line.strip()], err


def write_lines(path: Path, lines: list[str | dict]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path
