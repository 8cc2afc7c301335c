"""The evidence kept with every decision, in the same transaction (what traders dispute, see the design's
reference): the time in UTC and in the program's zone, balance, credit and equity, each open position
with its prices and floating result, every floor in force with how it was computed and which one bound,
the limit, the program id and version, the state version, the poller's kill report when it acted first,
what moved equity since the previous judged snapshot (`attribution`), and the decision's inputs with
their SHA-256, from which `propfirm explain` recomputes it."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from propfirm.domain.decisions import Decision
from propfirm.domain.programs import Program
from propfirm.domain.state import ChallengeState
from propfirm.explain.attribution import as_json
from propfirm.explain.inputs import digest
from propfirm.explain.recompute import recompute
from propfirm.live.records import Snapshot


def evidence(
    decision: Decision,
    *,
    snapshot: Snapshot | None,
    before: ChallengeState,
    program: Program,
    program_version: int,
    inputs: dict[str, Any],
    state_version: int,
    floor: dict[str, Any] | None,
    kill: dict[str, Any] | None,
    message: dict[str, Any],
) -> dict[str, Any]:
    replayed = recompute(program, inputs)  # the same engine on the same inputs: the floors it met
    record: dict[str, Any] = {
        "server_time": decision.time,
        "local_time": decision.time.astimezone(ZoneInfo(program.day_reset.zone)).isoformat(),
        "zone": program.day_reset.zone,
        "decision": decision.decision,
        "reason": decision.reason,
        "phase": decision.phase,
        "equity": decision.equity,
        "limit": decision.limit,
        "rule": decision.reason,
        "program": {"id": program.id, "version": program_version},
        "state_version": state_version,
        "floors_before": {
            "daily_floor": before.daily_floor,
            "max_floor": before.max_floor,
            "high_water": before.high_water,
            "day_start_balance": before.day_start_balance,
            "daily_paused": before.daily_paused,
        },
        "floors": replayed.floors(program) if replayed.decision is not None else None,
        "attribution": as_json(replayed.attribution()),
        "published_floor": floor,
        "message": message,
        "inputs": inputs,
        "inputs_sha256": digest(inputs),
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
