"""A program compiled for the engine: each phase's parameters precomputed into slotted objects.

Percentages become amounts and levels once, so that judging a snapshot is a few Decimal
comparisons. Compiled programs are cached per program object.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from propfirm.domain.money import HUNDRED, ZERO, currency_digits, pct_of
from propfirm.domain.programs import Phase, Program
from propfirm.domain.tradingday import DayClock

if TYPE_CHECKING:
    from collections.abc import Sequence

    from propfirm.domain.events import Position

# daily loss basis
BASIS_BALANCE, BASIS_EQUITY, BASIS_HIGHER, BASIS_INITIAL, BASIS_INTRADAY_HIGH = 0, 1, 2, 3, 4
_BASIS = {
    "balance": BASIS_BALANCE,
    "equity": BASIS_EQUITY,
    "balance_or_equity": BASIS_HIGHER,
    "initial": BASIS_INITIAL,
    "intraday_high": BASIS_INTRADAY_HIGH,
}
# maximum loss modes
STATIC, TRAILING_INTRADAY, TRAILING_BALANCE, TRAILING_EOD = 0, 1, 2, 3
_MODES = {
    "static": STATIC,
    "trailing_intraday": TRAILING_INTRADAY,
    "trailing_balance": TRAILING_BALANCE,
    "trailing_eod": TRAILING_EOD,
}
# which deals make a trading day
DAY_OPENED, DAY_OPENED_AND_CLOSED, DAY_ANY_DEAL = 0, 1, 2
_DAYS = {"opened": DAY_OPENED, "opened_and_closed": DAY_OPENED_AND_CLOSED, "any_deal": DAY_ANY_DEAL}


class PhaseRules:
    __slots__ = (
        "index",
        "name",
        "group",
        "funded",
        "passes_to_funded",
        "target_balance",
        "target_amount",
        "min_trading_days",
        "qualify_lots",
        "qualify_result",
        "qualifies_later",
        "qualify_day_value",
        "qualify_trade",
        "qualify_trade_value",
        "qualify_trade_share",
        "min_profitable_days",
        "profitable_threshold",
        "consistency_share",
        "consistency_winning",
        "day_cap",
        "daily",
        "daily_pct",
        "daily_basis",
        "daily_fixed_amount",
        "daily_pause",
        "daily_open_pnl",
        "daily_eod",
        "max_loss",
        "max_mode",
        "max_amount",
        "static_floor",
        "lock_level",
        "touch",
        "max_days",
        "inactivity_days",
        "inactivity_min",
        "max_lots",
        "max_positions",
        "exposure_caps",
        "trade_loss",
        "trade_loss_fails",
        "weekend_holding",
        "news_window",
        "payout_rebase",
        "raises_marks",
        "limits_positions",
    )

    def __init__(self, program: Program, index: int) -> None:
        phase: Phase = program.phases[index]
        size = program.account_size
        self.index = index
        self.name = phase.name
        self.group = phase.group
        self.funded = phase.funded
        # a pass from here is "funded" when no evaluation phase follows
        self.passes_to_funded = all(p.funded for p in program.phases[index + 1 :])
        # a funded phase never passes by target
        self.target_amount = phase.target_profit(size)
        self.target_balance = None if self.target_amount is None else size + self.target_amount
        self.min_trading_days = phase.min_trading_days
        # a day counts as a trading day only when it also qualifies (None: no such condition)
        self.qualify_lots = phase.qualifying_day_min_lots
        self.qualify_result = (
            pct_of(size, phase.qualifying_day_min_result_pct)
            if phase.qualifying_day_min_result_pct is not None
            else None
        )
        self.qualify_day_value = (
            pct_of(size, phase.qualifying_day_min_value_pct)
            if phase.qualifying_day_min_value_pct is not None
            else None
        )
        # a day counts only with a qualifying trade closed in it: one whose value reached this much, and
        # whose result moved this share of its value either way (0: no such condition)
        self.qualify_trade = phase.has_trade_qualifier
        self.qualify_trade_value = phase.qualifying_trade_value(size)
        self.qualify_trade_share = (
            phase.qualifying_trade_min_result_pct / HUNDRED
            if phase.qualifying_trade_min_result_pct is not None
            else ZERO
        )
        # a day that qualifies by its result is counted when a snapshot shows it (not at the deal)
        self.qualifies_later = self.qualify_result is not None
        self.min_profitable_days = phase.min_profitable_days
        self.profitable_threshold = phase.profitable_day_threshold(size)
        self.consistency_share = (
            phase.consistency_pct / HUNDRED if phase.consistency_pct is not None else None
        )
        self.consistency_winning = phase.consistency_basis == "winning_days"
        # the most one day's profit counts toward the target
        self.day_cap = (
            pct_of(self.target_amount, phase.daily_profit_cap_pct)
            if phase.daily_profit_cap_pct is not None and self.target_amount is not None
            else None
        )

        self.daily = phase.has_daily_loss
        # amounts of a rule the phase does not have are zero, never read (each use checks the rule first)
        self.daily_pct: Decimal = phase.daily_loss_pct if phase.daily_loss_pct is not None else ZERO
        self.daily_basis = _BASIS[phase.daily_loss_basis]
        self.daily_fixed_amount = phase.fixed_daily_limit(size)
        self.daily_pause = phase.daily_loss_action == "pause"
        self.daily_open_pnl = phase.daily_loss_open_pnl
        self.daily_eod = phase.daily_loss_evaluation == "end_of_day"

        self.max_loss = phase.has_max_loss
        self.max_mode = _MODES[phase.max_loss_mode]
        self.max_amount: Decimal = phase.max_loss_limit(size) or ZERO
        self.static_floor: Decimal = size - self.max_amount
        # trailing_lock_offset acts only with trailing_lock: true, and only on trailing floors
        self.lock_level = (
            size + phase.trailing_lock_offset if phase.trailing_lock and self.max_mode != STATIC else None
        )
        self.touch = phase.breach_at == "touch"
        self.payout_rebase = phase.payout_rebase

        self.max_days = phase.max_days
        self.inactivity_days = phase.inactivity_days
        # a cheap lower bound for the calendar-day test (a DST day is at most one hour short)
        self.inactivity_min = (
            timedelta(days=phase.inactivity_days) - timedelta(hours=1) if phase.inactivity_days else timedelta(0)
        )
        self.max_lots = phase.max_lots
        self.max_positions = phase.max_positions
        # (name, patterns, limit, by value): the limit in lots, or in money for a cap on the value held
        self.exposure_caps = tuple(
            (cap.name, cap.symbols, cap.max_lots, False)
            if cap.max_lots is not None
            else (cap.name, cap.symbols, pct_of(size, cap.max_value_pct or ZERO), True)
            for cap in phase.exposure_caps
        )
        self.trade_loss = phase.trade_loss_limit(size)  # a loss amount (positive), or None
        self.trade_loss_fails = phase.max_trade_loss_action == "fail"
        self.weekend_holding = phase.weekend_holding
        self.news_window = (
            timedelta(minutes=float(phase.news_blackout_minutes)) if phase.news_blackout_minutes else None
        )
        # what a snapshot must look at beyond the loss floors (the engine skips the steps a phase has not)
        self.raises_marks = (
            (self.daily and self.daily_basis == BASIS_INTRADAY_HIGH)
            or self.qualifies_later
            or (self.max_loss and self.max_mode != STATIC)
        )
        self.limits_positions = (
            self.max_lots is not None or self.max_positions is not None or bool(self.exposure_caps)
        )

    def day_amount(self, basis: Decimal) -> Decimal:
        """The day's loss limit fixed at the reset: a share of the account size, or of the basis."""
        fixed = self.daily_fixed_amount
        return fixed if fixed is not None else pct_of(basis, self.daily_pct)

    def exposure_held(self, positions: Sequence[Position]) -> list[Decimal]:
        """What `positions` hold in each exposure cap's symbols: lots, or value (a position that gives no
        value adds none)."""
        held = []
        for _, patterns, _, by_value in self.exposure_caps:
            total = ZERO
            for p in positions:
                if any(fnmatchcase(p.symbol, pattern) for pattern in patterns):
                    if not by_value:
                        total += p.volume
                    elif p.value is not None:
                        total += p.value
            held.append(total)
        return held

    def exposure_broken(self, positions: Sequence[Position]) -> int:
        """A bit per exposure cap whose symbols hold more than it allows in `positions`."""
        broken = 0
        for bit, (held, cap) in enumerate(zip(self.exposure_held(positions), self.exposure_caps, strict=True)):
            if held > cap[2]:
                broken |= 1 << bit
        return broken

    def max_floor(self, high_water: Decimal) -> Decimal:
        """The maximum-loss floor for a high-water mark (ignored when static)."""
        if self.max_mode == STATIC:
            return self.static_floor
        floor = high_water - self.max_amount
        lock = self.lock_level
        if lock is not None and floor > lock:
            return lock
        return floor


class CompiledProgram:
    __slots__ = ("program", "id", "size", "digits", "clock", "trading_day", "phases")

    def __init__(self, program: Program) -> None:
        self.program = program
        self.id = program.id
        self.size = program.account_size
        self.digits = currency_digits(program.currency)
        self.clock = DayClock(program.day_reset.time_of_day, program.day_reset.zone)
        self.trading_day = _DAYS[program.trading_day]
        self.phases = tuple(PhaseRules(program, i) for i in range(len(program.phases)))


_CACHE: dict[int, tuple[Program, CompiledProgram]] = {}


def compiled(program: Program) -> CompiledProgram:
    """The compiled form of `program` (cached; the program object is kept alive with it)."""
    entry = _CACHE.get(id(program))
    if entry is not None and entry[0] is program:
        return entry[1]
    result = CompiledProgram(program)
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[id(program)] = (program, result)
    return result
