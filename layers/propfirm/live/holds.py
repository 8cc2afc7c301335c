"""A floor hold: a withdrawal on its way to MT5, which the published floor must already allow for.

A withdrawal lowers the true daily floor by its amount, but the rule engine learns of it only when the
withdrawal's deal reaches the evaluator. Until then any floor the evaluator publishes (a routine renewal,
a new state version after a trade) would be computed as if the money were still there, and the poller's
fast path could kill a healthy account. So whoever sends a withdrawal first stores a hold
(`acct:{server:login}:floor_hold`, same hash slot as the floor); the evaluator publishes its floor lowered
by the hold's amount, and clears the hold once it has judged the deal with the hold's comment. A lowered
floor is never above the true one, before or after the withdrawal. The hold expires by itself after
`HOLD_TTL_SECONDS` in case its deal never comes (the withdrawal failed and nobody cleared it).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import orjson

HOLD_TTL_SECONDS = 2 * 24 * 3600


@dataclass(frozen=True, slots=True)
class FloorHold:
    amount: Decimal  # positive: what is being withdrawn
    comment: str  # the MT5 comment of the withdrawal's deal, by which the evaluator recognises it

    def encode(self) -> bytes:
        return orjson.dumps({"amount": str(self.amount), "comment": self.comment})

    @classmethod
    def decode(cls, raw: bytes | str | None) -> FloorHold | None:
        """The hold, or None for no key; an unreadable hold is ValueError (the caller decides)."""
        if raw is None:
            return None
        try:
            data = orjson.loads(raw)
            amount = Decimal(data["amount"])
            comment = str(data["comment"])
        except (orjson.JSONDecodeError, KeyError, TypeError, InvalidOperation) as exc:
            raise ValueError(f"unreadable floor hold: {exc}") from exc
        if not amount.is_finite() or amount <= 0:
            raise ValueError(f"floor hold amount must be positive, not {amount}")
        return cls(amount, comment)
