"""How well the live system saw the run's breaches, against the simulator's ground truth (the summary's
`detection`): the truth file replayed through the rule engine gives every true breach (the first crossing
of a loss floor, daily or maximum, per account); PostgreSQL gives the breaches the live system decided.

- `true_breaches`: accounts whose truth crosses a loss floor;
- `detected`: those the live system failed for a loss (daily or maximum), and `latency_ms` (p50, p99,
  max) from the true crossing to the live decision, in simulated time;
- `missed`: crossed in truth, never decided live (each listed with its time, rule, floor, and how long the
  truth stayed through the floor: `lasted_ms`, null when it never came back);
- `false`: decided live, never crossed in truth; must be 0.

Only accounts the truth starts (a program's first phase at the run's start) are compared, and each only
until its first pass: the others have no replayable history, and after a pass the two histories part (the
truth may pass at an instant the poller never sampled, days before the live system sees the target
flat; the live account is then moved and reset on MT5 at another time than the replay's phase change).
`after_pass` counts the accounts whose comparison stopped at a pass (in truth or live).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from propfirm.domain.decisions import DAILY_LOSS, FAILED, FUNDED, MAX_LOSS, PHASE_PASSED, Decision
from propfirm.domain.programs import Program
from propfirm.replay import Replay
from propfirm.store.uow import UnitOfWork

LOSSES = (DAILY_LOSS, MAX_LOSS)


def true_breaches(
    truth: Path, programs: dict[str, Program]
) -> tuple[dict[int, Decision], set[int], dict[int, datetime]]:
    """(login -> the first loss failure in truth before any pass, the logins the truth starts, login -> the
    truth's first pass)."""
    started: set[int] = set()
    with truth.open("rb") as handle:
        for raw in handle:
            if b'"type":"start"' in raw:
                started.add(int(orjson.loads(raw)["login"]))
    found: dict[int, Decision] = {}
    passed: dict[int, datetime] = {}

    def emit(decision: Decision, digits: int) -> None:
        login = decision.login
        if decision.decision in (PHASE_PASSED, FUNDED):
            passed.setdefault(login, decision.time)
        elif decision.decision == FAILED and decision.reason in LOSSES and login not in found and login not in passed:
            found[login] = decision

    def lines() -> Any:
        with truth.open("rb") as handle:
            for raw in handle:
                login = orjson.loads(raw).get("login")
                if login in started:
                    yield raw

    Replay(programs).feed(lines(), str(truth), emit)
    return found, started, passed


def recovered_after(truth: Path, breaches: dict[int, Decision]) -> dict[int, float | None]:
    """login -> milliseconds the truth stayed through the floor after the crossing (None: it never came back
    above it): how long a poller had to see it."""
    back: dict[int, float | None] = dict.fromkeys(breaches)
    pending = dict(breaches)
    with truth.open("rb") as handle:
        for raw in handle:
            if b'"type":"snapshot"' not in raw:
                continue
            line = orjson.loads(raw)
            decision = pending.get(line["login"])
            if decision is None or decision.limit is None:
                continue
            moment = datetime.fromisoformat(line["time"])
            if moment > decision.time and Decimal(line["equity"]) > decision.limit:
                back[line["login"]] = (moment - decision.time).total_seconds() * 1000
                del pending[line["login"]]
    return back


def live_breaches(database_url: str, server: str) -> tuple[dict[int, datetime], dict[int, datetime]]:
    """(login -> when the live system failed it for a loss before any pass, login -> its first live pass)."""
    with UnitOfWork(database_url) as uow:
        rows = uow.fetchall(
            "SELECT c.login, t.decision, t.reason, t.decided_at FROM phase_transitions t"
            " JOIN challenges c ON c.id = t.challenge_id WHERE c.server = %s ORDER BY c.login, t.transition_no",
            (server,),
        )
    failed: dict[int, datetime] = {}
    passed: dict[int, datetime] = {}
    for login, decision, reason, at in rows:
        login = int(login)
        if decision in (PHASE_PASSED, FUNDED):
            passed.setdefault(login, at)
        elif decision == FAILED and reason in LOSSES and login not in passed and login not in failed:
            failed[login] = at
    return failed, passed


def _percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def detection(truth: Path, programs: dict[str, Program], database_url: str, server: str) -> dict[str, Any]:
    true, started, true_passes = true_breaches(truth, programs)
    failed_live, live_passes = live_breaches(database_url, server)
    # each account until its first pass, in truth or live, whichever came first
    first_pass = {login: min(t for t in (true_passes.get(login), live_passes.get(login)) if t is not None)
                  for login in set(true_passes) | set(live_passes)}
    true = {login: d for login, d in true.items() if login not in first_pass or d.time < first_pass[login]}
    live = {
        login: at
        for login, at in failed_live.items()
        if login in started and (login not in first_pass or at < first_pass[login])
    }
    detected = sorted(set(true) & set(live))
    missed = sorted(set(true) - set(live))
    false = sorted(set(live) - set(true))
    latencies = sorted((live[login] - true[login].time).total_seconds() * 1000 for login in detected)
    lasted = recovered_after(truth, {login: true[login] for login in missed})
    return {
        "accounts": len(started),
        "after_pass": len(started & set(first_pass)),
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
            {
                "login": login,
                "time": true[login].time.isoformat(),
                "rule": true[login].reason,
                "limit": str(true[login].limit),
                "lasted_ms": None if lasted[login] is None else round(lasted[login]),  # type: ignore[arg-type]
            }
            for login in missed
        ],
        "false_list": [{"login": login, "time": live[login].isoformat()} for login in false],
    }


def truth_at(truth: Path, programs: dict[str, Program], login: int, moment: datetime) -> str:
    """Where the truth had one account at `moment` (its state replayed from every line up to then, and the
    lowest equity it wrote within a day after): what a live decision the truth does not have is set against."""
    replay = Replay(programs)
    lowest: tuple[Decimal, str] | None = None
    until = moment + timedelta(days=1)

    def mine() -> Any:
        nonlocal lowest
        with truth.open("rb") as handle:
            for raw in handle:
                line = orjson.loads(raw)
                if line.get("login") != login:
                    continue
                at = datetime.fromisoformat(line["time"])
                if at <= moment:
                    yield raw
                elif line["type"] == "snapshot" and at <= until:
                    equity = Decimal(line["equity"])
                    if lowest is None or equity < lowest[0]:
                        lowest = (equity, line["time"])

    replay.feed(mine(), str(truth), lambda decision, digits: None)
    found = [state for (_, who), (_, state) in replay.accounts.items() if who == login]
    if not found:
        return "truth: the account never started"
    st = found[0]
    low = "none written" if lowest is None else f"{lowest[0]} at {lowest[1]}"
    return (
        f"truth then: {st.status} phase {st.phase_index}, balance {st.balance}, equity {st.equity} "
        f"(at {st.last_snapshot_at and st.last_snapshot_at.isoformat()}), maximum floor {st.max_floor} "
        f"(high-water {st.high_water}), daily floor {st.daily_floor}; lowest equity in the next day {low}"
    )
