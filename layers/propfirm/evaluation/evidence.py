"""The breach evidence kept with every failure and restriction (what traders dispute, see the design's
reference): server time, balance, equity, the positions listed, the floor and the rule that set it,
the program id and version, the state version, and the poller's kill report when it acted first."""

from __future__ import annotations

from typing import Any

from propfirm.domain.decisions import Decision
from propfirm.domain.state import ChallengeState
from propfirm.live.records import Snapshot


def evidence(
    decision: Decision,
    *,
    snapshot: Snapshot | None,
    before: ChallengeState,
    program_id: str,
    program_version: int,
    state_version: int,
    floor: dict[str, Any] | None,
    kill: dict[str, Any] | None,
    message: dict[str, Any],
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "server_time": decision.time,
        "decision": decision.decision,
        "reason": decision.reason,
        "phase": decision.phase,
        "equity": decision.equity,
        "limit": decision.limit,
        "rule": decision.reason,
        "program": {"id": program_id, "version": program_version},
        "state_version": state_version,
        "floors_before": {
            "daily_floor": before.daily_floor,
            "max_floor": before.max_floor,
            "high_water": before.high_water,
            "day_start_balance": before.day_start_balance,
            "daily_paused": before.daily_paused,
        },
        "published_floor": floor,
        "message": message,
    }
    if snapshot is not None:
        record["snapshot"] = {
            "time": snapshot.time,
            "cycle": snapshot.cycle,
            "balance": snapshot.balance,
            "equity": snapshot.equity,
            "credit": snapshot.credit,
            "margin": snapshot.margin,
            "floating": snapshot.equity - snapshot.balance,
            "positions": None if snapshot.positions is None else [p.as_json() for p in snapshot.positions],
        }
    if kill is not None:
        record["kill_report"] = kill
    return record
