"""Early warning: an account close to the floor that binds it now, before it is breached.

A trader is warned once a trading day per rule when `share` or less of that rule's room is left: equity
minus the floor at most `share` × the limit's amount (the maximum loss, or the day's loss limit, as the
program fixes it). The warning is advice, never a decision: the engine alone decides breaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from propfirm.domain.decisions import MAX_LOSS
from propfirm.domain.engine import equity_floor
from propfirm.domain.floors import EquityFloor
from propfirm.domain.money import pct_of
from propfirm.domain.programs import Program
from propfirm.domain.rules import compiled
from propfirm.domain.state import ChallengeState

DEFAULT_SHARE = Decimal("0.2")  # warn when a fifth of the room (or less) is left


@dataclass(frozen=True)
class FloorWarning:
    rule: str  # "daily_loss" or "max_loss": the floor that binds now
    level: Decimal  # the floor
    equity: Decimal
    headroom: Decimal  # equity above the floor
    limit: Decimal  # the rule's whole amount
    day: date  # the trading day it is given for (one warning per rule and day)

    @property
    def used_pct(self) -> Decimal:
        """The share of the rule's room already used, in percent (two decimals)."""
        return ((self.limit - self.headroom) / self.limit * 100).quantize(Decimal("0.01"))


def floor_warning(
    program: Program, state: ChallengeState, equity: Decimal, share: Decimal = DEFAULT_SHARE
) -> FloorWarning | None:
    """The warning `equity` calls for under `state`, or None (no floor, far from it, or breached)."""
    return warning_for(program, state, equity_floor(program, state), equity, share)


def warning_for(
    program: Program, state: ChallengeState, floor: EquityFloor | None, equity: Decimal, share: Decimal
) -> FloorWarning | None:
    """As `floor_warning`, with the floor `state` sets already at hand (the evaluator's, computed once)."""
    if share <= 0 or floor is None:
        return None
    cp = compiled(program)
    ph = cp.phases[state.phase_index]
    if floor.reason == MAX_LOSS:
        amount = ph.max_amount
    else:
        amount = ph.daily_fixed_amount if ph.daily_fixed_amount is not None else pct_of(cp.size, ph.daily_pct)
    headroom = equity - floor.level
    if amount <= 0 or headroom <= 0 or headroom > amount * share:
        return None
    return FloorWarning(floor.reason, floor.level, equity, headroom, amount, state.day_label)
