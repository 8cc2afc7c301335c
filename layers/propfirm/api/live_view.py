"""What a trader needs to see about one challenge right now (the disputes the reference lists):
balances from the live snapshot, the floors in force, the next reset instant with a countdown, and
tomorrow's floor if the open position stays, computed with the engine's own day roll.

Sources, freshest first: the poller's snapshot in Redis, the evaluator's state cache in Redis (when it
was built on PostgreSQL's version or later), the state saved in PostgreSQL.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

import redis

from propfirm.api.queries import jsonable
from propfirm.domain import engine
from propfirm.domain.money import pct_of
from propfirm.domain.programs import Program
from propfirm.domain.rule_words import describe_phase
from propfirm.domain.rules import compiled
from propfirm.domain.state import ACTIVE, ChallengeState
from propfirm.evaluation.live import CachedChallenge
from propfirm.live.keys import LiveKeys
from propfirm.live.records import Snapshot, iso_utc
from propfirm.store.uow import UnitOfWork

log = logging.getLogger("propfirm.api")


def _live(
    client: redis.Redis, keys: LiveKeys, server: str, login: int
) -> tuple[Snapshot | None, bytes | str | None]:
    try:
        snap_raw, state_raw = client.mget([keys.snap(server, login), keys.state(server, login)])
    except redis.RedisError as exc:  # Redis is a cache: the view falls back on PostgreSQL
        log.warning("live state unreadable", extra={"error": str(exc)})
        return None, None
    snapshot = None
    if snap_raw:
        try:
            snapshot = Snapshot.decode(snap_raw)
        except (ValueError, KeyError, TypeError):
            snapshot = None
    return snapshot, state_raw


def _coverage(snapshot: Snapshot | None, state: ChallengeState | None) -> dict[str, Any]:
    """When the poller last read the account and which of its reads the engine last judged (the freshest
    state: Redis's cache, else PostgreSQL's routine save)."""
    read_at = snapshot.time if snapshot is not None else None
    judged_at = state.last_snapshot_at if state is not None else None
    behind = None
    if read_at is not None and judged_at is not None:
        behind = max(0, int((read_at - judged_at).total_seconds()))
    return {
        "read_at": None if read_at is None else iso_utc(read_at),
        "judged_at": None if judged_at is None else iso_utc(judged_at),
        "behind_seconds": behind,
    }


def _state(uow: UnitOfWork, row: dict[str, Any], cached_raw: bytes | str | None) -> ChallengeState | None:
    if cached_raw:
        cached = CachedChallenge.decode(cached_raw)
        if cached is not None and cached.challenge_id == row["id"] and cached.version >= row["version"]:
            try:
                return ChallengeState.from_dict(cached.state)
            except (ValueError, KeyError, TypeError):
                pass
    stored = uow.fetchone("SELECT state FROM challenges WHERE id = %s", (row["id"],))
    if stored is None or stored[0] is None:
        return None
    try:
        return ChallengeState.from_dict(stored[0])
    except (ValueError, KeyError, TypeError):
        return None


def _rolled(program: Program, state: ChallengeState, at: datetime) -> ChallengeState:
    """The state as the engine's day roll leaves it at `at` (no trading in between)."""
    rolled = state.copy()
    engine._roll_day(compiled(program), rolled, at)
    return rolled


def _floors(program: Program, state: ChallengeState) -> dict[str, Any]:
    ph = compiled(program).phases[state.phase_index]
    effective = engine.equity_floor(program, state)
    return {
        "daily": str(state.daily_floor) if ph.daily else None,
        "daily_paused": state.daily_paused,
        "max_loss": str(state.max_floor) if ph.max_loss else None,
        "effective": None if effective is None else jsonable(effective.to_dict()),
    }


def challenge_view(
    uow: UnitOfWork, client: redis.Redis, keys: LiveKeys, row: dict[str, Any], program: Program, now: datetime
) -> dict[str, Any]:
    cp = compiled(program)
    phase = program.phases[row["phase"]] if 0 <= row["phase"] < len(program.phases) else None
    view: dict[str, Any] = {
        **row,
        "phase_name": phase.name if phase else None,
        "program": {
            "id": program.id,
            "version": row["program_version"],
            "currency": program.currency,
            "account_size": str(program.account_size),
            "day_reset": {"time": program.day_reset.time, "zone": program.day_reset.zone},
        },
        "live": None,
        "coverage": None,
        "floors": None,
        "day": None,
        "tomorrow": None,
        "progress": None,
        "limits": None,
        "rules": phase.model_dump(mode="json", exclude_none=True) if phase else None,
        "rules_text": describe_phase(program, row["phase"]) if phase else [],
    }
    snapshot, cached_raw = (None, None)
    if row["login"] is not None:
        snapshot, cached_raw = _live(client, keys, row["server"], row["login"])
    state = _state(uow, row, cached_raw) if row["login"] is not None else None
    next_reset = cp.clock.next_reset(now)
    view["day"] = {
        "next_reset_at": iso_utc(next_reset),
        "seconds_to_reset": int((next_reset - now).total_seconds()),
        "zone": program.day_reset.zone,
    }
    if snapshot is not None:
        view["live"] = {
            "time": iso_utc(snapshot.time),
            "balance": str(snapshot.balance),
            "equity": str(snapshot.equity),
            "floating": str(snapshot.equity - snapshot.balance),
            "margin": str(snapshot.margin),
            "positions": None if snapshot.positions is None else [p.as_json() for p in snapshot.positions],
        }
    if row["login"] is not None:
        view["coverage"] = _coverage(snapshot, state)
    if state is None:
        return view
    if snapshot is not None and (state.last_snapshot_at is None or snapshot.time > state.last_snapshot_at):
        state = state.copy()  # the poller's report is newer than the state the evaluator saved
        state.balance, state.equity, state.ops_since_snapshot = snapshot.balance, snapshot.equity, Decimal(0)
        state.deals_since_snapshot = Decimal(0)
    if view["live"] is None:
        view["live"] = {
            "time": None,
            "balance": str(state.balance),
            "equity": str(state.equity),
            "floating": str(state.equity - state.balance),
            "margin": None,
            "positions": None,
        }
    active = state.status == ACTIVE
    today = _rolled(program, state, now) if active and now >= state.next_reset else state
    view["day"]["trading_day"] = today.day_label.isoformat()
    view["day"]["started_at"] = iso_utc(cp.clock.day_start(now))
    if active:
        view["floors"] = _floors(program, today)
        tomorrow = _rolled(program, today, next_reset)
        ph = cp.phases[tomorrow.phase_index]
        floors = [
            f
            for f in (tomorrow.daily_floor if ph.daily else None, tomorrow.max_floor if ph.max_loss else None)
            if f is not None
        ]
        highest = max(floors) if floors else None
        equity = state.equity
        view["tomorrow"] = {
            "at": iso_utc(next_reset),
            "assumes": "balance and equity stay as they are now (open positions kept over the reset)",
            "daily_floor": str(tomorrow.daily_floor) if ph.daily else None,
            "max_loss_floor": str(tomorrow.max_floor) if ph.max_loss else None,
            "headroom": None if highest is None else str(equity - highest),
            "breached_at_reset": None
            if highest is None
            else bool(equity <= highest if ph.touch else equity < highest),
        }
        view["progress"] = progress_of(program, state, now)
        view["limits"] = limits_left(program, today)
        view["limits"]["trade_loss"] = trade_loss_left(program, state.phase_index, snapshot)
    return view


def progress_of(program: Program, state: ChallengeState, now: datetime) -> dict[str, Any]:
    """Where the phase stands: the target and the profit toward it, the days traded, the deadline (the
    trader's view and the CRM feed)."""
    cp = compiled(program)
    rules = cp.phases[state.phase_index]
    target = rules.target_balance
    start = program.account_size + state.phase_ops  # balance operations move the target with them
    day_result = state.balance - state.day_start_balance - state.day_ops
    uncounted = state.capped_excess
    if rules.day_cap is not None and day_result > rules.day_cap:
        uncounted += day_result - rules.day_cap
    goal = None if target is None else target + state.phase_ops + uncounted
    return {
        "target_balance": None if goal is None else str(goal),
        "profit": str(state.balance - start),
        "to_target": None if goal is None else str(max(goal - state.balance, Decimal(0))),
        "progress_pct": None
        if goal is None or goal == start
        else str(_pct(state.balance - start, goal - start)),
        "trading_days": state.trading_days,
        "min_trading_days": cp.phases[state.phase_index].min_trading_days,
        "phase_started_at": iso_utc(state.phase_started_at),
        "deadline": None if state.deadline is None else iso_utc(state.deadline),
        "days_left": None
        if state.deadline is None
        else max(0, int((state.deadline - now).total_seconds() // 86400)),
        "best_day_profit": str(state.best_day_profit),
        "profitable_days": state.profitable_days
        + (1 if rules.min_profitable_days and day_result > 0 and day_result >= rules.profitable_threshold else 0),
        "min_profitable_days": rules.min_profitable_days,
        "uncounted_profit": str(uncounted),
    }


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.01"))


def trade_loss_left(program: Program, phase_index: int, snapshot: Snapshot | None) -> dict[str, Any] | None:
    """The per-trade limit's room: the open position with the lowest result (profit and swap) and what it
    may still lose; None when the phase has no per-trade limit."""
    phase = program.phases[phase_index]
    limit = phase.trade_loss_limit(program.account_size)
    if limit is None:
        return None
    results = [
        (p.profit + (p.swap or 0), p.ticket)
        for p in (snapshot.positions or () if snapshot is not None else ())
        if p.profit is not None
    ]
    worst = min(results, key=lambda item: item[0]) if results else None
    return {
        "limit": str(limit),
        "action": phase.max_trade_loss_action,
        "worst": None if worst is None else str(worst[0]),
        "ticket": None if worst is None else worst[1],
        "left": None if worst is None else str(worst[0] + limit),
    }


def limits_left(program: Program, state: ChallengeState) -> dict[str, Any]:
    """Loss left before each floor now, in money, in percent of the account size and as a share of the
    limit (the admin's risk measure; migration 0004 computes the same in SQL)."""
    phase = program.phases[state.phase_index]
    size = program.account_size
    equity = state.equity

    def block(floor: Decimal, limit: Decimal) -> dict[str, Any]:
        left = equity - floor
        return {
            "floor": str(floor),
            "limit": str(limit),
            "left": str(left),
            "left_pct": str(_pct(left, size)),
            "left_share": str((left / limit).quantize(Decimal("0.0001"))) if limit else None,
        }

    daily = None
    if phase.has_daily_loss:
        fixed = phase.fixed_daily_limit(size)
        limit = fixed if fixed is not None else pct_of(state.day_start_balance, phase.daily_loss_pct or Decimal(0))
        daily = block(state.daily_floor, limit)
        daily["paused"] = state.daily_paused
    max_loss = None
    max_limit = phase.max_loss_limit(size)
    if max_limit is not None:
        max_loss = block(state.max_floor, max_limit)
    return {"equity": str(equity), "daily_loss": daily, "max_loss": max_loss}
