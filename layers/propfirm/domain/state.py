"""A challenge's state between events, and its JSON-safe serialization (versioned).

The engine mutates a state in place on its fast path (replay); `evaluate` works on a copy, so the
evaluator sees a pure function. `to_dict()` gives Decimal as strings and datetimes as ISO 8601 with
offset, for Redis and PostgreSQL; `from_dict()` refuses a version it does not know.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

STATE_VERSION = 1

ACTIVE = "active"
FAILED = "failed"
PASSED = "passed"  # passed the last phase and no phase follows (a program without a funded stage)

_DECIMALS = (
    "balance",
    "equity",
    "ops_since_snapshot",
    "phase_ops",
    "high_water",
    "max_floor",
    "daily_floor",
    "day_start_balance",
    "day_ops",
    "best_day_profit",
)
_OPT_DECIMALS = ("pending_eod_floor",)
_DATETIMES = ("phase_started_at", "day_start", "next_reset", "last_deal_at", "updated_at")
_OPT_DATETIMES = ("deadline", "last_snapshot_at")
_PLAIN = (
    "server",
    "login",
    "program_id",
    "status",
    "phase_index",
    "failed_reason",
    "daily_paused",
    "day_had_snapshot",
    "day_counted",
    "trading_days",
    "snapshot_positions",
    "lots_broken",
    "positions_broken",
    "pending_weekend",
    "pending_news",
)


class ChallengeState:
    """Everything the rules need to remember about one account's challenge."""

    __slots__ = (
        "server",
        "login",
        "program_id",
        "status",
        "failed_reason",
        "phase_index",
        "phase_started_at",
        "deadline",
        # last reported balance/equity, and balance operations since that snapshot
        "balance",
        "equity",
        "ops_since_snapshot",
        "phase_ops",
        # maximum loss: high-water mark (equity, balance or closing balance) and the floor it gives
        "high_water",
        "max_floor",
        # the trading day
        "day_label",
        "day_start",
        "next_reset",
        "daily_floor",
        "day_start_balance",
        "day_ops",
        "daily_paused",
        "day_had_snapshot",
        "day_counted",
        "opened_today",
        # passing
        "best_day_profit",
        "trading_days",
        # activity and positions
        "last_deal_at",
        "open_positions",
        "snapshot_positions",
        # restrictions: kept/broken flags and verdicts waiting for the next snapshot
        "lots_broken",
        "positions_broken",
        "pending_eod_floor",
        "pending_weekend",
        "pending_news",
        "updated_at",
        "last_snapshot_at",
    )

    def copy(self) -> ChallengeState:
        clone = ChallengeState.__new__(ChallengeState)
        for name in self.__slots__:
            setattr(clone, name, getattr(self, name))
        clone.open_positions = dict(self.open_positions)
        clone.opened_today = set(self.opened_today)
        return clone

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def to_dict(self) -> dict:
        data: dict = {"version": STATE_VERSION}
        for name in _PLAIN:
            data[name] = getattr(self, name)
        for name in _DECIMALS:
            data[name] = str(getattr(self, name))
        for name in _OPT_DECIMALS:
            value = getattr(self, name)
            data[name] = None if value is None else str(value)
        for name in _DATETIMES:
            data[name] = getattr(self, name).isoformat()
        for name in _OPT_DATETIMES:
            value = getattr(self, name)
            data[name] = None if value is None else value.isoformat()
        data["day_label"] = self.day_label.isoformat()
        data["open_positions"] = [[pos, str(vol)] for pos, vol in sorted(self.open_positions.items())]
        data["opened_today"] = sorted(self.opened_today)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ChallengeState:
        version = data.get("version")
        if version != STATE_VERSION:
            raise ValueError(
                f"challenge state version {version!r} is not supported (expected {STATE_VERSION})"
            )
        state = cls.__new__(cls)
        for name in _PLAIN:
            setattr(state, name, data[name])
        for name in _DECIMALS:
            setattr(state, name, Decimal(data[name]))
        for name in _OPT_DECIMALS:
            value = data[name]
            setattr(state, name, None if value is None else Decimal(value))
        for name in _DATETIMES:
            setattr(state, name, _aware(data[name]))
        for name in _OPT_DATETIMES:
            value = data[name]
            setattr(state, name, None if value is None else _aware(value))
        state.day_label = date.fromisoformat(data["day_label"])
        state.open_positions = {pos: Decimal(vol) for pos, vol in data["open_positions"]}
        state.opened_today = set(data["opened_today"])
        return state

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChallengeState):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __repr__(self) -> str:
        return (
            f"ChallengeState({self.server}:{self.login} {self.program_id} {self.status} "
            f"phase={self.phase_index} balance={self.balance} equity={self.equity})"
        )


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time without offset in state: {text!r}")
    return value
