"""Decisions the rule engine takes, with the reason, the value that triggered it and the limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from propfirm.domain.money import display

PHASE_PASSED = "phase_passed"  # the next phase begins
FUNDED = "funded"  # the last evaluation phase passed
FAILED = "failed"
RESTRICTED = "restricted"  # a rule broken that the program does not make fatal
REBASED = "rebased"  # the floors restarted after a payout (programs with payout_rebase)

# reasons
PROFIT_TARGET = "profit_target"
DAILY_LOSS = "daily_loss"
MAX_LOSS = "max_loss"
MAX_DAYS = "max_days"
INACTIVITY = "inactivity"
MAX_LOTS = "max_lots"
MAX_POSITIONS = "max_positions"
WEEKEND_HOLDING = "weekend_holding"
NEWS_BLACKOUT = "news_blackout"
MAX_TRADE_LOSS = "max_trade_loss"  # a position lost the per-trade limit (failed or restricted, per program)
EXPOSURE_CAP = "exposure_cap"  # more lots open in a capped class of symbols than the cap allows
PAYOUT = "payout"

_COUNT_LIMITS = frozenset((MAX_LOTS, MAX_POSITIONS, EXPOSURE_CAP))  # lots and counts, not money


@dataclass(frozen=True, slots=True)
class Decision:
    time: datetime  # the time of the event that caused it
    server: str
    login: int
    decision: str
    phase: str  # the phase the account was in when the decision was taken
    reason: str
    equity: Decimal  # the equity of the event that caused it
    limit: Decimal | None  # the floor, the balance a pass required, the maximum; None for deadlines

    def to_json_dict(self, digits: int = 2) -> dict[str, Any]:
        """The replay contract's JSON object: these keys in this order, money as strings, UTC times."""
        return {
            "time": self.time.astimezone(UTC).isoformat(),
            "login": self.login,
            "server": self.server,
            "decision": self.decision,
            "phase": self.phase,
            "reason": self.reason,
            "equity": display(self.equity, digits),
            "limit": None
            if self.limit is None
            else (str(self.limit) if self.reason in _COUNT_LIMITS else display(self.limit, digits)),
        }
