"""The equity floor the poller's fast path acts on without asking the evaluator.

The evaluator computes it (`propfirm.domain.engine.equity_floor`) from a challenge's state: the
highest of the loss floors that are compared with live equity during the day, valid until the next
daily reset. It is never above the floor the engine itself judges with, so a kill on it is never
false; once `expires_at` has passed the poller must ignore it until the evaluator renews it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

BreachAt = Literal["touch", "below"]
FloorAction = Literal["fail", "pause"]


@dataclass(frozen=True, slots=True)
class EquityFloor:
    level: Decimal  # equity at (touch) or under (below) which the account is breached
    expires_at: datetime  # the next daily reset (UTC); the floor means nothing from then on
    reason: str  # the rule that sets the level: "max_loss" or "daily_loss"
    breach_at: BreachAt = "touch"
    action: FloorAction = "fail"  # fail: close and disable for good; pause: close, disable until the reset

    def is_valid_at(self, now: datetime) -> bool:
        return now < self.expires_at

    def is_breached(self, equity: Decimal, now: datetime) -> bool:
        """True when `equity` at `now` breaches this floor; an expired floor breaches nothing."""
        if now >= self.expires_at:
            return False
        return equity <= self.level if self.breach_at == "touch" else equity < self.level

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": str(self.level),
            "expires_at": self.expires_at.isoformat(),
            "reason": self.reason,
            "breach_at": self.breach_at,
            "action": self.action,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EquityFloor:
        expires_at = datetime.fromisoformat(data["expires_at"])
        if expires_at.tzinfo is None:
            raise ValueError("expires_at needs a UTC offset")
        return cls(
            level=Decimal(data["level"]),
            expires_at=expires_at,
            reason=data["reason"],
            breach_at=data.get("breach_at", "touch"),
            action=data.get("action", "fail"),
        )
