"""Drive `propfirm replay` exactly as an outside tool does: program file, events file, JSON lines out."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import yaml
from propfirm.cli import main


@dataclass
class ReplayResult:
    status: int
    decisions: list[dict]
    stderr: str


def write_program(folder: Path, program: dict) -> Path:
    path = folder / f"{program['id']}.yaml"
    path.write_text(yaml.safe_dump(program, sort_keys=False))
    return path


def write_events(folder: Path, events: list[dict], name: str = "events.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def replay(programs: Path, events: Path, *extra: str) -> ReplayResult:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = main(["replay", "--programs", str(programs), "--events", str(events), *extra])
        except SystemExit as exc:  # argparse errors
            status = int(exc.code or 0)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    return ReplayResult(status, [json.loads(line) for line in lines], err.getvalue())


def summary(decision: dict) -> tuple:
    """The comparable content of a decision: instants and amounts compared by value."""
    return (
        datetime.fromisoformat(decision["time"]),
        decision["login"],
        decision["server"],
        decision["decision"],
        decision["phase"],
        decision["reason"],
        Decimal(decision["equity"]) if decision["equity"] is not None else None,
        Decimal(decision["limit"]) if decision["limit"] is not None else None,
    )


def expect(time: str, login: int, decision: str, phase: str, reason: str, equity: str | None,
           limit: str | None, server: str = "default") -> tuple:
    return (
        datetime.fromisoformat(time),
        login,
        server,
        decision,
        phase,
        reason,
        Decimal(equity) if equity is not None else None,
        Decimal(limit) if limit is not None else None,
    )
