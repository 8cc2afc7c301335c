"""Every floor in force when a decision was taken, and how each was computed (pure): the daily floor from
its basis at the reset, the maximum-loss floor from its mode, high-water mark and lock; which one binds.

The state judged is the engine's state right after the event that caused the decision: a snapshot that
crosses the reset rolls the day before it is judged, so the floors read here are the ones it met.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from propfirm.domain.money import HUNDRED, pct_of
from propfirm.domain.programs import Phase, Program
from propfirm.domain.state import ChallengeState


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def daily_basis(phase: Phase, size: Decimal, floor: Decimal) -> tuple[Decimal | None, Decimal | None]:
    """The basis the day's floor was set from at the reset (for `intraday_high`: the day's high so far) and
    the day's allowed loss, from the floor: exact, or (None, None) when no basis gives back this floor (a
    state from before a program change)."""
    fixed = phase.fixed_daily_limit(size)
    if fixed is not None:
        return floor + fixed, fixed
    pct = phase.daily_loss_pct
    if pct is None:
        return None, None
    basis = floor * HUNDRED / (HUNDRED - pct) if pct < HUNDRED else None
    if basis is None:
        return None, None
    for candidate in (basis, basis.quantize(Decimal("0.01"))):
        if candidate - pct_of(candidate, pct) == floor:
            return candidate, pct_of(candidate, pct)
    return None, None


def floors_in_force(program: Program, phase_index: int, state: ChallengeState) -> dict[str, Any]:
    """The floors of `state` (the engine's state after the deciding event) for the phase judged."""
    phase = program.phases[phase_index]
    size = program.account_size
    out: dict[str, Any] = {"breach_at": phase.breach_at, "daily": None, "max": None, "binding": None}
    if phase.has_daily_loss:
        basis, amount = daily_basis(phase, size, state.daily_floor)
        out["daily"] = {
            "level": str(state.daily_floor),
            "basis": phase.daily_loss_basis,  # balance | equity | balance_or_equity | initial
            "basis_value": _text(basis),
            "reference": phase.daily_loss_reference,  # initial: a share of the account size; day_start
            "pct": _text(phase.daily_loss_pct),  # None: the program gives the limit as an amount
            "amount": _text(amount),
            "reset_at": _iso(state.day_start),
            "day": state.day_label.isoformat(),
            "reset_time": program.day_reset.time,
            "zone": program.day_reset.zone,
            "day_start_balance": str(state.day_start_balance),
            "action": phase.daily_loss_action,
            "evaluation": phase.daily_loss_evaluation,
            "open_pnl": phase.daily_loss_open_pnl,
            "paused": state.daily_paused,
        }
    amount = phase.max_loss_limit(size)
    if amount is not None:
        trailing = phase.max_loss_mode != "static"
        lock = size + phase.trailing_lock_offset if phase.trailing_lock and trailing else None
        out["max"] = {
            "level": str(state.max_floor),
            "mode": phase.max_loss_mode,
            "pct": _text(phase.max_loss_pct),  # None: the program gives the limit as an amount
            "amount": str(amount),
            "high_water": str(state.high_water) if trailing else None,
            "lock": _text(lock),
            "locked": lock is not None and state.max_floor == lock,
        }
    levels = [(k, Decimal(out[k]["level"])) for k in ("daily", "max") if out[k] is not None]
    if levels:
        # the higher floor is the one equity meets first; on a tie the daily floor is named (it resets)
        out["binding"] = max(levels, key=lambda item: (item[1], item[0] == "daily"))[0]
    return out


def _iso(moment: datetime) -> str:
    return moment.isoformat()
