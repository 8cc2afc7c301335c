"""A challenge as its trader and the dashboards see it: the summary, the live view (floors, the day, progress,
limits, coverage), transitions and their explanations, performance, deals, days, equity, credentials.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from propfirm.api.models.base import ResponseModel


class ChallengeRef(ResponseModel):
    """What names a challenge in every list: its trader, its program, its MT5 account, where it stands."""

    id: int
    trader_id: int
    trader_email: str
    program_id: str
    program_version: int
    server: str
    login: int | None
    status: str = Field(description="provisioning | active | failed | passed")
    phase: int
    version: int


class ChallengeSummary(ChallengeRef):
    transitions: int
    order_id: str | None
    created_at: str
    updated_at: str


class ChallengeList(ResponseModel):
    items: list[ChallengeSummary]
    next_cursor: int | None = Field(None, description="pass as `cursor` for the next page; null: no more")


class ProgramInfo(ResponseModel):
    id: str
    version: int
    currency: str
    account_size: str
    day_reset: dict[str, str]


class LiveInfo(ResponseModel):
    time: str | None = Field(description="the poller's snapshot time; null: the evaluator's state")
    balance: str
    equity: str
    floating: str
    margin: str | None
    positions: list[dict[str, Any]] | None = Field(description="the open positions: ticket, symbol, side, ...")


class FloorsInfo(ResponseModel):
    daily: str | None
    daily_paused: bool
    max_loss: str | None
    effective: dict[str, str] | None = Field(description="the floor the poller's kill switch acts on")


class DayInfo(ResponseModel):
    next_reset_at: str
    seconds_to_reset: int
    zone: str
    trading_day: str | None = None
    started_at: str | None = None


class TomorrowInfo(ResponseModel):
    at: str
    assumes: str
    daily_floor: str | None
    max_loss_floor: str | None
    headroom: str | None = Field(description="equity now minus the higher floor after the reset")
    breached_at_reset: bool | None


class ProgressInfo(ResponseModel):
    target_balance: str | None
    profit: str = Field(description="balance now minus the phase's starting balance (operations counted)")
    to_target: str | None = Field(description="balance still needed for the target")
    progress_pct: str | None = Field(description="share of the target's profit made, in percent")
    trading_days: int
    min_trading_days: int
    phase_started_at: str
    deadline: str | None
    days_left: int | None = Field(description="whole days to the deadline; null: no time limit")
    best_day_profit: str
    profitable_days: int = Field(description="closed days whose profit reached the phase's threshold")
    min_profitable_days: int
    uncounted_profit: str = Field(
        description="profit above the daily cap (daily_profit_cap_pct), not counted toward the target; "
        "the target balance includes it"
    )


class LimitLeft(ResponseModel):
    floor: str
    limit: str = Field(description="the loss limit in money")
    left: str = Field(description="equity minus the floor: the loss still allowed now")
    left_pct: str = Field(description="`left` in percent of the account size")
    left_share: str | None = Field(description="`left` as a share of the limit (1: untouched, 0: at the floor)")
    paused: bool | None = None


class TradeLossLeft(ResponseModel):
    limit: str = Field(description="the most one position may lose (max_trade_loss_pct or _amount)")
    action: str = Field(description="fail or restrict")
    worst: str | None = Field(description="the open position with the lowest result now: profit and swap")
    ticket: int | None
    left: str | None = Field(description="what that position may still lose before the limit")


class LimitsInfo(ResponseModel):
    equity: str
    daily_loss: LimitLeft | None
    max_loss: LimitLeft | None
    trade_loss: TradeLossLeft | None = None


class CoverageInfo(ResponseModel):
    read_at: str | None = Field(description="when the poller last read the account on MT5 (its latest snapshot)")
    judged_at: str | None = Field(
        description="the latest snapshot the rule engine has judged: the account's decisions stand on data "
        "as fresh as this"
    )
    behind_seconds: int | None = Field(
        description="read_at minus judged_at: how far the evaluator is behind the poller for this account"
    )


class ChallengeView(ChallengeSummary):
    phase_name: str | None
    program: ProgramInfo
    live: LiveInfo | None
    coverage: CoverageInfo | None = Field(
        None, description="how fresh the data the account was last judged on is (null: no account on MT5 yet)"
    )
    floors: FloorsInfo | None
    day: DayInfo
    tomorrow: TomorrowInfo | None
    progress: ProgressInfo | None
    limits: LimitsInfo | None = Field(description="daily and maximum loss left now")
    rules: dict[str, Any] | None = Field(description="the current phase's rules (the program version sold)")
    rules_text: list[str] = Field(default_factory=list, description="the same rules in plain words, one a sentence")


class Transition(ResponseModel):
    id: int = Field(description="the transition's id (its explanation: .../transitions/{id}/explanation)")
    transition_no: int
    from_phase: int
    to_phase: int | None
    decision: str = Field(description="phase_passed | funded | failed | restricted | rebased")
    reason: str
    equity: str
    limit: str | None
    decided_at: str
    recorded_at: str
    state_version: int
    evidence: dict[str, Any] = Field(description="server time, balance, equity, positions, floors, rule, ...")


class Explanation(ResponseModel):
    """A decision recomputed from its stored inputs and told in words (the design's ▶ Explanations)."""

    transition_id: int
    challenge_id: int
    transition_no: int
    decision: str
    reason: str
    phase: str | None
    equity: str
    limit: str | None
    decided_at: str = Field(description="UTC")
    local_time: str = Field(description="the same instant in the program's zone (where its day resets)")
    zone: str
    manual: bool = Field(description="an operator's override: not recomputed")
    replayed: bool = Field(description="recomputed from the stored inputs with the rule engine")
    same: bool = Field(description="the recomputed decision, reason, equity, limit and inputs' hash agree")
    differences: list[str] = Field(description="each field that differs, as 'field: stored X, recomputed Y'")
    inputs_sha256: str | None
    attribution: dict[str, str] | None = Field(
        description="what moved equity since the previous judged snapshot: closed_profit, commission, swap,"
        " balance_operations, other_balance, open_positions, and their sum, total (amounts as strings)"
    )
    floors: dict[str, Any] | None = Field(description="every floor in force, how each was computed, the binding one")
    positions: list[dict[str, Any]] | None = Field(description="the open positions the snapshot listed")
    text: str = Field(description="the plain-language account")


class DayResult(ResponseModel):
    day: str
    result: str


class PerformanceOut(ResponseModel):
    """Metrics from the closed positions (each: Σ profit + swap + commission of its deals)."""

    challenge_id: int
    scope: str = Field(description="phase: since the current phase began; challenge: all of it")
    since: str | None
    currency: str
    closed_positions: int
    open_positions: int
    wins: int
    losses: int
    net: str
    gross_profit: str
    gross_loss: str
    commission: str
    swap: str
    win_rate: str | None = Field(description="wins / closed positions (0..1)")
    profit_factor: str | None = Field(description="gross profit / gross loss; null without a loss")
    average_win: str | None
    average_loss: str | None
    largest_win: str | None
    largest_loss: str | None
    best_day: DayResult | None
    worst_day: DayResult | None
    trading_days: int = Field(description="days with a position closed")
    consistency_share: str | None = Field(description="the best day's share of the net result (0..1)")


class TransitionList(ResponseModel):
    items: list[Transition]
    next_cursor: int | None = Field(None, description="the last transition_no: pass as `cursor`; null: no more")


class DealOut(ResponseModel):
    server: str
    ticket: int
    login: int
    time: str
    action: str
    entry: str
    symbol: str
    volume: str
    price: str
    profit: str
    commission: str
    swap: str
    position: int
    order_ticket: int
    comment: str
    role: str = Field(description="trade | balance_operation | system | other")


class DealPage(ResponseModel):
    items: list[DealOut]
    next_cursor: int | None


class DayOut(ResponseModel):
    trading_day: str
    start_balance: str
    start_equity: str | None
    daily_floor: str | None
    close_balance: str | None
    close_equity: str | None
    profit: str | None


class DayList(ResponseModel):
    items: list[DayOut]
    next_cursor: str | None = Field(None, description="the last trading_day: pass as `cursor`; null: no more")


class AuditRow(ResponseModel):
    id: int
    created_at: str
    kind: str
    challenge_id: int | None
    server: str | None
    login: int | None
    payload: dict[str, Any]
    hash: str


class AuditPage(ResponseModel):
    items: list[AuditRow]
    next_cursor: int | None


class ChallengePage(ResponseModel):
    items: list[ChallengeSummary]
    next_cursor: int | None


class Me(ResponseModel):
    sub: str
    email: str | None
    roles: list[str]
    trader: dict[str, Any] | None
    challenges: int


class EquityPoint(ResponseModel):
    time: str
    balance: str
    equity: str


class EquityCurve(ResponseModel):
    challenge_id: int
    start: str
    end: str
    points: list[EquityPoint]
    truncated: bool = Field(description="more points lie in the range: ask again from the last point's time")


class Credentials(ResponseModel):
    challenge_id: int
    server: str
    login: int
    password_main: str
    password_investor: str
    shown_at: str
