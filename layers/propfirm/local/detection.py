"""How well the live system saw the run's breaches, against the simulator's ground truth (the summary's
`detection`): the truth file replayed through the rule engine gives every true breach (the first crossing
of a loss floor, daily or maximum, per account); PostgreSQL gives the breaches the live system decided.

- `true_breaches`: accounts whose truth crosses a loss floor;
- `detected`: those the live system failed for a loss (daily or maximum), and `latency_ms` (p50, p99,
  max) from the true crossing to the live decision, in simulated time;
- `missed`: crossed in truth, never decided live (each listed with its time and rule);
- `false`: decided live, never crossed in truth; must be 0.

Only accounts the truth starts (a program's first phase at the run's start) are compared: the others have
no replayable history. After a pass the live account is reset by a balance operation the engine also
sees, so later phases are compared too.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from propfirm.domain.decisions import DAILY_LOSS, FAILED, MAX_LOSS, Decision
from propfirm.domain.programs import Program
from propfirm.replay import Replay
from propfirm.store.uow import UnitOfWork

LOSSES = (DAILY_LOSS, MAX_LOSS)


def true_breaches(truth: Path, programs: dict[str, Program]) -> tuple[dict[int, Decision], set[int]]:
    """(login -> the first loss failure in truth, the logins the truth starts)."""
    started: set[int] = set()
    with truth.open("rb") as handle:
        for raw in handle:
            if b'"type":"start"' in raw:
                started.add(int(orjson.loads(raw)["login"]))
    found: dict[int, Decision] = {}

    def emit(decision: Decision, digits: int) -> None:
        if decision.decision == FAILED and decision.reason in LOSSES and decision.login not in found:
            found[decision.login] = decision

    def lines() -> Any:
        with truth.open("rb") as handle:
            for raw in handle:
                login = orjson.loads(raw).get("login")
                if login in started:
                    yield raw

    Replay(programs).feed(lines(), str(truth), emit)
    return found, started


def live_breaches(database_url: str, server: str) -> dict[int, datetime]:
    """login -> when the live system first failed it for a loss."""
    with UnitOfWork(database_url) as uow:
        rows = uow.fetchall(
            "SELECT c.login, min(t.decided_at) FROM phase_transitions t JOIN challenges c ON c.id = t.challenge_id"
            " WHERE c.server = %s AND t.decision = 'failed' AND t.reason = ANY(%s) GROUP BY c.login",
            (server, list(LOSSES)),
        )
    return {int(login): at for login, at in rows}


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def detection(truth: Path, programs: dict[str, Program], database_url: str, server: str) -> dict[str, Any]:
    true, started = true_breaches(truth, programs)
    live = {login: at for login, at in live_breaches(database_url, server).items() if login in started}
    detected = sorted(set(true) & set(live))
    missed = sorted(set(true) - set(live))
    false = sorted(set(live) - set(true))
    latencies = sorted((live[login] - true[login].time).total_seconds() * 1000 for login in detected)
    return {
        "accounts": len(started),
        "true_breaches": len(true),
        "detected": len(detected),
        "missed": len(missed),
        "false": len(false),
        "latency_ms": None
        if not latencies
        else {
            "p50": round(_percentile(latencies, 0.5)),
            "p99": round(_percentile(latencies, 0.99)),
            "max": round(latencies[-1]),
        },
        "missed_list": [
            {"login": login, "time": true[login].time.isoformat(), "rule": true[login].reason} for login in missed
        ],
        "false_list": [{"login": login, "time": live[login].isoformat()} for login in false],
    }
