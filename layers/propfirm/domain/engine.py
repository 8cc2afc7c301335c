"""The rule engine: pure functions of (program, state, event) -> (state, decisions). No I/O, no clock.

Public API (the evaluator's):
- `start(program, event)` -> the state of a challenge beginning in its first phase;
- `evaluate(program, state, event, news=None)` -> `Outcome(state, decisions)`; the given state is
  left untouched;
- `equity_floor(program, state)` -> `EquityFloor | None` for the poller's fast path;
- `begin_phase(program, state, phase, time)` -> the state with `phase` begun afresh at `time` (what a
  pass does to the next phase): for callers that place a challenge in a phase themselves (a purchase
  recorded in a later phase, an operator's override). The given state is left untouched.

The `on_*` functions mutate a state in place and append decisions to a list; replay drives them
directly to avoid allocating an event object per line. Decisions are taken at snapshots only:
deals and balance operations update the state and the next snapshot judges it.

How one snapshot is judged (the design's "fine points", in this order):
1. a day boundary crossed since the last event closes the old day (end-of-day daily verdict,
   closing balance for trailing_eod, best day, weekend holding) and opens the new one (its daily
   floor, fixed from the balance/equity known at the reset);
2. the snapshot's balance/equity raise the high-water marks it may raise;
3. a pending end-of-day daily verdict (it judges the day before, before this snapshot's own floors);
4. deadlines (max_days, inactivity): they expired before this snapshot's instant;
5. loss floors: of the fatal floors breached, the highest (max_loss on a tie) is the reason;
   a breached daily floor with action pause restricts once and is silent until the next reset;
6. restrictions newly broken (max_lots, max_positions, weekend_holding, news_blackout), each its own
   decision; 7. the pass, last.
A snapshot that fails the account takes no other decision, and a failed account takes no more.

Size: the in-place event functions and their steps, which replay and the evaluator call per event, share the
state's private helpers (a day's opening, a phase's start); split, those would become cross-module imports on
the hot path. The rules' compilation is `rules`, the state `state`, the trading day `tradingday`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from propfirm.domain import decisions as d
from propfirm.domain.decisions import Decision
from propfirm.domain.events import DEFAULT_SERVER, BalanceOperation, Deal, Event, Position, Snapshot, Start
from propfirm.domain.floors import EquityFloor, FloorAction
from propfirm.domain.money import ZERO
from propfirm.domain.programs import Program
from propfirm.domain.rules import (
    BASIS_BALANCE,
    BASIS_EQUITY,
    BASIS_INITIAL,
    BASIS_INTRADAY_HIGH,
    DAY_ANY_DEAL,
    DAY_OPENED,
    STATIC,
    TRAILING_BALANCE,
    TRAILING_EOD,
    TRAILING_INTRADAY,
    CompiledProgram,
    PhaseRules,
    compiled,
)
from propfirm.domain.state import ACTIVE, FAILED, PASSED, ChallengeState

_SATURDAY = 5


class NewsCalendar:
    """Sorted instants of news releases; `near(t, window)` tells whether t is within a blackout."""

    __slots__ = ("times",)

    def __init__(self, times: Iterable[datetime] = ()) -> None:
        given = list(times)  # read once: a generator would be empty the second time
        for t in given:
            if t.tzinfo is None:
                raise ValueError(f"news time without offset: {t.isoformat()}")
        self.times = sorted(t.astimezone(UTC) for t in given)

    def near(self, instant: datetime, window: timedelta) -> bool:
        times = self.times
        i = bisect_left(times, instant - window)
        return i < len(times) and times[i] <= instant + window

    def __bool__(self) -> bool:
        return bool(self.times)


NO_NEWS = NewsCalendar()


@dataclass(frozen=True, slots=True)
class Outcome:
    state: ChallengeState
    decisions: tuple[Decision, ...]
    ignored: bool = False  # a snapshot not newer than the last one judged: nothing changed


# ---------------------------------------------------------------------------------------------
# public API


def start(program: Program, event: Start) -> ChallengeState:
    """A challenge beginning in its first phase, with the balance at the account size."""
    if event.program != program.id:
        raise ValueError(f"start event names program {event.program!r}, not {program.id!r}")
    return new_state(compiled(program), event.server, event.login, event.time)


def evaluate(
    program: Program, state: ChallengeState | None, event: Event, news: NewsCalendar | None = None
) -> Outcome:
    """Judge one event; returns the new state and the decisions it causes (the input is not changed)."""
    out: list[Decision] = []
    if isinstance(event, Start):
        return Outcome(start(program, event), ())
    if state is None:
        raise ValueError("no challenge state: the challenge must start first")
    if (event.server, event.login) != (state.server, state.login):
        raise ValueError(
            f"event for {event.server}:{event.login} given the state of {state.server}:{state.login}"
        )
    cp = compiled(program)
    if cp.id != state.program_id:
        raise ValueError(f"state belongs to program {state.program_id!r}, not {program.id!r}")
    if (
        isinstance(event, Snapshot)
        and state.last_snapshot_at is not None
        and event.time <= state.last_snapshot_at
    ):
        # at-least-once delivery: a snapshot judged already (or older than it) changes nothing
        return Outcome(state, (), ignored=True)
    st = state.copy()
    if isinstance(event, Snapshot):
        on_snapshot(cp, st, event.time, event.balance, event.equity, event.positions, out)
    elif isinstance(event, Deal):
        result = event.profit + event.commission + event.swap
        on_deal(cp, st, event.time, event.entry, event.volume, event.position, news or NO_NEWS, result, event.value)
    elif isinstance(event, BalanceOperation):
        on_balance(cp, st, event.time, event.amount)
        if event.amount < ZERO and is_payout(event.comment) and cp.phases[st.phase_index].payout_rebase:
            _rebase_after_payout(cp, st, event.time, out)
    else:  # pragma: no cover - the Event union is closed
        raise TypeError(f"not an event: {event!r}")
    return Outcome(st, tuple(out))


def no_reset_between(program: Program, state: ChallengeState, start: datetime, end: datetime) -> bool:
    """True when no trading day of `program` ends in (`start`, `end`]: the state's own day answers the common
    case without a calendar lookup."""
    if end <= start or (state.day_start <= start and end < state.next_reset):
        return True
    return compiled(program).clock.next_reset(start) > end


def equity_floor(program: Program, state: ChallengeState) -> EquityFloor | None:
    """The equity level at which the account is breached now, valid until the next reset.

    Only floors judged against live equity during the day enter it: the maximum-loss floor (every
    mode: even an end-of-day trailing floor is compared with intraday equity), and the daily floor
    when it is intraday, compares equity (daily_loss_open_pnl) and has not paused the account today.
    Each is exactly the level the engine judges the next snapshot with, or lower (a trailing mark
    can only rise before it), so a kill on it is never false while no balance operation intervenes:
    a withdrawal lowers the daily floor, so the floor must be renewed after one.
    """
    if state.status != ACTIVE:
        return None
    cp = compiled(program)
    ph = cp.phases[state.phase_index]
    level: Decimal | None = None
    reason = d.MAX_LOSS
    action: FloorAction = "fail"
    if ph.max_loss:
        level = state.max_floor
    if ph.daily and not ph.daily_eod and ph.daily_open_pnl and not state.daily_paused:
        daily = state.daily_floor
        if level is None or daily > level:
            level, reason, action = daily, d.DAILY_LOSS, ("pause" if ph.daily_pause else "fail")
    if level is None:
        return None
    return EquityFloor(
        level=level,
        expires_at=state.next_reset,
        reason=reason,
        breach_at="touch" if ph.touch else "below",
        action=action,
    )


def begin_phase(program: Program, state: ChallengeState, phase: int, time: datetime) -> ChallengeState:
    """A copy of `state` in phase `phase` (0-based), begun afresh at `time`: the balance at the account
    size, the phase's deadline, daily floor and maximum-loss floor, counters and flags cleared, as a pass
    into that phase leaves them. The status is not changed (a failed challenge stays failed)."""
    cp = compiled(program)
    if cp.id != state.program_id:
        raise ValueError(f"state belongs to program {state.program_id!r}, not {program.id!r}")
    if not 0 <= phase < len(cp.phases):
        raise ValueError(f"program {program.id!r} has no phase {phase} (it has {len(cp.phases)})")
    if time.tzinfo is None:
        raise ValueError("begin_phase needs a timezone-aware time")
    st = state.copy()
    _begin_phase(cp, st, phase, time)
    return st


def phase_name(program: Program, state: ChallengeState) -> str:
    return compiled(program).phases[state.phase_index].name


# ---------------------------------------------------------------------------------------------
# the in-place engine


def new_state(cp: CompiledProgram, server: str, login: int, time: datetime) -> ChallengeState:
    st = ChallengeState.__new__(ChallengeState)
    st.server = server
    st.login = login
    st.program_id = cp.id
    st.status = ACTIVE
    st.failed_reason = None
    st.open_positions = {}
    st.trade_results = {}
    st.trade_values = {}
    st.opened_today = set()
    st.updated_at = time
    st.last_snapshot_at = None
    _begin_phase(cp, st, 0, time)
    return st


def _begin_phase(cp: CompiledProgram, st: ChallengeState, index: int, t: datetime) -> None:
    """In place: the phase starts afresh (the firm resets the balance to the account size).
    Callers outside the engine use `begin_phase`."""
    ph = cp.phases[index]
    size = cp.size
    st.phase_index = index
    st.phase_started_at = t
    st.deadline = cp.clock.add_days(t, ph.max_days) if ph.max_days else None
    st.balance = size
    st.equity = size
    st.ops_since_snapshot = ZERO
    st.deals_since_snapshot = ZERO
    st.phase_ops = ZERO
    st.high_water = size
    st.max_floor = ph.max_floor(size) if ph.max_loss else ZERO
    st.daily_floor = size - ph.day_amount(size) if ph.daily else ZERO
    _open_day(cp, st, t, size)
    st.day_high = size
    st.best_day_profit = ZERO
    st.trading_days = 0
    st.profitable_days = 0
    st.winning_profit = ZERO
    st.capped_excess = ZERO
    st.last_deal_at = t
    st.open_positions.clear()
    st.trade_results = {}
    st.trade_values = {}
    st.snapshot_positions = None
    st.lots_broken = False
    st.positions_broken = False
    st.trade_loss_broken = False
    st.exposure_broken = 0
    st.pending_eod_floor = None
    st.pending_trade_loss = None
    st.pending_weekend = False
    st.pending_news = False


def _roll_day(cp: CompiledProgram, st: ChallengeState, t: datetime) -> None:
    """Close the trading day(s) that ended before `t` and open the one holding `t`."""
    ph = cp.phases[st.phase_index]
    ops = st.ops_since_snapshot
    # the balance at the reset: the last snapshot's, and the operations and the trade deals (profit,
    # commission, swap) since it; the equity at the reset is not known beyond the last snapshot's
    balance = st.balance + ops + st.deals_since_snapshot
    equity = st.equity + ops
    # the closing day's verdicts
    if ph.daily and ph.daily_eod and st.day_had_snapshot:
        value = equity if ph.daily_open_pnl else balance
        floor = st.daily_floor
        if (value <= floor) if ph.touch else (value < floor):
            st.pending_eod_floor = floor
    day_profit = balance - st.day_start_balance - st.day_ops
    if day_profit > st.best_day_profit:
        st.best_day_profit = day_profit
    if day_profit > ZERO:
        st.winning_profit += day_profit
        if day_profit >= ph.profitable_threshold:
            st.profitable_days += 1
        cap = ph.day_cap
        if cap is not None and day_profit > cap:
            st.capped_excess += day_profit - cap
    if ph.qualifies_later and not st.day_counted and st.day_traded:
        _count_if_qualified(ph, st, day_profit)
    closing = st.balance + st.deals_since_snapshot  # the reported balance and the deals closed since
    if ph.max_mode == TRAILING_EOD and ph.max_loss and closing > st.high_water:
        st.high_water = closing  # the closing balance as reported (operations included)
        st.max_floor = ph.max_floor(closing)
    label, day_start, next_reset = cp.clock.day_of(t)
    if not ph.weekend_holding and st.snapshot_positions and _crosses_saturday(st.day_label, label):
        st.pending_weekend = True
    # the new day
    if ph.daily:
        basis_kind = ph.daily_basis
        if basis_kind == BASIS_BALANCE:
            basis = balance
        elif basis_kind == BASIS_EQUITY:
            basis = equity
        elif basis_kind == BASIS_INITIAL:
            basis = cp.size
        elif basis_kind == BASIS_INTRADAY_HIGH:
            basis = equity  # the day's high starts at the equity the reset finds, and rises from there
            st.day_high = equity
        else:
            basis = balance if balance >= equity else equity
        st.daily_floor = basis - ph.day_amount(basis)
    _open_day(cp, st, t, balance, (label, day_start, next_reset))


def _open_day(
    cp: CompiledProgram,
    st: ChallengeState,
    t: datetime,
    balance: Decimal,
    day: tuple[date, datetime, datetime] | None = None,
) -> None:
    """The trading day of `t` begins with `balance` (its floor is the caller's): its counters start at zero.
    `day`: the clock's `day_of(t)`, when the caller has it already."""
    st.day_label, st.day_start, st.next_reset = day if day is not None else cp.clock.day_of(t)
    st.day_start_balance = balance
    st.day_ops = ZERO
    st.daily_paused = False
    st.day_had_snapshot = False
    st.day_counted = False
    st.day_traded = False
    st.day_lots = ZERO
    st.day_value = ZERO
    st.day_trade_qualified = False
    if st.opened_today:
        st.opened_today.clear()


def _count_if_qualified(ph: PhaseRules, st: ChallengeState, day_result: Decimal | None) -> None:
    """Count today as a trading day if it meets the phase's qualifying conditions (the trading_day
    condition is met already): lots and value opened today, a qualifying trade closed today, the day's result
    moving far enough either way (known at a snapshot or at the day's close: `day_result`, None at a deal)."""
    if ph.qualify_trade and not st.day_trade_qualified:
        return
    lots = ph.qualify_lots
    if lots is not None and st.day_lots < lots:
        return
    least = ph.qualify_day_value
    if least is not None and st.day_value < least:
        return
    needed = ph.qualify_result
    if needed is not None and (day_result is None or abs(day_result) < needed):
        return
    st.day_counted = True
    st.trading_days += 1


def _crosses_saturday(old_label: date, new_label: date) -> bool:
    """Whether a Saturday trading day starts in (old_label, new_label]."""
    gap = (new_label - old_label).days
    if gap >= 7:
        return True
    weekday = old_label.weekday()
    return any((weekday + k) % 7 == _SATURDAY for k in range(1, gap + 1))


def _fail(
    st: ChallengeState,
    ph: PhaseRules,
    t: datetime,
    reason: str,
    equity: Decimal,
    limit: Decimal | None,
    out: list[Decision],
) -> None:
    st.status = FAILED
    st.failed_reason = reason
    out.append(Decision(t, st.server, st.login, d.FAILED, ph.name, reason, equity, limit))


def on_snapshot(
    cp: CompiledProgram,
    st: ChallengeState,
    t: datetime,
    balance: Decimal,
    equity: Decimal,
    positions: tuple[Position, ...] | list[Position] | None,
    out: list[Decision],
) -> None:
    """Judge one snapshot, in the module docstring's order. Each step a phase has not is skipped here by a
    test of a precomputed flag, so the common snapshot costs few calls (replay runs this per line)."""
    if st.status != ACTIVE:
        return
    if t >= st.next_reset:  # 1. the day boundary
        _roll_day(cp, st, t)
    ph = cp.phases[st.phase_index]
    has_open = _take_snapshot(st, t, balance, equity, positions)
    if ph.raises_marks:  # 2. high-water marks, raised before the snapshot is judged
        _raise_marks(ph, st, balance, equity)
    eod_floor = st.pending_eod_floor  # 3. the end-of-day daily verdict on the day just closed
    if eod_floor is not None:
        st.pending_eod_floor = None
        if not ph.daily_pause:
            _fail(st, ph, t, d.DAILY_LOSS, equity, eod_floor, out)
            return
        # a pause: its restriction is taken below, unless this snapshot fails the account
    deadline = st.deadline  # 4. deadlines
    if (deadline is not None and t > deadline) or ph.inactivity_days:
        if _deadline_passed(cp, ph, st, t, has_open, equity, out):
            return
    if _loss_floors(ph, st, t, balance, equity, positions, eod_floor, out):  # 5. loss floors
        return
    if positions is not None and ph.limits_positions:  # 6. restrictions newly broken
        _position_limits(ph, st, t, equity, positions, out)
    if st.pending_weekend or st.pending_news:
        _pending_restrictions(ph, st, t, equity, out)
    if ph.target_balance is not None and not has_open:  # 7. the pass, last
        _judge_pass(cp, ph, st, t, balance, equity, out)


def _take_snapshot(
    st: ChallengeState,
    t: datetime,
    balance: Decimal,
    equity: Decimal,
    positions: tuple[Position, ...] | list[Position] | None,
) -> bool:
    """The snapshot's figures into the state; whether the account holds positions."""
    st.updated_at = t
    st.last_snapshot_at = t
    st.balance = balance
    st.equity = equity
    if st.ops_since_snapshot:
        st.ops_since_snapshot = ZERO
    if st.deals_since_snapshot:
        st.deals_since_snapshot = ZERO
    st.day_had_snapshot = True
    if positions is None:
        st.snapshot_positions = None
        return bool(st.open_positions)
    count = len(positions)
    st.snapshot_positions = count
    if not count and st.open_positions:
        st.open_positions.clear()  # the server says the account is flat
    return count > 0


def _raise_marks(ph: PhaseRules, st: ChallengeState, balance: Decimal, equity: Decimal) -> None:
    """The intraday high of the day's floor, a day qualified by its result, the trailing high-water mark."""
    if ph.daily_basis == BASIS_INTRADAY_HIGH and ph.daily and equity > st.day_high:
        st.day_high = equity
        st.daily_floor = equity - ph.day_amount(equity)
    if ph.qualifies_later and st.day_traded and not st.day_counted:
        _count_if_qualified(ph, st, balance - st.day_start_balance - st.day_ops)
    mode = ph.max_mode
    if mode != STATIC and ph.max_loss:
        if mode == TRAILING_INTRADAY:
            if equity > st.high_water:
                st.high_water = equity
                st.max_floor = ph.max_floor(equity)
        elif mode == TRAILING_BALANCE and balance > st.high_water:
            st.high_water = balance
            st.max_floor = ph.max_floor(balance)


def _deadline_passed(
    cp: CompiledProgram,
    ph: PhaseRules,
    st: ChallengeState,
    t: datetime,
    has_open: bool,
    equity: Decimal,
    out: list[Decision],
) -> bool:
    """The phase's time ran out, or the account was inactive too long, before this snapshot: it fails."""
    deadline = st.deadline
    if deadline is not None and t > deadline:
        _fail(st, ph, t, d.MAX_DAYS, equity, None, out)
        return True
    if ph.inactivity_days and not has_open and t - st.last_deal_at > ph.inactivity_min:
        if t > cp.clock.add_days(st.last_deal_at, ph.inactivity_days):
            _fail(st, ph, t, d.INACTIVITY, equity, None, out)
            return True
    return False


def _loss_floors(
    ph: PhaseRules,
    st: ChallengeState,
    t: datetime,
    balance: Decimal,
    equity: Decimal,
    positions: tuple[Position, ...] | list[Position] | None,
    eod_floor: Decimal | None,
    out: list[Decision],
) -> bool:
    """Of the fatal floors breached the highest is the reason (max_loss on a tie); a breached daily floor
    with action pause restricts once until the next reset; then the per-trade loss. True: it failed."""
    touch = ph.touch
    fatal_reason = None
    fatal_level = None
    if ph.max_loss:
        floor = st.max_floor
        if (equity <= floor) if touch else (equity < floor):
            fatal_reason, fatal_level = d.MAX_LOSS, floor
    pause_level = None
    if ph.daily and not ph.daily_eod and not st.daily_paused:
        floor = st.daily_floor
        value = equity if ph.daily_open_pnl else balance
        if (value <= floor) if touch else (value < floor):
            if ph.daily_pause:
                pause_level = floor
            elif fatal_level is None or floor > fatal_level:  # the highest floor; max_loss on a tie
                fatal_reason, fatal_level = d.DAILY_LOSS, floor
    if fatal_reason is not None:
        _fail(st, ph, t, fatal_reason, equity, fatal_level, out)
        return True
    trade_loss = ph.trade_loss
    if trade_loss is not None:
        broken = _trade_loss_broken(st, positions, trade_loss, touch)
        if broken and ph.trade_loss_fails:
            _fail(st, ph, t, d.MAX_TRADE_LOSS, equity, trade_loss, out)
            return True
        if broken and not st.trade_loss_broken:
            out.append(Decision(t, st.server, st.login, d.RESTRICTED, ph.name, d.MAX_TRADE_LOSS, equity, trade_loss))
        st.trade_loss_broken = broken
    if eod_floor is not None:
        out.append(Decision(t, st.server, st.login, d.RESTRICTED, ph.name, d.DAILY_LOSS, equity, eod_floor))
    if pause_level is not None:
        st.daily_paused = True
        out.append(Decision(t, st.server, st.login, d.RESTRICTED, ph.name, d.DAILY_LOSS, equity, pause_level))
    return False


def _position_limits(
    ph: PhaseRules,
    st: ChallengeState,
    t: datetime,
    equity: Decimal,
    positions: tuple[Position, ...] | list[Position],
    out: list[Decision],
) -> None:
    """max_lots, max_positions and the exposure caps, each a restriction when it turns from kept to broken."""
    if ph.max_lots is not None:
        lots = sum([p.volume for p in positions], ZERO)
        broken = lots > ph.max_lots
        if broken and not st.lots_broken:
            out.append(Decision(t, st.server, st.login, d.RESTRICTED, ph.name, d.MAX_LOTS, equity, ph.max_lots))
        st.lots_broken = broken
    if ph.max_positions is not None:
        broken = len(positions) > ph.max_positions
        if broken and not st.positions_broken:
            limit = Decimal(ph.max_positions)
            out.append(Decision(t, st.server, st.login, d.RESTRICTED, ph.name, d.MAX_POSITIONS, equity, limit))
        st.positions_broken = broken
    if ph.exposure_caps:
        broken_caps = ph.exposure_broken(positions)
        newly = broken_caps & ~st.exposure_broken
        for bit, (_, _, cap, _) in enumerate(ph.exposure_caps):
            if newly & (1 << bit):
                out.append(Decision(t, st.server, st.login, d.RESTRICTED, ph.name, d.EXPOSURE_CAP, equity, cap))
        st.exposure_broken = broken_caps


def _pending_restrictions(ph: PhaseRules, st: ChallengeState, t: datetime, equity: Decimal,
                          out: list[Decision]) -> None:
    """Weekend holding and news blackout, noticed at a deal or a reset, decided at this snapshot."""
    if st.pending_weekend:
        st.pending_weekend = False
        out.append(Decision(t, st.server, st.login, d.RESTRICTED, ph.name, d.WEEKEND_HOLDING, equity, None))
    if st.pending_news:
        st.pending_news = False
        out.append(Decision(t, st.server, st.login, d.RESTRICTED, ph.name, d.NEWS_BLACKOUT, equity, None))


def _judge_pass(
    cp: CompiledProgram,
    ph: PhaseRules,
    st: ChallengeState,
    t: datetime,
    balance: Decimal,
    equity: Decimal,
    out: list[Decision],
) -> None:
    """The target reached on a flat account, with the trading days, the profitable days and the
    consistency it needs: the phase is passed (the next begins at once, or the challenge is passed)."""
    target = ph.target_balance
    assert target is not None  # the caller checks
    if st.phase_ops:
        target = target + st.phase_ops
    today = balance - st.day_start_balance - st.day_ops
    cap = ph.day_cap
    if cap is not None:  # the profit above the daily cap is not counted: the balance must make up for it
        excess = st.capped_excess + (today - cap if today > cap else ZERO)
        if excess:
            target = target + excess
    if (
        balance >= target
        and st.trading_days >= ph.min_trading_days
        and _profitable_days(ph, st, today) >= ph.min_profitable_days
        and _consistent(cp, ph, st, balance, today)
    ):
        kind = d.FUNDED if ph.passes_to_funded else d.PHASE_PASSED
        out.append(Decision(t, st.server, st.login, kind, ph.name, d.PROFIT_TARGET, equity, target))
        if ph.index + 1 < len(cp.phases):
            _begin_phase(cp, st, ph.index + 1, t)
        else:
            st.status = PASSED


def _consistent(
    cp: CompiledProgram, ph: PhaseRules, st: ChallengeState, balance: Decimal, today: Decimal
) -> bool:
    """The best day's profit is at most the share of the phase's total: its net trading profit (losing
    days count against it), or with `consistency_basis: winning_days` the sum of its winning days.

    A day's profit is the change of its balance net of balance operations; the current day counts.
    """
    share = ph.consistency_share
    if share is None:
        return True
    if ph.consistency_winning:
        total = st.winning_profit + (today if today > ZERO else ZERO)
    else:
        total = balance - cp.size - st.phase_ops
    best = today if today > st.best_day_profit else st.best_day_profit
    return total > ZERO and best <= total * share


def _profitable_days(ph: PhaseRules, st: ChallengeState, today: Decimal) -> int:
    """The phase's profitable days, the current one included once its profit reaches the threshold."""
    if not ph.min_profitable_days:
        return 0
    return st.profitable_days + (1 if today > ZERO and today >= ph.profitable_threshold else 0)


def _trade_loss_broken(
    st: ChallengeState, positions: tuple[Position, ...] | list[Position] | None, limit: Decimal, touch: bool
) -> bool:
    """Whether a position closed since the last snapshot, or one this snapshot lists with its floating
    result, lost the limit or more (touch) or more than it (below)."""
    closed = st.pending_trade_loss
    st.pending_trade_loss = None
    if closed is not None:
        return True
    if positions:
        for p in positions:
            result = p.profit
            if result is not None and ((result <= -limit) if touch else (result < -limit)):
                return True
    return False


def on_deal(
    cp: CompiledProgram,
    st: ChallengeState,
    t: datetime,
    entry: str,
    volume: Decimal,
    position: int,
    news: NewsCalendar,
    result: Decimal = ZERO,
    value: Decimal | None = None,
) -> None:
    """`result`: the deal's profit, commission and swap together (read by the per-trade loss limit and the
    trade qualifier); `value`: what the deal traded in the account currency (volume × contract size ×
    price, converted), where the source gives it (read by the trade qualifier)."""
    if st.status != ACTIVE:
        return
    if t >= st.next_reset:
        _roll_day(cp, st, t)
    # a deal may reach the evaluator after a later snapshot: it still counts, and the clocks never go back
    if t > st.updated_at:
        st.updated_at = t
    if t > st.last_deal_at:
        st.last_deal_at = t  # any deal restarts the inactivity clock
    seen = st.last_snapshot_at
    if result and (seen is None or t > seen):
        st.deals_since_snapshot += result  # not in the last snapshot's balance yet (a later one has it)
    opened = entry == "in" or entry == "inout"
    closed = not opened or entry == "inout"
    positions = st.open_positions
    added, added_value = volume, value
    if closed and position in positions:
        held = positions[position]
        left = held - volume
        if left > ZERO and entry != "inout":
            positions[position] = left
        else:
            del positions[position]
            if entry == "inout" and volume > held:  # a netting reversal: what exceeds the old position opens
                added = volume - held
                added_value = None if value is None else value * added / volume
    if opened:
        positions[position] = positions.get(position, ZERO) + added
        st.day_lots += added
        if added_value is not None:
            st.day_value += added_value
    ph = cp.phases[st.phase_index]
    if ph.qualify_trade:
        _track_trade_value(ph, st, position, opened, result, value, position in positions)
    if not st.day_counted:
        if not st.day_traded:
            kind = cp.trading_day
            if kind == DAY_OPENED:
                counts = opened
            elif kind == DAY_ANY_DEAL:
                counts = True
            else:  # DAY_OPENED_AND_CLOSED: opened and closed (fully or in part) the same trading day
                if opened:
                    st.opened_today.add(position)
                counts = closed and position in st.opened_today
            if counts:
                st.day_traded = True
        if st.day_traded and not ph.qualifies_later:
            _count_if_qualified(ph, st, None)
    limit = ph.trade_loss
    if limit is not None:
        _track_trade_result(st, position, result, position in positions, limit, ph.touch)
    elif ph.qualify_trade:
        _add_trade_result(st, position, result, position in positions)
    window = ph.news_window
    if window is not None and news.times and news.near(t, window):
        st.pending_news = True


def _track_trade_value(
    ph: PhaseRules,
    st: ChallengeState,
    position: int,
    opened: bool,
    result: Decimal,
    value: Decimal | None,
    still_open: bool,
) -> None:
    """Add an opening deal's value to its position's; when the deal closes the position, judge the trade:
    it qualifies today when its value is above zero and at least the phase's minimum, and its result
    (its deals' so far plus this one's) is at least the phase's share of its value either way. Runs before
    the result is added to the position's (`_add_trade_result`)."""
    values = st.trade_values
    if opened and value is not None:
        values[position] = values.get(position, ZERO) + value
    if still_open:
        return
    traded = values.pop(position, ZERO)
    if st.day_trade_qualified or traded <= ZERO or traded < ph.qualify_trade_value:
        return
    total = st.trade_results.get(position, ZERO) + result
    if abs(total) >= traded * ph.qualify_trade_share:
        st.day_trade_qualified = True


def _add_trade_result(st: ChallengeState, position: int, result: Decimal, still_open: bool) -> Decimal:
    """A deal's result added to its position's; a closed position's is forgotten. Returns the sum."""
    total = st.trade_results.get(position, ZERO) + result
    if still_open:
        st.trade_results[position] = total
    else:
        st.trade_results.pop(position, None)
    return total


def _track_trade_result(
    st: ChallengeState, position: int, result: Decimal, still_open: bool, limit: Decimal, touch: bool
) -> None:
    """Add a deal's result to its position's; a loss at (touch) or beyond (below) the limit is judged at
    the next snapshot. A position's result is forgotten once it is closed."""
    total = _add_trade_result(st, position, result, still_open)
    if (total <= -limit) if touch else (total < -limit):
        worst = st.pending_trade_loss
        st.pending_trade_loss = total if worst is None or total < worst else worst


def on_balance(cp: CompiledProgram, st: ChallengeState, t: datetime, amount: Decimal) -> None:
    """A balance operation: never profit, never a trading day; it moves the day's floor by its amount."""
    if st.status != ACTIVE:
        return
    if t >= st.next_reset:
        _roll_day(cp, st, t)
    if t > st.updated_at:
        st.updated_at = t
    seen = st.last_snapshot_at
    if seen is None or t > seen:
        st.ops_since_snapshot += amount  # not in the last snapshot's balance yet (a later one has it)
    st.phase_ops += amount
    st.day_ops += amount
    ph = cp.phases[st.phase_index]
    if ph.daily and ph.daily_basis != BASIS_INITIAL:
        st.daily_floor += amount
        if ph.daily_basis == BASIS_INTRADAY_HIGH:
            st.day_high += amount


PAYOUT_COMMENT = "payout "  # the withdrawal's comment: `payout {id}` (propfirm.payouts)


def is_payout(comment: str) -> bool:
    return comment[:7].lower() == PAYOUT_COMMENT


def _rebase_after_payout(cp: CompiledProgram, st: ChallengeState, t: datetime, out: list[Decision]) -> None:
    """A transition of its own (not the balance operation's doing): the trailing maximum-loss floor
    restarts from the balance left, as a new phase's would, so the trader keeps the whole room. A static
    floor has nothing to restart; the day's floor has moved with the operation already."""
    if st.status != ACTIVE:
        return
    ph = cp.phases[st.phase_index]
    balance = st.balance + st.ops_since_snapshot + st.deals_since_snapshot  # what it holds now, the withdrawal in
    if ph.max_loss and ph.max_mode != STATIC:
        st.high_water = balance
        st.max_floor = ph.max_floor(balance)
    equity = st.equity + st.ops_since_snapshot
    limit = st.max_floor if ph.max_loss else None
    out.append(Decision(t, st.server, st.login, d.REBASED, ph.name, d.PAYOUT, equity, limit))


def new_challenge(
    program: Program, login: int, time: datetime, server: str = DEFAULT_SERVER
) -> ChallengeState:
    """Convenience for callers without a Start event."""
    return start(program, Start(time=time, login=login, program=program.id, server=server))
