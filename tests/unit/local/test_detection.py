"""The ground-truth comparison's pieces that need no running stack: the true breaches a truth file holds,
and where the truth had an account at a moment (what a false live decision is set against)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
from propfirm.domain.programs import load_example_programs
from propfirm.local.detection import true_breaches, truth_at

PROGRAMS = load_example_programs()


def _write(path: Path, lines: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps({"server": "sim", **line}) + b"\n" for line in lines))
    return path


def _snap(time: str, login: int, balance: str, equity: str) -> dict:
    return {"type": "snapshot", "time": time, "login": login, "balance": balance, "equity": equity}


def test_the_truth_at_a_moment_gives_its_floors_and_the_lowest_equity_after(tmp_path: Path) -> None:
    truth = _write(tmp_path / "truth.jsonl", [
        {"type": "start", "time": "2026-01-05T09:00:00+00:00", "login": 7, "program": "futures-50k"},
        {"type": "start", "time": "2026-01-05T09:00:00+00:00", "login": 8, "program": "futures-50k"},
        _snap("2026-01-05T10:00:00+00:00", 7, "50500.00", "50400.00"),
        _snap("2026-01-05T23:30:00+00:00", 7, "50500.00", "50500.00"),  # after the 17:00 Chicago close
        _snap("2026-01-06T01:00:00+00:00", 7, "50500.00", "48600.00"),
        _snap("2026-01-06T02:00:00+00:00", 7, "50500.00", "48450.00"),  # through 48,500: a breach
        _snap("2026-01-06T02:00:00+00:00", 8, "50000.00", "49000.00"),
    ])
    breaches, started, passed = true_breaches(truth, PROGRAMS)
    assert started == {7, 8} and passed == {} and list(breaches) == [7]
    assert (breaches[7].reason, str(breaches[7].limit)) == ("max_loss", "48500.00")
    said = truth_at(truth, PROGRAMS, 7, datetime.fromisoformat("2026-01-06T01:30:00+00:00"))
    assert "active phase 0, balance 50500.00, equity 48600.00" in said
    assert "maximum floor 48500.00 (high-water 50500.00)" in said
    assert "lowest equity in the next day 48450.00 at 2026-01-06T02:00:00+00:00" in said
    assert truth_at(truth, PROGRAMS, 9, datetime.fromisoformat("2026-01-06T01:30:00+00:00")) == (
        "truth: the account never started")
