"""The performance route's reading: a challenge's trade deals (its current phase's, or the whole
challenge's) turned into metrics by the domain (`propfirm.domain.performance`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from propfirm.domain.payouts import TradeDeal
from propfirm.domain.performance import performance
from propfirm.domain.tradingday import DayClock
from propfirm.store.uow import UnitOfWork

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _phase_start(uow: UnitOfWork, challenge_id: int, phase: int, state: dict[str, Any] | None) -> datetime:
    if state is not None and state.get("phase_index") == phase:
        return datetime.fromisoformat(state["phase_started_at"])
    row = uow.fetchone(
        "SELECT max(decided_at) FROM phase_transitions WHERE challenge_id = %s AND to_phase = %s",
        (challenge_id, phase),
    )
    return row[0] if row and row[0] is not None else EPOCH


def performance_view(uow: UnitOfWork, challenge_id: int, scope: str) -> dict[str, Any]:
    record = uow.challenges.get(challenge_id)
    program = uow.programs.get(record.program_id, record.program_version)
    since = _phase_start(uow, challenge_id, record.phase, record.state) if scope == "phase" else EPOCH
    rows = uow.fetchall(
        "SELECT ticket, position, time, entry, volume, profit, commission, swap FROM deals"
        " WHERE challenge_id = %s AND role = 'trade' AND time >= %s ORDER BY time, ticket",
        (challenge_id, since),
    )
    deals = [TradeDeal(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]
    clock = DayClock(program.day_reset.time_of_day, program.day_reset.zone)
    return {
        "challenge_id": challenge_id,
        "scope": scope,
        "since": None if since == EPOCH else since.isoformat(),
        "currency": program.currency,
        **performance(deals, clock).to_dict(),
    }
