"""A challenge's state between events, and its JSON-safe serialization (versioned).

The engine mutates a state in place on its fast path (replay); `evaluate` works on a copy, so the
evaluator sees a pure function. `to_dict()` gives Decimal as strings and datetimes as ISO 8601 with
offset, for Redis and PostgreSQL; `from_dict()` refuses a version it does not know.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

STATE_VERSION = 3
# what a version-2 state (before qualifying trades) lacks, as version 3 starts it
_V2_DEFAULTS: dict[str, Any] = {
    "trade_values": [],
    "day_trade_qualified": False,
    "day_value": "0",
    "deals_since_snapshot": "0",
}
# what a version-1 state (before the rule variants of programs) lacks, as version 2 starts it
_V1_DEFAULTS: dict[str, Any] = {
    **_V2_DEFAULTS,
    "day_lots": "0",
    "profitable_days": 0,
    "winning_profit": "0",
    "capped_excess": "0",
    "trade_results": [],
    "pending_trade_loss": None,
    "trade_loss_broken": False,
    "exposure_broken": 0,
}

ACTIVE = "active"
FAILED = "failed"
PASSED = "passed"  # passed the last phase and no phase follows (a program without a funded stage)
PROVISIONING = "provisioning"  # bought, its MT5 account not yet made (a challenge's status, never an engine's)

_DECIMALS = (
    "balance",
    "equity",
    "ops_since_snapshot",
    "deals_since_snapshot",
    "phase_ops",
    "high_water",
    "max_floor",
    "daily_floor",
    "day_start_balance",
    "day_ops",
    "day_high",
    "day_lots",
    "day_value",
    "best_day_profit",
    "winning_profit",
    "capped_excess",
)
_OPT_DECIMALS = ("pending_eod_floor", "pending_trade_loss")
_DATETIMES = ("phase_started_at", "day_start", "next_reset", "last_deal_at", "updated_at")
_OPT_DATETIMES = ("deadline", "last_snapshot_at")  # (to_dict_since names both: keep them in step)
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
    "day_traded",
    "day_trade_qualified",
    "trading_days",
    "profitable_days",
    "snapshot_positions",
    "lots_broken",
    "positions_broken",
    "trade_loss_broken",
    "exposure_broken",
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
        # last reported balance/equity, and balance operations and trade deals' results since that snapshot
        "balance",
        "equity",
        "ops_since_snapshot",
        "deals_since_snapshot",
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
        "day_traded",  # the trading_day condition met today (it counts once the day also qualifies)
        "day_lots",  # lots opened today
        "day_value",  # value opened today (account currency, the deals that give one)
        "day_trade_qualified",  # a qualifying trade closed today (the qualifying_trade_* conditions)
        "day_high",  # the highest equity since the reset (the intraday_high daily basis)
        "opened_today",
        # passing
        "best_day_profit",
        "trading_days",
        "profitable_days",  # closed days whose profit reached the phase's threshold
        "winning_profit",  # the closed winning days' profit, summed
        "capped_excess",  # the closed days' profit above the daily cap (not counted toward the target)
        # activity and positions
        "last_deal_at",
        "open_positions",
        "trade_results",  # realised result of each open position (with a per-trade loss limit or trade qualifier)
        "trade_values",  # value opened in each open position (account currency; with a trade qualifier)
        "snapshot_positions",
        # restrictions: kept/broken flags and verdicts waiting for the next snapshot
        "lots_broken",
        "positions_broken",
        "trade_loss_broken",
        "exposure_broken",  # a bit per exposure cap broken
        "pending_eod_floor",
        "pending_trade_loss",  # a closed position's loss beyond the limit, judged at the next snapshot
        "pending_weekend",
        "pending_news",
        "updated_at",
        "last_snapshot_at",
    )

    # the fields' types (annotations only: the class keeps its slots and no class attributes)
    server: str
    login: int
    program_id: str
    status: str
    failed_reason: str | None
    phase_index: int
    phase_started_at: datetime
    deadline: datetime | None
    balance: Decimal
    equity: Decimal
    ops_since_snapshot: Decimal
    deals_since_snapshot: Decimal
    phase_ops: Decimal
    high_water: Decimal
    max_floor: Decimal
    day_label: date
    day_start: datetime
    next_reset: datetime
    daily_floor: Decimal
    day_start_balance: Decimal
    day_ops: Decimal
    daily_paused: bool
    day_had_snapshot: bool
    day_counted: bool
    day_traded: bool
    day_lots: Decimal
    day_value: Decimal
    day_trade_qualified: bool
    day_high: Decimal
    opened_today: set[int]
    best_day_profit: Decimal
    trading_days: int
    profitable_days: int
    winning_profit: Decimal
    capped_excess: Decimal
    last_deal_at: datetime
    open_positions: dict[int, Decimal]
    trade_results: dict[int, Decimal]
    trade_values: dict[int, Decimal]
    snapshot_positions: int | None
    lots_broken: bool
    positions_broken: bool
    trade_loss_broken: bool
    exposure_broken: int
    pending_eod_floor: Decimal | None
    pending_trade_loss: Decimal | None
    pending_weekend: bool
    pending_news: bool
    updated_at: datetime
    last_snapshot_at: datetime | None

    # copy, to_dict and from_dict are generated below from the field lists (the evaluator calls them
    # for every account of every message: straight-line code is several times faster than loops)
    def copy(self) -> ChallengeState:  # replaced by _generate()
        raise NotImplementedError

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def to_dict(self) -> dict[str, Any]:  # replaced by _generate()
        raise NotImplementedError

    def to_dict_since(  # replaced by _generate()
        self, earlier: ChallengeState, earlier_dict: dict[str, Any]
    ) -> dict[str, Any]:
        """`to_dict()`, reusing `earlier_dict`'s text for every field still holding the very object it held
        in `earlier` (whose `to_dict()` gave `earlier_dict`): a copy shares its unchanged fields, so most
        of a state's times and amounts are not formatted again."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChallengeState:
        version = data.get("version")
        if version == 2:
            data = {**_V2_DEFAULTS, **data}
        elif version == 1:
            data = {
                **_V1_DEFAULTS,
                "day_traded": data.get("day_counted", False),
                "day_high": max(Decimal(data["balance"]), Decimal(data["equity"])),
                **data,
            }
        elif version != STATE_VERSION:
            raise ValueError(
                f"challenge state version {version!r} is not supported (expected {STATE_VERSION})"
            )
        return _from_dict(cls, data)

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


def _generate() -> None:
    """Straight-line copy/to_dict/from_dict with exactly the semantics of the field lists above."""
    copy_lines = ["def copy(self):", "    c = _new(ChallengeState)"]
    for name in ChallengeState.__slots__:
        if name == "open_positions":
            copy_lines.append("    c.open_positions = dict(self.open_positions)")
        elif name == "trade_results":
            copy_lines.append("    c.trade_results = dict(self.trade_results) if self.trade_results else {}")
        elif name == "trade_values":
            copy_lines.append("    c.trade_values = dict(self.trade_values) if self.trade_values else {}")
        elif name == "opened_today":
            copy_lines.append("    c.opened_today = set(self.opened_today)")
        else:
            copy_lines.append(f"    c.{name} = self.{name}")
    copy_lines.append("    return c")

    items = ['"version": STATE_VERSION']
    items += [f'"{n}": self.{n}' for n in _PLAIN]
    items += [f'"{n}": str(self.{n})' for n in _DECIMALS]
    items += [f'"{n}": None if self.{n} is None else str(self.{n})' for n in _OPT_DECIMALS]
    items += [f'"{n}": self.{n}.isoformat()' for n in _DATETIMES]
    items += [f'"{n}": None if self.{n} is None else self.{n}.isoformat()' for n in _OPT_DATETIMES]
    items += [
        '"day_label": self.day_label.isoformat()',
        '"open_positions": [[pos, str(vol)] for pos, vol in sorted(self.open_positions.items())]',
        '"trade_results": [[pos, str(r)] for pos, r in sorted(self.trade_results.items())]',
        '"trade_values": [[pos, str(v)] for pos, v in sorted(self.trade_values.items())]',
        '"opened_today": sorted(self.opened_today)',
    ]
    to_dict_lines = ["def to_dict(self):", "    return {" + ", ".join(items) + "}"]

    # to_dict_since: the earlier text copied (a C copy keeping the key order), then each field holding
    # another object than it held in `e` formatted again; an unchanged field costs one identity test
    since_lines = [
        "def to_dict_since(self, e, e_dict):",
        '    if e_dict.get("version") != STATE_VERSION: return self.to_dict()  # not a whole text of this version',
        "    d = e_dict.copy()",
    ]
    since_lines += [f'    if self.{n} is not e.{n}: d["{n}"] = self.{n}' for n in _PLAIN]
    since_lines += [f'    if self.{n} is not e.{n}: d["{n}"] = str(self.{n})' for n in _DECIMALS]
    since_lines += [
        f'    if self.{n} is not e.{n}: d["{n}"] = None if self.{n} is None else str(self.{n})' for n in _OPT_DECIMALS
    ]
    # a snapshot sets `updated_at` and `last_snapshot_at` to its one time object: formatted once
    since_lines += [
        "    updated = self.updated_at",
        '    if updated is not e.updated_at: d["updated_at"] = updated.isoformat()',
    ]
    since_lines += [
        f'    if self.{n} is not e.{n}: d["{n}"] = self.{n}.isoformat()' for n in _DATETIMES if n != "updated_at"
    ]
    since_lines += [
        '    if self.deadline is not e.deadline: d["deadline"] = None if self.deadline is None else '
        "self.deadline.isoformat()",
        "    last = self.last_snapshot_at",
        '    if last is updated: d["last_snapshot_at"] = d["updated_at"]',
        '    elif last is not e.last_snapshot_at: d["last_snapshot_at"] = None if last is None else last.isoformat()',
        '    if self.day_label is not e.day_label: d["day_label"] = self.day_label.isoformat()',
        '    d["open_positions"] = [[pos, str(vol)] for pos, vol in sorted(self.open_positions.items())]'
        " if self.open_positions else []",
        '    d["trade_results"] = [[pos, str(r)] for pos, r in sorted(self.trade_results.items())]'
        " if self.trade_results else []",
        '    d["trade_values"] = [[pos, str(v)] for pos, v in sorted(self.trade_values.items())]'
        " if self.trade_values else []",
        '    d["opened_today"] = sorted(self.opened_today) if self.opened_today else []',
        "    return d",
    ]

    from_lines = ["def _from_dict(cls, data):", "    s = _new(cls)"]
    from_lines += [f'    s.{n} = data["{n}"]' for n in _PLAIN]
    from_lines += [f'    s.{n} = Decimal(data["{n}"])' for n in _DECIMALS]
    for n in _OPT_DECIMALS:
        from_lines += [f'    v = data["{n}"]', f"    s.{n} = None if v is None else Decimal(v)"]
    from_lines += [f'    s.{n} = _aware(data["{n}"])' for n in _DATETIMES]
    for n in _OPT_DATETIMES:
        from_lines += [f'    v = data["{n}"]', f"    s.{n} = None if v is None else _aware(v)"]
    from_lines += [
        '    s.day_label = date.fromisoformat(data["day_label"])',
        '    s.open_positions = {pos: Decimal(vol) for pos, vol in data["open_positions"]}',
        '    s.trade_results = {pos: Decimal(r) for pos, r in data["trade_results"]}',
        '    s.trade_values = {pos: Decimal(v) for pos, v in data["trade_values"]}',
        '    s.opened_today = set(data["opened_today"])',
        "    return s",
    ]
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "ChallengeState": ChallengeState,
        "STATE_VERSION": STATE_VERSION,
        "Decimal": Decimal,
        "date": date,
        "_aware": _aware,
    }
    exec("\n".join(copy_lines + to_dict_lines + since_lines + from_lines), namespace)  # noqa: S102 - built above
    ChallengeState.copy = namespace["copy"]  # type: ignore[method-assign]
    ChallengeState.to_dict = namespace["to_dict"]  # type: ignore[method-assign]
    ChallengeState.to_dict_since = namespace["to_dict_since"]  # type: ignore[method-assign]
    global _from_dict
    _from_dict = namespace["_from_dict"]


def _from_dict(cls: type, data: dict[str, Any]) -> ChallengeState:  # replaced by _generate()
    raise NotImplementedError


_generate()
